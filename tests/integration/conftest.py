"""A moto server on loopback: the real HTTP endpoint a real client (the CLI) talks to."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer

from govbot.aws import AwsClients
from govbot_emulator import estate
from tests.conftest import Seeded

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


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
    """The installed `govbot` command, in its own process, with this process's environment."""
    return subprocess.run(
        [sys.executable, "-m", "govbot", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )
