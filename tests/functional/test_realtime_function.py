"""functions/realtime: EventBridge events judged in seconds, under moto."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from govbot.cycle.contracts import State
from govbot.cycle.engine import govern
from govbot.cycle.policy import parse_policy
from govbot_emulator.estate import (
    make_capacity_reservation,
    make_endpoint,
    make_log_group,
    make_reservation_usage,
    make_training_job,
    make_variant,
    make_volume,
    team_tags,
)
from tests.conftest import PUBLIC_EVENTS, load_event, load_function, queued

REGION = "us-east-1"
DAY = timedelta(days=1)


@pytest.fixture
def realtime(clients, store, monkeypatch):
    monkeypatch.setenv("GOVBOT_POLICY_PARAMETER", "/govbot/policy")
    monkeypatch.setenv("DRY_RUN", "false")

    def run(event, policy="regions: [us-east-1]\n"):
        clients.ssm(REGION).put_parameter(
            Name="/govbot/policy", Value=policy, Type="String", Overwrite=True
        )
        from tests.conftest import FakeLambdaContext

        return load_function("realtime")(event, FakeLambdaContext(function_name="govbot-realtime"))

    return run


def event_for(name, **detail_updates):
    event = load_event(name)
    for key, value in detail_updates.items():
        event["detail"][key] = value
    return event


def test_a_new_log_group_gets_retention_at_once_under_auto(realtime, clients, store) -> None:
    make_log_group(clients, REGION, "/ml/feature-pipeline", stored_gb=0)
    result = realtime(
        load_event("cloudtrail-create-log-group.json"),
        "detectors:\n  log-retention-gap: {mode: auto}\n",
    )
    assert result["resource"] == "/ml/feature-pipeline"
    assert [a["outcome"] for a in result["actions"]] == ["remediated"]
    [group] = clients.logs(REGION).describe_log_groups()["logGroups"]
    assert group["retentionInDays"] == 30


def test_under_approve_a_new_log_group_is_a_finding_awaiting_approval(
    realtime, clients, store
) -> None:
    make_log_group(clients, REGION, "/ml/feature-pipeline", stored_gb=0)
    result = realtime(load_event("cloudtrail-create-log-group.json"))
    [f] = result["findings"]
    assert store.get(f["finding_id"]).state is State.PENDING_APPROVAL
    assert "retentionInDays" not in clients.logs(REGION).describe_log_groups()["logGroups"][0]


def test_with_a_queue_the_fix_goes_to_the_worker(realtime, clients, remediation_queue) -> None:
    make_log_group(clients, REGION, "/ml/feature-pipeline", stored_gb=0)
    result = realtime(
        load_event("cloudtrail-create-log-group.json"),
        "detectors:\n  log-retention-gap: {mode: auto}\n",
    )
    assert [a["outcome"] for a in result["actions"]] == ["queued for the worker"]
    assert len(queued(remediation_queue)) == 1


def test_a_new_endpoint_missing_tags_is_reported_within_seconds(realtime, clients, store) -> None:
    make_endpoint(
        clients,
        REGION,
        "fraud-v2-canary",
        [make_variant("AllTraffic", "ml.m5.xlarge")],
        [{"Key": "project", "Value": "fraud"}],
        datetime.now(UTC),
    )
    result = realtime(load_event("cloudtrail-create-endpoint.json"))
    [f] = result["findings"]
    assert f["detector"] == "untagged-resource"
    assert f["details"]["missing_tags"] == ["cost-center", "environment"]
    assert store.get(f["finding_id"]).state is State.OPEN


def test_a_training_job_allowed_to_run_past_the_limit_is_flagged(realtime, clients) -> None:
    make_training_job(
        clients,
        REGION,
        "llm-sft-run-42",
        "ml.p4d.24xlarge",
        2,
        team_tags("llm"),
        datetime.now(UTC),
        spot=True,
    )
    result = realtime(load_event("cloudtrail-create-training-job.json"))
    assert result["findings"] == []  # fully tagged, on spot
    from govbot import runtime

    # Nothing found, nothing to plan: the only table read is the region's clocks.
    assert runtime.clients().calls["dynamodb.Query"] == 1
    [note] = result["notes"]
    assert "may run 120 h, beyond the limit of 24 h" in note


def test_detach_starts_the_orphan_clock(realtime, clients, store, now) -> None:
    vid = make_volume(clients, REGION, f"{REGION}a", 500, "gp3", team_tags("p"), now - 30 * DAY)
    event = load_event("cloudtrail-detach-volume.json")
    event["detail"]["requestParameters"]["volumeId"] = vid
    event["detail"]["eventTime"] = (now - 2 * DAY).isoformat()
    result = realtime(event)
    assert result["resource"] == vid
    # Created 30 days ago but detached 2 days ago: not yet orphaned by the 7-day rule.
    cycle = govern(
        parse_policy({"regions": [REGION]}), clients, store, now=now, dry_run=True, actor="test"
    )
    assert vid not in {
        f.resource_id for f in cycle.report.findings if f.detector == "orphaned-volume"
    }
    later = govern(
        parse_policy({"regions": [REGION]}),
        clients,
        store,
        now=now + 6 * DAY,
        dry_run=True,
        actor="test",
    )
    [f] = [
        f for f in later.report.findings if f.resource_id == vid and f.detector == "orphaned-volume"
    ]
    assert f.details["age_days"] == 8
    # The finding's first_seen is the detach time: grace periods count from it.
    assert store.get(f.finding_id).first_seen == now - 2 * DAY


def test_create_volume_with_quirky_types_is_judged(realtime, clients, store, now) -> None:
    vid = make_volume(clients, REGION, f"{REGION}a", 500, "gp3", [], now)
    event = load_event("cloudtrail-create-volume.json")
    event["detail"]["responseElements"]["volumeId"] = vid  # size is the string "500" there
    result = realtime(event)
    assert [f["resource_id"] for f in result["findings"]] == [vid]
    assert store.clocks("123456789012", REGION)[("AWS::EC2::Volume", vid)]


def test_an_endpoint_back_in_service_starts_its_idle_window(realtime, clients, store, now) -> None:
    make_endpoint(
        clients,
        "us-west-2",
        "MyEndpoint",
        [make_variant("AllTraffic", "ml.m5.xlarge")],
        team_tags("p"),
        now - 10 * DAY,
    )
    event = load_event("sagemaker-endpoint-state-change.json")  # "time" in epoch ms, IN_SERVICE
    result = realtime(event)
    assert result["ignored"] is None
    assert store.clocks("123456789012", "us-west-2")[("AWS::SageMaker::Endpoint", "MyEndpoint")]
    event["time"] = str(int((now - timedelta(hours=2)).timestamp() * 1000))
    realtime(event)
    cycle = govern(
        parse_policy({"regions": ["us-west-2"]}),
        clients,
        store,
        now=now,
        dry_run=True,
        actor="test",
    )
    assert not [f for f in cycle.report.findings if f.detector == "idle-endpoint"]


def test_a_job_that_ends_clears_its_findings(realtime, clients, store, now) -> None:
    make_training_job(
        clients, REGION, "kmeans-1", "ml.m5.xlarge", 1, [], now - 30 * timedelta(hours=1)
    )
    cycle = govern(
        parse_policy({"regions": [REGION]}), clients, store, now=now, dry_run=True, actor="test"
    )
    ids = [f.finding_id for f in cycle.report.findings if f.resource_id == "kmeans-1"]
    assert len(ids) == 2  # runaway and untagged
    result = realtime(
        event_for("sagemaker-training-job-state-change.json", TrainingJobName="kmeans-1")
    )
    assert result["notes"] == ["cleared 2 finding(s)"]
    assert {store.get(i).state for i in ids} == {State.RESOLVED}


@pytest.mark.parametrize(
    ("mutate", "why"),
    [
        (lambda e: e.pop("detail-type"), "not an EventBridge event"),
        (
            lambda e: e.update({"detail-type": "EC2 Instance State-change Notification"}),
            "does not use",
        ),
        (lambda e: e["detail"].pop("eventName"), "unreadable CloudTrail detail"),
        (lambda e: e["detail"].update(errorCode="AccessDenied"), "the call failed (AccessDenied)"),
        (lambda e: e["detail"].update(requestParameters=None), "does not name its resource"),
        (
            lambda e: e["detail"].update(eventName="DeleteLogGroup"),
            "does not judge logs:DeleteLogGroup",
        ),
    ],
)
def test_events_it_cannot_use_are_acknowledged_with_the_reason(realtime, mutate, why) -> None:
    event = load_event("cloudtrail-create-log-group.json")
    mutate(event)
    result = realtime(event)
    assert why in result["ignored"]


def test_an_event_it_should_use_but_fails_on_raises_for_retry_and_dlq(
    realtime, clients, store
) -> None:
    clients.client("dynamodb", REGION).delete_table(TableName="govbot")
    with pytest.raises(ClientError):
        realtime(load_event("cloudtrail-detach-volume.json"))


def test_a_running_job_is_expected_to_end_by_its_own_tag_from_its_start(realtime) -> None:
    event = event_for(
        "sagemaker-training-job-state-change.json",
        TrainingJobStatus="InProgress",
        Tags={"govbot:expected-hours": "3"},
        TrainingStartTime="1583831889050",
    )
    [note] = realtime(event)["notes"]
    # Started 2020-03-10 09:18 UTC; 3 h expected x 2 = 6 h.
    assert note == "expected to end by 2020-03-10 15:18 (tag govbot:expected-hours=3 x 2)"


# -- AWS Health: a Capacity Reservation below 20 % use ------------------------------------


def health_event(name: str, *ids: str) -> dict:
    """AWS's published example, naming our reservations in our region (its shape unchanged:
    the summary's entities stay "id | zone | type | platform | use%")."""
    text = (PUBLIC_EVENTS / "health" / name).read_text()
    for published, ours in zip(("cr-01234567890abcdef", "cr-09876543210fedcba"), ids, strict=False):
        text = text.replace(published, ours)
    return json.loads(text.replace("ap-south-1", REGION))


def unused_reservation(clients, count=1) -> str:
    now = datetime.now(UTC)
    rid = make_capacity_reservation(
        clients, REGION, f"{REGION}b", "t3.medium", count, team_tags("llm"), now - 2 * DAY
    )
    make_reservation_usage(clients, REGION, rid, now)
    return rid


def test_a_health_underutilisation_event_judges_its_reservation_at_once(
    realtime, clients, store
) -> None:
    rid = unused_reservation(clients)
    result = realtime(health_event("ec2-odcr-underutilization_awsdocs.json", rid))
    assert (result["event"], result["resource"]) == (
        "AWS_EC2_ODCR_UNDERUTILIZATION_NOTIFICATION",
        rid,
    )
    [f] = result["findings"]
    assert f["detector"] == "unused-capacity-reservation"
    assert store.get(f["finding_id"]).state is State.PENDING_APPROVAL


def test_the_weekly_summary_judges_every_reservation_it_names(realtime, clients) -> None:
    first, second = unused_reservation(clients), unused_reservation(clients, count=2)
    unused_reservation(clients)  # unused too, but not named: the nightly sweep's
    event = health_event("ec2-odcr-underutilization-summary_awsdocs.json", first, second)
    result = realtime(event)
    assert sorted(f["resource_id"] for f in result["findings"]) == sorted([first, second])


def test_other_health_events_are_acknowledged_and_ignored(realtime) -> None:
    event = health_event("ec2-odcr-underutilization_awsdocs.json")
    event["detail"]["eventTypeCode"] = "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED"
    result = realtime(event)
    assert result["ignored"] == "govbot does not judge AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED"
    event["detail"] = {"affectedEntities": "not a list"}
    assert realtime(event)["ignored"].startswith("unreadable detail: eventTypeCode")
