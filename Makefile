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
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: help install demo test lint unit functional integration validate build bench clean

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

install: $(INSTALLED) $(SAM)  ## Install govbot (editable), the dev tools and SAM CLI

demo: $(INSTALLED)  ## Run govbot on an emulated AWS account (moto server on 127.0.0.1)
	$(BIN)/govbot demo

lint: $(INSTALLED) validate  ## ruff (lint and format), mypy, sam validate --lint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

validate: $(SAM)  ## sam validate --lint on template.yaml
	$(SAM) validate --lint
	$(SAM_VENV)/bin/cfn-lint templates/member-roles.yaml

test: lint $(SAM)  ## The whole suite: lint, unit, functional and integration tests
	SAM_CLI=$(abspath $(SAM)) $(BIN)/pytest -n auto --durations=5

unit: $(INSTALLED)  ## Unit tests only
	$(BIN)/pytest tests/unit

build: $(SAM)  ## sam build (no Docker needed: the layer is cross-built with pip --platform)
	$(SAM) build

bench: $(INSTALLED)  ## API calls and time of a sweep over a generated estate
	$(BIN)/python benchmarks/sweep_calls.py

clean:  ## Remove build output and caches
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache
