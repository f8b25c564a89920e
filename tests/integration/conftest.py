"""A moto server on loopback: the real HTTP endpoint a real client (the CLI) talks to."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from moto.server import ThreadedMotoServer

from govbot.aws import AwsClients
from govbot.state.store import DEFAULT_TABLE
from govbot_emulator import estate
from tests.conftest import ROOT, Seeded
from tests.helpers.cli_process import run_command

pytestmark = pytest.mark.integration


REGIONS = "us-east-1,eu-west-1"


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    with moto_server() as url:
        yield url


@dataclass
class SweptEstate:
    """The demo estate swept into a state table, once per test process, read by many tests."""

    url: str
    account_id: str
    expected: set[tuple[str, str, str]]  # (detector, region, resource) the sweep must find
    stored: dict[tuple[str, str], str]  # finding id by (detector, resource)

    def table(self) -> list[dict[str, Any]]:
        """Every item of the state table, as a read-only test must leave it."""
        pages = (
            AwsClients()
            .client("dynamodb", "us-east-1")
            .get_paginator("scan")
            .paginate(TableName=DEFAULT_TABLE)
        )
        items = [item for page in pages for item in page["Items"]]
        return sorted(items, key=lambda i: json.dumps(i, sort_keys=True, default=repr))


@contextlib.contextmanager
def estate_process(*options: str) -> Iterator[tuple[dict[str, str], dict[str, Any]]]:
    """The demo estate seeded in a server process of its own (tests/helpers/estate_server.py),
    which no other test resets: the environment that reaches it, and what it said it holds
    (``options`` for the server: --iam ROLE ...)."""
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    env.pop("AWS_PROFILE", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.estate_server", *options],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )
    try:
        assert server.stdout is not None
        started = json.loads(server.stdout.readline())
        yield {**env, "AWS_ENDPOINT_URL": started["url"]}, started
    finally:
        server.terminate()
        server.wait(timeout=30)


@dataclass
class IamEstate:
    """The estate in an account that enforces IAM, and users who hold `govbot iam-policy
    --for cli` (or less): each test keeps its own state table (``as_user``)."""

    env: dict[str, str]
    expected: list[list[str]]
    users: dict[str, dict[str, str]]

    def as_user(self, user: str, table: str) -> dict[str, str]:
        return {**self.env, **self.users[user], "GOVBOT_TABLE": table}


@pytest.fixture(scope="session")
def iam_estate() -> Iterator[IamEstate]:
    less = {
        "no-volumes": "ec2:DescribeVolumes",
        "no-simulate": "iam:SimulatePrincipalPolicy,ec2:DescribeVolumes",
    }
    options = [o for name, actions in less.items() for o in ("--less", f"{name}={actions}")]
    with estate_process("--iam", "cli", *options) as (at, started):
        yield IamEstate(at, started["expected"], started["users"])


@pytest.fixture(scope="session")
def swept_estate() -> Iterator[SweptEstate]:
    """The estate swept into its state table by the command line, once per test process."""
    with estate_process() as (at, started):
        assert run_govbot("init", env=at).returncode == 0
        swept = run_govbot("sweep", "--regions", REGIONS, "-f", "json", env=at)
        assert swept.returncode == 0, swept.stderr
        yield SweptEstate(
            started["url"],
            started["account_id"],
            {tuple(e) for e in started["expected"]},  # type: ignore[misc]
            {
                (f["detector"], f["resource_id"]): f["finding_id"]
                for f in json.loads(swept.stdout)["findings"]
            },
        )


@pytest.fixture
def read_only(swept_estate: SweptEstate, monkeypatch: pytest.MonkeyPatch) -> Iterator[SweptEstate]:
    """The shared swept estate, for a test that only reads: it fails if the test changed the
    state table (then it needs an estate of its own)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", swept_estate.url)
    before = swept_estate.table()
    yield swept_estate
    assert swept_estate.table() == before, "a read-only test changed the shared state table"


@pytest.fixture
def server_account(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh emulated account behind the server; boto3 in this process points at it."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    return moto_url


@pytest.fixture
def server_estate(server_account: str, now) -> Seeded:  # type: ignore[no-untyped-def]
    return Seeded(AwsClients(), estate.seed(AwsClients(), now), now)


def run_govbot(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """The `govbot` command, in a process of its own (forked from one that imported it once:
    tests/helpers/cli_process.py), with this process's environment."""
    return run_command(args, {**os.environ, **(env or {})}, cwd, timeout)
