"""Shared fixtures: fake credentials, an emulated account, a seeded ML estate, Lambda context."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from govbot.aws import AwsClients
from govbot.demo import estate, moto_extensions
from govbot.store import Store

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"
PUBLIC_EVENTS = ROOT.parent / "shared" / "events" / "public"


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials, and nothing that could reach a real account."""
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "govbot")


@pytest.fixture(scope="session", autouse=True)
def moto_knows_stop_training_job() -> None:
    moto_extensions.install()


@pytest.fixture
def account() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def clients(account: None) -> AwsClients:
    return AwsClients()


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Seeded:
    clients: AwsClients
    estate: estate.Estate
    now: datetime

    @property
    def expected(self) -> set[tuple[str, str, str]]:
        return estate.expected_findings(self.estate)


@pytest.fixture
def seeded(account: None, now: datetime) -> Seeded:
    seed_clients = AwsClients()
    return Seeded(AwsClients(), estate.seed(seed_clients, now), now)


@pytest.fixture
def store(account: None) -> Store:
    table = Store(AwsClients(), "us-east-1")
    table.create()
    return table


@dataclass
class FakeLambdaContext:
    function_name: str = "govbot-sweep"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:govbot-sweep"
    aws_request_id: str = "52fdfc07-2182-154f-163f-5f0f9a621d72"


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()
