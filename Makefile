# govbot: `make demo` and `make test` work on a fresh machine; they install what they need.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# SAM CLI pins its own boto3 and friends, so it lives in a venv of its own.
SAM_VERSION := 1.170.0
SAM_VENV := .tools/sam-$(SAM_VERSION)
SAM := $(SAM_VENV)/bin/sam
CHECKOV_VERSION := 3.3.30
CHECKOV_VENV := .tools/checkov-$(CHECKOV_VERSION)
CHECKOV := $(CHECKOV_VENV)/bin/checkov
ASL_VALIDATOR_VERSION := 4.0.0
ASL_VALIDATOR_DIR := .tools/asl-validator-$(ASL_VALIDATOR_VERSION)
ASL_VALIDATOR := $(ASL_VALIDATOR_DIR)/node_modules/.bin/asl-validator
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: help install demo test lint unit validate checkov build bench bench-org coldstart clean browser

help:  ## Show the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $@

$(SAM):
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check aws-sam-cli==$(SAM_VERSION)

$(ASL_VALIDATOR):
	npm install --silent --no-audit --no-fund --prefix $(ASL_VALIDATOR_DIR) asl-validator@$(ASL_VALIDATOR_VERSION)

$(CHECKOV):
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check checkov==$(CHECKOV_VERSION)

install: $(INSTALLED) $(SAM) $(CHECKOV) $(ASL_VALIDATOR)  ## Install govbot (editable), the dev tools and SAM CLI

demo: $(INSTALLED)  ## Run govbot on an emulated AWS account (moto server on 127.0.0.1)
	$(BIN)/govbot demo

lint: $(INSTALLED) validate checkov  ## ruff (lint and format), mypy, sam validate --lint, checkov
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

validate: $(SAM) $(ASL_VALIDATOR)  ## sam validate --lint and cfn-lint on the templates, asl-validator on the state machine
	$(SAM) validate --lint
	$(SAM_VENV)/bin/cfn-lint templates/member-roles.yaml
	python3 scripts/asl_definition.py $(ASL_VALIDATOR_DIR)/org-sweep.asl.json
	$(ASL_VALIDATOR) --json-path $(ASL_VALIDATOR_DIR)/org-sweep.asl.json

checkov: $(CHECKOV)  ## checkov on both templates: zero findings (suppressions carry a reason)
	$(CHECKOV) --quiet --compact --framework cloudformation -f template.yaml -f templates/member-roles.yaml

browser:  ## Debian's Chromium, for the HTML report's check in a real browser
	@command -v chromium >/dev/null || apt-get install -y -q chromium >/dev/null \
	  || (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null) \
	  || echo "warning: could not install chromium: the HTML report's browser test will skip"

test: lint $(SAM) browser  ## The whole suite: lint, unit, functional and integration tests
	SAM_CLI=$(abspath $(SAM)) $(BIN)/pytest -n auto --dist worksteal --durations=10

unit: $(INSTALLED)  ## Unit tests only
	$(BIN)/pytest tests/unit

build: $(SAM)  ## sam build (no Docker needed: the layer is cross-built with pip --platform)
	$(SAM) build

bench: $(INSTALLED)  ## Calls, time (50 ms a call), writes and memory of a sweep, 500 to 10,000 resources
	$(BIN)/python benchmarks/sweep_calls.py

bench-org: $(INSTALLED)  ## A night for 300 and 3,000 accounts x 20 regions, projected; the digest at 300 to 3,000 accounts
	$(BIN)/python benchmarks/org_night.py --json benchmarks/org_results.json
	$(BIN)/python benchmarks/org_digest.py

coldstart: build  ## Handler import times and the built layer's size
	$(BIN)/python benchmarks/cold_start.py

clean:  ## Remove build output and caches
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache
