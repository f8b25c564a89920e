"""functions/sweep: the Lambda handler on real scheduled-event payloads, under moto."""

import json

import pytest

from tests.conftest import PUBLIC_EVENTS, load_event, load_function, queued

POLICY_PARAMETER = "/govbot/policy"


def load_handler():
    return load_function("sweep")


@pytest.fixture
def handler(seeded, store, monkeypatch):
    monkeypatch.setenv("GOVBOT_POLICY_PARAMETER", POLICY_PARAMETER)
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "govbot-sweep")
    return load_handler()


def put_policy(seeded, text: str) -> None:
    seeded.clients.ssm("us-east-1").put_parameter(
        Name=POLICY_PARAMETER, Value=text, Type="String", Overwrite=True
    )


def emf_metrics(printed: str) -> dict[tuple[str, str | None], float]:
    """CloudWatch embedded-metric-format lines, as {(name, detector): value}."""
    found = {}
    for line in printed.splitlines():
        if not line.startswith("{"):
            continue
        blob = json.loads(line)
        if "_aws" not in blob:
            continue
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            for m in directive["Metrics"]:
                value = blob[m["Name"]]
                found[(m["Name"], blob.get("detector"))] = (
                    value[0] if isinstance(value, list) else value
                )
    return found


@pytest.mark.parametrize(
    "event",
    [
        json.loads(
            (PUBLIC_EVENTS / "eventbridge-scheduled-event_eb-userguide-awsdocs.json").read_text()
        ),
        load_event("scheduled-event.json"),
        load_event("scheduler-event.json"),
    ],
    ids=["published-eventbridge", "events-dir", "eventbridge-scheduler"],
)
def test_scheduled_sweep_reports_the_estate(seeded, handler, lambda_context, capsys, event) -> None:
    put_policy(seeded, "regions: [us-east-1, eu-west-1]\n")
    result = handler(event, lambda_context)
    keys = {(f["detector"], f["region"], f["resource_id"]) for f in result["findings"]}
    assert keys == seeded.expected
    assert result["errors"] == []

    metrics = emf_metrics(capsys.readouterr().out)
    by_detector = result["summary"]["by_detector"]
    for det, s in by_detector.items():
        assert metrics[("Findings", det)] == s["findings"]
        # Published under what the figure is: untagged spend and per-run advice are no waste.
        name = {
            "waste": "EstimatedMonthlyWasteUSD",
            "unattributed": "UnattributedMonthlyUSD",
            "per_run": "SavingPerRunUSD",
        }[s["cost_kind"]]
        assert metrics[(name, det)] == pytest.approx(s["monthly_cost_usd"])
    assert ("EstimatedMonthlyWasteUSD", "untagged-resource") not in metrics
    assert metrics[("Findings", "runaway-training-job")] == 2
    assert (
        metrics[("TotalEstimatedMonthlyWasteUSD", None)]
        == result["summary"]["total_monthly_cost_usd"]
    )
    assert metrics[("TotalUnattributedMonthlyUSD", None)] == pytest.approx(
        result["summary"]["unattributed_monthly_usd"]
    )
    assert metrics[("SweepErrors", None)] == 0


def test_policy_from_ssm_shapes_the_sweep(seeded, handler, lambda_context) -> None:
    put_policy(seeded, "regions: [eu-west-1]\ndetectors:\n  orphaned-volume: {enabled: false}\n")
    result = handler(load_event("scheduled-event.json"), lambda_context)
    assert {f["region"] for f in result["findings"]} == {"eu-west-1"}
    assert "orphaned-volume" not in {f["detector"] for f in result["findings"]}


def test_without_a_policy_parameter_the_function_sweeps_its_own_region(
    seeded, store, lambda_context, monkeypatch
) -> None:
    monkeypatch.delenv("GOVBOT_POLICY_PARAMETER", raising=False)
    result = load_handler()(load_event("scheduled-event.json"), lambda_context)
    assert result["summary"]["regions"] == ["us-east-1"]


def test_invalid_policy_fails_loudly_naming_the_field(seeded, handler, lambda_context) -> None:
    from govbot.cycle.policy import PolicyError

    put_policy(seeded, "detectors:\n  idle-endpoint:\n    idle_hours: soon\n")
    with pytest.raises(PolicyError, match=r"detectors\.idle-endpoint\.idle_hours"):
        handler(load_event("scheduled-event.json"), lambda_context)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda e: e.pop("detail-type"),
        lambda e: e.update(time="yesterday"),
        lambda e: e.update(detail="not json"),
    ],
    ids=["no-detail-type", "bad-time", "detail-not-json"],
)
def test_malformed_event_is_rejected_before_any_aws_call(
    seeded, handler, lambda_context, mutate
) -> None:
    from govbot import runtime

    put_policy(seeded, "regions: [us-east-1]\n")
    event = load_event("scheduled-event.json")
    mutate(event)
    from govbot.handlers.events import BadEvent

    with pytest.raises(BadEvent, match="the sweep function expects ScheduledEvent: "):
        handler(event, lambda_context)
    assert sum(runtime.clients().calls.values()) == 0


def test_a_sweep_where_nothing_works_fails_the_invocation(seeded, handler, lambda_context) -> None:
    import govbot.handlers.sweep
    from govbot import runtime
    from tests.helpers.aws_errors import fail_operation

    put_policy(seeded, "regions: [us-east-1]\n")
    clients = runtime.clients()
    for op in ("ListEndpoints", "ListTrainingJobs", "ListNotebookInstances", "ListDomains"):
        fail_operation(clients, "sagemaker", op, "us-east-1", "AccessDeniedException")
    for svc, op in (
        ("ec2", "DescribeVolumes"),
        ("ec2", "DescribeInstances"),
        ("ec2", "DescribeCapacityReservations"),
        ("fsx", "DescribeFileSystems"),
        ("opensearchserverless", "ListCollections"),
        ("bedrock", "ListProvisionedModelThroughputs"),
        ("ec2", "DescribeSnapshots"),
        ("logs", "DescribeLogGroups"),
    ):
        fail_operation(clients, svc, op, "us-east-1", "AccessDeniedException")
    with pytest.raises(govbot.handlers.sweep.NothingSweptError, match="AccessDenied"):
        handler(load_event("scheduled-event.json"), lambda_context)


AUTO_STOP = "regions: [us-east-1]\ndetectors:\n  runaway-training-job: {mode: auto}\n"


def job_status(seeded, name: str) -> str:
    return seeded.clients.sagemaker("us-east-1").describe_training_job(TrainingJobName=name)[
        "TrainingJobStatus"
    ]


@pytest.mark.parametrize("dry_run", [None, "true", "TRUE", "yes-please"])
def test_the_function_changes_nothing_unless_dry_run_is_false(
    seeded, handler, lambda_context, monkeypatch, dry_run
) -> None:
    if dry_run is None:
        monkeypatch.delenv("DRY_RUN", raising=False)
    else:
        monkeypatch.setenv("DRY_RUN", dry_run)
    put_policy(seeded, AUTO_STOP)
    result = load_handler()(load_event("scheduled-event.json"), lambda_context)
    assert {a["resource_id"]: a["outcome"] for a in result["actions"]} == {
        "bert-finetune-large": "would act",
        "resnet-hparam-17": "would act",
    }
    assert job_status(seeded, "bert-finetune-large") == "InProgress"


def test_with_dry_run_false_the_function_acts_on_auto_findings(
    seeded, handler, lambda_context, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("DRY_RUN", "false")
    put_policy(seeded, AUTO_STOP)
    result = load_handler()(load_event("scheduled-event.json"), lambda_context)
    assert {a["resource_id"]: a["outcome"] for a in result["actions"]} == {
        "bert-finetune-large": "remediated",
        "resnet-hparam-17": "remediated",
    }
    assert job_status(seeded, "bert-finetune-large") == "Stopped"
    assert job_status(seeded, "llama-pretrain") == "InProgress"  # within its own limit
    assert emf_metrics(capsys.readouterr().out)[("ActionsRemediated", None)] == 2


@pytest.fixture
def topic_inbox(seeded, monkeypatch):
    """An SNS topic for the digest, with an SQS queue subscribed to read what it delivers."""
    sns = seeded.clients.client("sns", "us-east-1")
    sqs = seeded.clients.client("sqs", "us-east-1")
    topic = sns.create_topic(Name="govbot-digest")["TopicArn"]
    inbox = sqs.create_queue(QueueName="digest-inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    monkeypatch.setenv("SNS_TOPIC_ARN", topic)
    return inbox


def test_the_nightly_run_tells_slack_and_sns_and_queues_the_cleared_fixes(
    seeded,
    handler,
    lambda_context,
    slack,
    slack_secret,
    remediation_queue,
    topic_inbox,
    monkeypatch,
) -> None:
    monkeypatch.setenv("DRY_RUN", "false")
    put_policy(seeded, AUTO_STOP + "slack: {channel: C0FINOPS, owners: {ana: U024BE7LH}}\n")
    result = load_handler()(load_event("scheduled-event.json"), lambda_context)
    assert result["errors"] == []

    # Auto-mode fixes go to the worker's queue; nothing is changed by the sweep itself.
    assert {a["resource_id"]: a["outcome"] for a in result["actions"]} == {
        "bert-finetune-large": "queued for the worker",
        "resnet-hparam-17": "queued for the worker",
    }
    assert {m["finding_id"] for m in queued(remediation_queue)} == {
        a["finding_id"] for a in result["actions"]
    }
    assert job_status(seeded, "bert-finetune-large") == "InProgress"

    # One Slack digest: costliest first, buttons for what awaits approval, owners mentioned.
    [post] = slack.posted("chat.postMessage")
    assert post["channel"] == "C0FINOPS"
    blocks = json.loads(post["blocks"]) if isinstance(post["blocks"], str) else post["blocks"]
    sections = [b for b in blocks if b.get("block_id", "").startswith("finding:")]
    buttons = [b for b in blocks if b.get("block_id", "").startswith("decide:")]
    assert "p5.48xlarge reserved" in sections[0]["text"]["text"]  # costliest first
    [bert] = [s for s in sections if "runaway-training-job` · *bert" in s["text"]["text"]]
    assert "<@U024BE7LH>" in bert["text"]["text"]
    idle = {f["finding_id"] for f in result["findings"] if f["detector"] == "idle-endpoint"}
    assert idle <= {b["block_id"].split(":", 1)[1] for b in buttons}

    # One SNS message: JSON for the SQS subscriber, with filterable attributes.
    sqs = seeded.clients.client("sqs", "us-east-1")
    [delivered] = sqs.receive_message(QueueUrl=topic_inbox, MessageAttributeNames=["All"])[
        "Messages"
    ]
    envelope = json.loads(delivered["Body"])
    machine = json.loads(envelope["Message"])
    assert machine["severity"] == "high"
    assert machine["findings_total"] >= 10
    assert envelope["MessageAttributes"]["severity"]["Value"] == "high"


def test_a_slack_outage_is_reported_and_the_sweep_still_stands(
    seeded, handler, lambda_context, slack_secret, monkeypatch
) -> None:
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api/")  # nothing listens there
    put_policy(seeded, "regions: [us-east-1]\nslack: {channel: C0FINOPS}\n")
    result = load_handler()(load_event("scheduled-event.json"), lambda_context)
    assert [e["detector"] for e in result["errors"]] == ["notify:slack"]
    assert result["summary"]["findings"] > 0


def test_the_function_upgrades_an_older_table_and_refuses_a_newer_one(
    seeded, store, handler, lambda_context
) -> None:
    from govbot.state import migrations
    from govbot.state.store import SCHEMA_PK, SCHEMA_VERSION

    put_policy(seeded, "regions: [us-east-1]\n")
    seeded.clients.client("dynamodb", "us-east-1").delete_item(
        TableName=store.table, Key={"pk": {"S": SCHEMA_PK}, "sk": {"S": "RECORD"}}
    )
    assert store.schema() == 1  # as the release before wrote it
    handler(load_event("scheduled-event.json"), lambda_context)
    assert store.schema() == SCHEMA_VERSION  # the deployed (newer) govbot upgraded it

    handler = load_handler()  # a new container meets a table a newer govbot wrote
    store.set_schema(SCHEMA_VERSION + 1, "a newer govbot")
    with pytest.raises(migrations.SchemaError, match="upgrade govbot"):
        handler(load_event("scheduled-event.json"), lambda_context)
