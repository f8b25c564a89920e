"""`govbot doctor` against the demo's emulated account, set up as `govbot demo --serve` sets it
up (the functions' resources, the operator it prints the keys of): every check passes."""

from __future__ import annotations

import boto3

from govbot.aws import AwsClients
from govbot.cli import checks, doctor
from govbot.state.store import Store
from govbot_emulator import runner


def test_every_check_passes_on_the_served_demo(seeded, slack, tmp_path) -> None:
    slack.channels, slack.joined = {"C0MLFINOPS": "ml-finops"}, {"C0MLFINOPS"}
    env = runner._provision(seeded.clients, slack)
    keys = runner.operator(seeded.clients)
    as_operator = AwsClients(
        session=boto3.Session(
            aws_access_key_id=keys["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=keys["AWS_SECRET_ACCESS_KEY"],
            region_name="us-east-1",
        )
    )
    store = Store(as_operator, "us-east-1")
    assert store.create()
    policy = tmp_path / "policy.yaml"
    policy.write_text(runner.DEMO_POLICY)
    install = checks.Install(
        {},
        slack_secret=env["SLACK_SECRET_ARN"],
        digest_topic=env["SNS_TOPIC_ARN"],
        alerts_topic=env["BUDGET_ALERTS_TOPIC_ARN"],
    )
    results = doctor.run(as_operator, store, policy, install)
    assert [c for c in results if not c.ok] == []
    names = {c.name.split(" (")[0] for c in results}
    assert {"Slack secret", "Slack app", "Slack channel C0MLFINOPS"} <= names
    assert "permissions of arn:aws:iam::123456789012:user/govbot-operator as cli" in names
    assert sum(c.name.startswith("topic ") for c in results) == 2
