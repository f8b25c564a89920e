"""Shared fixtures: fake credentials, an emulated account, a seeded ML estate, Lambda context."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# moto's EC2 loads its whole AMI catalogue for every region an emulated account touches
# (a third of seeding an estate); the estate launches one image, kept in this file (moto's
# own entry for it). Read when moto is first imported, so set before; the servers and
# command-line processes the tests start inherit it.
os.environ.setdefault("MOTO_AMIS_PATH", str(Path(__file__).parent / "fixtures" / "moto_amis.json"))

import pytest
from moto import mock_aws

from govbot.aws import AwsClients
from govbot.state.store import Store
from govbot_emulator import estate, moto_extensions

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"
# Payloads published by AWS and Slack, copied in with their sources (tests/fixtures/public).
PUBLIC_EVENTS = ROOT / "tests" / "fixtures" / "public"


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


# The longest tests, started first: on two workers a long test begun last would leave the
# other worker idle while it ends (benchmarks/test_times.md lists them).
LONGEST_FIRST = (
    "tests/integration/test_demo.py",
    "tests/integration/test_cli_remediation.py",
    "tests/integration/test_cli_findings.py",
    "tests/integration/test_report_html.py",
    "tests/functional/test_fuzz.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def first(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=first)  # stable: the rest keep their order


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


def load_function(name: str) -> Any:
    """Import functions/<name>/app.py as a fresh Lambda container would, returning its handler."""
    import importlib.util

    from govbot import runtime

    runtime.reset()  # no cached clients or policy from another test's account
    spec = importlib.util.spec_from_file_location(f"{name}_app", ROOT / f"functions/{name}/app.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler


@pytest.fixture
def slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The local Slack stand-in, with slack_sdk pointed at it."""
    from govbot.delivery import slack as slack_notify
    from govbot_emulator.slack_standin import SlackStandIn

    standin = SlackStandIn(usergroups={"S0APPROVERS": ["U0CAROL"]}).start()
    monkeypatch.setenv("SLACK_API_URL", standin.api_url)
    monkeypatch.setenv(slack_notify.LOOPBACK_SETTING, "1")  # replies may reach the stand-in
    slack_notify._groups.clear()
    yield standin
    standin.stop()


@pytest.fixture
def slack_secret(account: None, monkeypatch: pytest.MonkeyPatch) -> str:
    from tests.helpers.slack import SIGNING_SECRET

    arn = (
        AwsClients()
        .client("secretsmanager", "us-east-1")
        .create_secret(
            Name="govbot/slack",
            SecretString=json.dumps({"bot_token": "xoxb-test", "signing_secret": SIGNING_SECRET}),
        )["ARN"]
    )
    monkeypatch.setenv("SLACK_SECRET_ARN", arn)
    return str(arn)


@pytest.fixture
def remediation_queue(account: None, monkeypatch: pytest.MonkeyPatch) -> str:
    url = (
        AwsClients()
        .client("sqs", "us-east-1")
        .create_queue(QueueName="govbot-remediation")["QueueUrl"]
    )
    monkeypatch.setenv("REMEDIATION_QUEUE_URL", url)
    return str(url)


def queued(url: str) -> list[dict[str, Any]]:
    """Every message waiting on a queue (received once, then left to expire)."""
    sqs = AwsClients().client("sqs", "us-east-1")
    found = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        found += [json.loads(m["Body"]) for m in batch]
    return found


@dataclass
class FakeLambdaContext:
    function_name: str = "govbot-sweep"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:govbot-sweep"
    aws_request_id: str = "52fdfc07-2182-154f-163f-5f0f9a621d72"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()
