"""init, findings, approve, reject, sweep --apply and restore, as a user runs them over HTTP."""

import json

from tests.integration.conftest import run_govbot

REGIONS = "us-east-1,eu-west-1"


def sweep_json(*extra: str) -> dict:
    result = run_govbot("sweep", "--regions", REGIONS, "-f", "json", *extra)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_init_is_idempotent(server_account) -> None:
    first = run_govbot("init")
    assert first.returncode == 0, first.stderr
    assert "created" in first.stdout
    again = run_govbot("init")
    assert again.returncode == 0
    assert "exists" in again.stdout


def test_apply_without_a_table_refuses(server_estate) -> None:
    result = run_govbot("sweep", "--regions", REGIONS, "--apply")
    assert result.returncode == 2
    assert "govbot init" in result.stderr


def test_the_whole_cycle_through_the_command_line(server_estate) -> None:
    assert run_govbot("init").returncode == 0
    first = sweep_json()
    assert first["actions"] == []  # approve mode: nothing approved yet

    pending = json.loads(
        run_govbot("findings", "--state", "pending_approval", "-f", "json").stdout
    )["findings"]
    by_resource = {
        (p["finding"]["detector"], p["finding"]["resource_id"]): p["finding"]["finding_id"]
        for p in pending
    }
    job = by_resource[("runaway-training-job", "bert-finetune-large")]
    endpoint = by_resource[("idle-endpoint", "churn-model-staging")]
    logs = by_resource[("log-retention-gap", "/aws/sagemaker/TrainingJobs")]

    ok = run_govbot("approve", job, endpoint, "--by", "ana")
    assert ok.returncode == 0, ok.stderr
    twice = run_govbot("approve", endpoint, "--by", "ben")
    assert twice.returncode == 1
    assert "is approved" in twice.stderr
    assert run_govbot("reject", logs).returncode == 0
    unknown = run_govbot("approve", "idle-endpoint-0000000000000000")
    assert unknown.returncode == 2  # bad input: no such finding
    assert "no finding idle-endpoint-0000000000000000" in unknown.stderr

    dry = sweep_json()
    assert {a["resource_id"]: a["outcome"] for a in dry["actions"]} == {
        "bert-finetune-large": "would act",
        "churn-model-staging": "would act",
    }

    applied = sweep_json("--apply")
    assert {a["resource_id"]: a["outcome"] for a in applied["actions"]} == {
        "bert-finetune-large": "remediated",
        "churn-model-staging": "remediated",
    }
    assert applied["api_calls"]["sagemaker.DeleteEndpoint"] == 1
    assert applied["api_calls"]["sagemaker.StopTrainingJob"] == 1
    assert (
        server_estate.clients.sagemaker("us-east-1").describe_training_job(
            TrainingJobName="bert-finetune-large"
        )["TrainingJobStatus"]
        == "Stopped"
    )

    # Applying again acts on nothing: the same finding is never acted on twice.
    assert sweep_json("--apply")["actions"] == []

    states = {
        p["finding"]["finding_id"]: p["state"]
        for p in json.loads(run_govbot("findings", "-f", "json").stdout)["findings"]
    }
    assert states[job] == states[endpoint] == "remediated"
    assert states[logs] == "rejected"

    # Through the member account's restore role, as a person restores into a member account.
    restored = run_govbot(
        "restore", "endpoint", "churn-model-staging", "--region", "us-east-1",
        "--role-arn", "arn:aws:iam::123456789012:role/govbot-restore", "--external-id", "ext-0001",
    )  # fmt: skip
    assert restored.returncode == 0, restored.stderr
    sm = server_estate.clients.sagemaker("us-east-1")
    endpoint_now = sm.describe_endpoint(EndpointName="churn-model-staging")
    assert endpoint_now["EndpointConfigName"] == "churn-model-staging-config"
    # What restore creates carries govbot's tag: the restore role may create nothing else.
    tags = sm.list_tags(ResourceArn=endpoint_now["EndpointArn"])["Tags"]
    assert {"Key": "govbot:restored-from", "Value": "churn-model-staging"} in tags
    # A second restore repeats nothing and says what the first did.
    again = run_govbot("restore", "endpoint", "churn-model-staging", "--region", "us-east-1")
    assert again.returncode == 0, again.stderr
    assert "already restored on" in again.stdout
    assert "restored endpoint churn-model-staging from config" in again.stdout


def test_restore_of_something_govbot_never_touched(server_account) -> None:
    assert run_govbot("init").returncode == 0
    result = run_govbot("restore", "volume", "vol-0123456789abcdef0", "--region", "us-east-1")
    assert result.returncode == 1
    assert "no record of govbot deleting volume vol-0123456789abcdef0" in result.stderr


def test_approve_apply_acts_now_under_the_policys_rails(server_estate, tmp_path) -> None:
    assert run_govbot("init").returncode == 0
    sweep_json()
    pending = json.loads(
        run_govbot("findings", "--state", "pending_approval", "-f", "json").stdout
    )["findings"]
    endpoint = next(
        p["finding"]["finding_id"]
        for p in pending
        if p["finding"]["resource_id"] == "churn-model-staging"
    )
    # A policy whose rails hold the fix back: the approval is kept, nothing is deleted.
    held = tmp_path / "held.yaml"
    held.write_text("detectors:\n  idle-endpoint: {max_actions_per_run: 0}\n")
    result = run_govbot("approve", endpoint, "--apply", "--policy", str(held))
    assert result.returncode == 0, result.stderr
    assert "deferred: max actions per run" in result.stdout
    sm = server_estate.clients.sagemaker("us-east-1")
    assert sm.describe_endpoint(EndpointName="churn-model-staging")

    # The default rails let it through on the next decision.
    states = {
        p["finding"]["finding_id"]: p["state"]
        for p in json.loads(run_govbot("findings", "-f", "json").stdout)["findings"]
    }
    assert states[endpoint] == "approved"
    run_govbot("reject", endpoint)
    from_reject = run_govbot("approve", endpoint, "--apply")
    # A rejected finding cannot be approved again from the CLI's approve: it says so.
    assert from_reject.returncode == 1
    assert "is rejected" in from_reject.stderr


def test_snooze_until_a_date_and_reopen_take_effect(server_estate) -> None:
    from datetime import UTC, datetime, timedelta

    assert run_govbot("init").returncode == 0
    sweep_json()
    listed = run_govbot("findings", "--state", "pending_approval", "-f", "json").stdout
    pending = json.loads(listed)["findings"]
    ids = {p["finding"]["resource_id"]: p["finding"]["finding_id"] for p in pending}
    endpoint, job = ids["churn-model-staging"], ids["bert-finetune-large"]

    day = (datetime.now(UTC) + timedelta(days=10)).date()
    snoozed = run_govbot("snooze", endpoint, "--until", f"{day}")
    assert snoozed.returncode == 0, snoozed.stderr
    assert f"{endpoint}: snoozed" in snoozed.stdout
    past = run_govbot("snooze", endpoint, "--until", "2020-01-01")
    assert past.returncode == 2
    assert "in the past" in past.stderr

    assert run_govbot("reject", job).returncode == 0
    reopened = run_govbot("reopen", job, endpoint)
    assert reopened.returncode == 0, reopened.stderr
    states = {
        p["finding"]["finding_id"]: p
        for p in json.loads(run_govbot("findings", "-f", "json").stdout)["findings"]
    }
    assert states[job]["state"] == states[endpoint]["state"] == "pending_approval"
    assert states[endpoint]["snooze_until"] is None
    again = run_govbot("reopen", job)  # waiting already: nothing to take back
    assert again.returncode == 1
    assert "is pending_approval" in again.stderr
