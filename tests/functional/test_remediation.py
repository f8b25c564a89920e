"""Remediation under policy, judged by the state left in the emulated account."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from govbot.aws import AwsClients
from govbot.cycle.contracts import State
from govbot.cycle.decisions import Decision, decide_one
from govbot.cycle.engine import Cycle, govern
from govbot.cycle.models import Outcome, SweepReport
from govbot.cycle.policy import parse_policy
from govbot.cycle.restore import RestoreError
from govbot.state.store import StateConflict, Store
from govbot_emulator import moto_extensions as ext
from govbot_emulator.estate import (
    as_tags,
    make_endpoint,
    make_log_group,
    make_traffic,
    make_training_job,
    make_variant,
    make_volume,
    team_tags,
)
from tests.helpers.aws_errors import fail_operation
from tests.helpers.restoring import restore

REGION, ACCOUNT = "us-east-1", "123456789012"
DAY, HOUR = timedelta(days=1), timedelta(hours=1)


class Crash(BaseException):
    """A Lambda timeout or a killed process: nothing in govbot may catch it."""


def policy(**detectors: dict[str, Any]) -> Any:
    return parse_policy({"regions": [REGION], "detectors": detectors})


def run(clients: AwsClients, store: Store, pol: Any, now: datetime, apply: bool) -> SweepReport:
    return govern(
        pol, clients, store, now=now, dry_run=not apply, actor="test", regions=[REGION]
    ).report


def act(clients: AwsClients, store: Store, now: datetime) -> dict[str, Outcome]:
    """Act on approved findings without a sweep first, as after a click in Slack: only the
    engine's re-check stands between the approval and the change."""
    cycle = Cycle(policy(), store, now, False, "test", lambda _account: clients)
    done = [o for sf in store.by_state(State.APPROVED) for o in cycle.decided(sf.finding_id)]
    return {a.resource_id: a.outcome for a in done}


def fid(report: SweepReport, detector: str, resource_id: str) -> str:
    [f] = [f for f in report.findings if (f.detector, f.resource_id) == (detector, resource_id)]
    return f.finding_id


def outcomes(report: SweepReport) -> dict[str, Outcome]:
    return {a.resource_id: a.outcome for a in report.actions}


def approve(store: Store, *ids: str, now: datetime) -> None:
    for finding_id in ids:
        decide_one(store, finding_id, Decision.APPROVE, by="ana", now=now)


def endpoint_exists(clients: AwsClients, name: str) -> bool:
    try:
        clients.sagemaker(REGION).describe_endpoint(EndpointName=name)
    except ClientError as err:
        if err.response["Error"]["Code"] == "ValidationException":
            return False
        raise
    return True


def volume_state(clients: AwsClients, vid: str) -> str | None:
    found = clients.ec2(REGION).describe_volumes(Filters=[{"Name": "volume-id", "Values": [vid]}])[
        "Volumes"
    ]
    return found[0]["State"] if found else None


def snapshots_of(clients: AwsClients, vid: str) -> list[dict[str, Any]]:
    return clients.ec2(REGION).describe_snapshots(
        Filters=[{"Name": "tag:govbot:source-volume", "Values": [vid]}]
    )["Snapshots"]


def idle_endpoint(clients: AwsClients, now: datetime, name: str = "idle", **kw: Any) -> str:
    make_endpoint(
        clients,
        REGION,
        name,
        [make_variant("AllTraffic", kw.get("type", "ml.m5.xlarge"))],
        kw.get("tags", team_tags("p")),
        now - 10 * DAY,
    )
    return name


def orphan(clients: AwsClients, now: datetime, **extra: Any) -> str:
    return make_volume(
        clients, REGION, f"{REGION}a", 500, "gp3", team_tags("vision"), now - 30 * DAY, **extra
    )


# -- modes --------------------------------------------------------------------------------


def test_modes_decide_the_first_state(clients, store, now) -> None:
    idle_endpoint(clients, now)
    make_endpoint(clients, REGION, "bare", [make_variant("AllTraffic", "ml.m5.large")], [], now)
    make_log_group(clients, REGION, "/app", stored_gb=1)
    report = run(clients, store, policy(**{"log-retention-gap": {"mode": "report"}}), now, False)
    assert store.get(fid(report, "idle-endpoint", "idle")).state is State.PENDING_APPROVAL
    assert store.get(fid(report, "untagged-resource", "bare")).state is State.OPEN
    assert store.get(fid(report, "log-retention-gap", "/app")).state is State.OPEN
    assert report.actions == []  # nothing approved, nothing to do
    assert endpoint_exists(clients, "idle")


def test_dry_run_says_what_it_would_do_and_changes_nothing(clients, store, now) -> None:
    idle_endpoint(clients, now)
    report = run(clients, store, policy(**{"idle-endpoint": {"mode": "auto"}}), now, False)
    [action] = report.actions
    assert action.outcome is Outcome.WOULD_ACT
    assert action.message == "would delete endpoint idle (config and model kept)"
    assert endpoint_exists(clients, "idle")
    assert store.get(action.finding_id).state is State.APPROVED


def test_auto_mode_acts_without_approval(clients, store, now) -> None:
    make_log_group(clients, REGION, "/aws/lambda/fn", stored_gb=3)
    pol = policy(
        **{"log-retention-gap": {"mode": "auto", "prefix_retention_days": {"/aws/lambda/": 90}}}
    )
    report = run(clients, store, pol, now, True)
    assert outcomes(report) == {"/aws/lambda/fn": Outcome.REMEDIATED}
    [group] = clients.logs(REGION).describe_log_groups()["logGroups"]
    assert group["retentionInDays"] == 90
    stored = store.get(report.actions[0].finding_id)
    assert stored.state is State.REMEDIATED
    assert stored.decided_by == "policy:auto"


# -- the actions --------------------------------------------------------------------------


def test_idle_endpoint_is_deleted_and_its_config_and_model_kept(clients, store, now) -> None:
    idle_endpoint(clients, now, tags=team_tags("churn", owner="ana"))
    first = run(clients, store, policy(), now, False)
    approve(store, fid(first, "idle-endpoint", "idle"), now=now)
    report = run(clients, store, policy(), now, True)
    assert outcomes(report)["idle"] is Outcome.REMEDIATED
    assert not endpoint_exists(clients, "idle")
    sm = clients.sagemaker(REGION)
    assert sm.describe_endpoint_config(EndpointConfigName="idle-config")
    assert sm.describe_model(ModelName="idle-alltraffic-model")
    [done, before] = store.audit_trail(ACCOUNT, REGION, "AWS::SageMaker::Endpoint", "idle")
    assert (before.phase, done.phase) == ("before", "done")
    assert before.before["endpoint_config_name"] == "idle-config"
    assert {"Key": "owner", "Value": "ana"} in before.before["tags"]
    assert before.actor == "test"


def test_volume_is_deleted_only_after_a_completed_snapshot_carrying_its_tags(
    clients, store, now
) -> None:
    vid = orphan(clients, now)
    approve(store, fid(run(clients, store, policy(), now, False), "orphaned-volume", vid), now=now)
    report = run(clients, store, policy(), now, True)
    assert outcomes(report)[vid] is Outcome.REMEDIATED
    assert volume_state(clients, vid) is None
    [snap] = snapshots_of(clients, vid)
    assert snap["State"] == "completed"
    tags = {t["Key"]: t["Value"] for t in snap["Tags"]}
    assert tags == {
        "cost-center": "cc-4410",
        "project": "vision",
        "environment": "prod",
        "govbot:source-volume": vid,
        "govbot:expires-on": f"{now + timedelta(days=90):%Y-%m-%d}",  # then expired-snapshot
    }


def test_pending_snapshot_is_finished_by_a_later_run_not_waited_on(clients, store, now) -> None:
    vid = orphan(clients, now)
    approve(store, fid(run(clients, store, policy(), now, False), "orphaned-volume", vid), now=now)
    ec2 = clients.ec2(REGION)
    ec2.meta.events.register(
        "after-call.ec2.CreateSnapshot",
        lambda parsed, **_: ext.set_snapshot_state(REGION, parsed["SnapshotId"], "pending"),
    )
    first = run(clients, store, policy(), now, True)
    assert outcomes(first)[vid] is Outcome.IN_PROGRESS
    assert volume_state(clients, vid) == "available"
    [snap] = snapshots_of(clients, vid)
    stored = store.get(first.actions[0].finding_id)
    assert stored.state is State.APPROVED
    assert stored.progress == {"snapshot_id": snap["SnapshotId"]}

    ext.set_snapshot_state(REGION, snap["SnapshotId"], "completed")
    second = run(clients, store, policy(), now + HOUR, True)
    assert outcomes(second)[vid] is Outcome.REMEDIATED
    assert volume_state(clients, vid) is None
    assert len(snapshots_of(clients, vid)) == 1  # never a second snapshot


def test_crash_between_snapshot_and_delete_is_resumed_without_loss(clients, store, now) -> None:
    vid = orphan(clients, now)
    finding_id = fid(run(clients, store, policy(), now, False), "orphaned-volume", vid)
    approve(store, finding_id, now=now)

    def die(**_: Any) -> None:
        raise Crash

    crashing = AwsClients()
    crashing.ec2(REGION).meta.events.register("before-call.ec2.DeleteVolume", die)
    with pytest.raises(Crash):
        run(crashing, store, policy(), now, True)
    stored = store.get(finding_id)
    assert stored.state is State.ACTING
    assert volume_state(clients, vid) == "available"  # nothing lost
    [snap] = snapshots_of(clients, vid)
    assert stored.progress == {"snapshot_id": snap["SnapshotId"]}

    # Another run before the lease runs out leaves it to the first run.
    assert run(clients, store, policy(), now + 5 * 60 * timedelta(seconds=1), True).actions == []
    resumed = run(clients, store, policy(), now + 20 * 60 * timedelta(seconds=1), True)
    assert outcomes(resumed)[vid] is Outcome.REMEDIATED
    assert volume_state(clients, vid) is None
    assert len(snapshots_of(clients, vid)) == 1
    phases = [r.phase for r in store.audit_trail(ACCOUNT, REGION, "AWS::EC2::Volume", vid)]
    assert sorted(phases) == ["before", "done"]  # the before-state recorded once


def test_runaway_job_is_stopped(clients, store, now) -> None:
    make_training_job(
        clients, REGION, "runaway", "ml.p3.2xlarge", 1, team_tags("p"), now - 30 * HOUR
    )
    pol = policy(**{"runaway-training-job": {"mode": "auto"}})
    report = run(clients, store, pol, now, True)
    assert outcomes(report)["runaway"] is Outcome.REMEDIATED
    job = clients.sagemaker(REGION).describe_training_job(TrainingJobName="runaway")
    assert job["TrainingJobStatus"] == "Stopped"


def test_tag_missing_is_opt_in_and_never_deletes(clients, store, now) -> None:
    make_endpoint(
        clients,
        REGION,
        "bare",
        [make_variant("AllTraffic", "ml.m5.large")],
        as_tags(project="x"),
        now,
    )
    off = run(clients, store, policy(**{"untagged-resource": {"mode": "auto"}}), now, True)
    assert outcomes(off)["bare"] is Outcome.NO_ACTION

    on = policy(**{"untagged-resource": {"mode": "auto", "tag_missing": True}})
    store.transition(off.actions[0].finding_id, {State.APPROVED}, State.APPROVED)
    report = run(clients, store, on, now, True)
    assert outcomes(report)["bare"] is Outcome.REMEDIATED
    arn = clients.sagemaker(REGION).describe_endpoint(EndpointName="bare")["EndpointArn"]
    tags = clients.sagemaker(REGION).list_tags(ResourceArn=arn)["Tags"]
    assert {"Key": "govbot:missing-tags", "Value": "cost-center environment"} in tags


# -- the safety rails ---------------------------------------------------------------------


def test_resource_that_became_exempt_is_untouched(clients, store, now) -> None:
    idle_endpoint(clients, now)
    finding_id = fid(run(clients, store, policy(), now, False), "idle-endpoint", "idle")
    approve(store, finding_id, now=now)
    arn = clients.sagemaker(REGION).describe_endpoint(EndpointName="idle")["EndpointArn"]
    clients.sagemaker(REGION).add_tags(
        ResourceArn=arn, Tags=[{"Key": "govbot:exempt", "Value": "true"}]
    )
    assert act(clients, store, now) == {"idle": Outcome.EXEMPT}
    assert endpoint_exists(clients, "idle")
    assert store.get(finding_id).state is State.RESOLVED


def test_endpoint_that_served_a_request_since_the_sweep_is_not_deleted(clients, store, now) -> None:
    idle_endpoint(clients, now)
    finding_id = fid(run(clients, store, policy(), now, False), "idle-endpoint", "idle")
    approve(store, finding_id, now=now)
    make_traffic(clients, REGION, "idle", "AllTraffic", now, hours_ago=[0.1], value=1)
    assert act(clients, store, now + HOUR / 2) == {"idle": Outcome.NO_LONGER_QUALIFIES}
    assert endpoint_exists(clients, "idle")
    assert store.get(finding_id).state is State.RESOLVED


def test_gone_before_acting_is_resolved_never_claimed_as_a_fix(clients, store, now) -> None:
    idle_endpoint(clients, now)
    finding_id = fid(run(clients, store, policy(), now, False), "idle-endpoint", "idle")
    approve(store, finding_id, now=now)
    clients.sagemaker(REGION).delete_endpoint(EndpointName="idle")
    assert act(clients, store, now) == {"idle": Outcome.ALREADY_GONE}
    stored = store.get(finding_id)
    assert stored.state is State.RESOLVED  # somebody else removed it: not govbot's fix
    assert "already gone" in stored.note
    assert store.audit_trail(ACCOUNT, REGION, "AWS::SageMaker::Endpoint", "idle") == []


def test_blast_radius_acts_on_the_costliest_and_defers_the_rest(clients, store, now) -> None:
    for name, itype in (
        ("small", "ml.m5.large"),
        ("big", "ml.g4dn.xlarge"),
        ("mid", "ml.m5.xlarge"),
    ):
        idle_endpoint(clients, now, name, type=itype)
    pol = policy(**{"idle-endpoint": {"mode": "auto", "max_actions_per_run": 2}})
    report = run(clients, store, pol, now, True)
    assert outcomes(report) == {
        "big": Outcome.REMEDIATED,
        "mid": Outcome.REMEDIATED,
        "small": Outcome.DEFERRED,
    }
    assert endpoint_exists(clients, "small")
    assert clients.calls["sagemaker.DeleteEndpoint"] == 2
    assert outcomes(run(clients, store, pol, now + DAY, True)) == {"small": Outcome.REMEDIATED}


def test_grace_period_waits_from_first_seen(clients, store, now) -> None:
    idle_endpoint(clients, now)
    pol = policy(**{"idle-endpoint": {"mode": "auto", "grace_days": 2}})
    assert outcomes(run(clients, store, pol, now, True)) == {"idle": Outcome.WAITING_GRACE}
    assert outcomes(run(clients, store, pol, now + DAY, True)) == {"idle": Outcome.WAITING_GRACE}
    assert endpoint_exists(clients, "idle")
    assert outcomes(run(clients, store, pol, now + 2 * DAY + HOUR, True)) == {
        "idle": Outcome.REMEDIATED
    }


def test_double_approval_acts_once(clients, store, now) -> None:
    idle_endpoint(clients, now)
    finding_id = fid(run(clients, store, policy(), now, False), "idle-endpoint", "idle")
    decide_one(store, finding_id, Decision.APPROVE, by="ana", now=now)
    with pytest.raises(StateConflict, match="is approved"):
        decide_one(store, finding_id, Decision.APPROVE, by="ben", now=now)
    assert store.get(finding_id).decided_by == "ana"
    run(clients, store, policy(), now, True)
    run(clients, store, policy(), now + HOUR, True)
    assert clients.calls["sagemaker.DeleteEndpoint"] == 1


def test_two_runs_claiming_the_same_finding_one_wins(clients, store, now) -> None:
    idle_endpoint(clients, now)
    finding_id = fid(run(clients, store, policy(), now, False), "idle-endpoint", "idle")
    approve(store, finding_id, now=now)
    planned = store.get(finding_id)
    store.claim(finding_id, now=now, lease=HOUR, finding=planned.finding)
    with pytest.raises(StateConflict, match="is acting"):
        store.claim(finding_id, now=now, lease=HOUR, finding=planned.finding)


def test_failed_action_is_recorded_and_can_be_approved_again(clients, store, now) -> None:
    idle_endpoint(clients, now)
    finding_id = fid(run(clients, store, policy(), now, False), "idle-endpoint", "idle")
    approve(store, finding_id, now=now)
    denied = AwsClients()
    fail_operation(denied, "sagemaker", "DeleteEndpoint", REGION, "AccessDeniedException")
    report = run(denied, store, policy(), now, True)
    assert outcomes(report)["idle"] is Outcome.FAILED
    stored = store.get(finding_id)
    assert stored.state is State.FAILED
    assert "AccessDenied" in stored.error
    assert endpoint_exists(clients, "idle")
    approve(store, finding_id, now=now)
    assert outcomes(run(clients, store, policy(), now, True))["idle"] is Outcome.REMEDIATED


# -- state across sweeps ------------------------------------------------------------------


def test_a_sweep_leaves_a_newly_exempt_resource_alone(clients, store, now) -> None:
    idle_endpoint(clients, now)
    finding_id = fid(run(clients, store, policy(), now, False), "idle-endpoint", "idle")
    approve(store, finding_id, now=now)
    arn = clients.sagemaker(REGION).describe_endpoint(EndpointName="idle")["EndpointArn"]
    clients.sagemaker(REGION).add_tags(
        ResourceArn=arn, Tags=[{"Key": "govbot:snooze-until", "Value": "2099-01-01"}]
    )
    assert run(clients, store, policy(), now, True).actions == []
    assert endpoint_exists(clients, "idle")
    assert store.get(finding_id).state is State.RESOLVED


def test_findings_no_longer_reported_are_resolved(clients, store, now) -> None:
    vid = orphan(clients, now)
    finding_id = fid(run(clients, store, policy(), now, False), "orphaned-volume", vid)
    clients.ec2(REGION).delete_volume(VolumeId=vid)
    run(clients, store, policy(), now + DAY, False)
    assert store.get(finding_id).state is State.RESOLVED


def test_a_failed_region_resolves_nothing(clients, store, now) -> None:
    vid = orphan(clients, now)
    finding_id = fid(run(clients, store, policy(), now, False), "orphaned-volume", vid)
    failing = AwsClients()
    fail_operation(failing, "ec2", "DescribeVolumes", REGION, "RequestLimitExceeded")
    run(failing, store, policy(), now + DAY, False)
    assert store.get(finding_id).state is State.PENDING_APPROVAL


def test_rejected_stays_rejected_however_often_it_is_found(clients, store, now) -> None:
    idle_endpoint(clients, now)
    pol = policy(**{"idle-endpoint": {"mode": "auto"}})
    finding_id = fid(run(clients, store, policy(), now, False), "idle-endpoint", "idle")
    decide_one(store, finding_id, Decision.REJECT, by="ana", now=now)
    for day in (1, 2):
        run(clients, store, pol, now + day * DAY, True)
    assert endpoint_exists(clients, "idle")
    assert store.get(finding_id).state is State.REJECTED


# -- restore ------------------------------------------------------------------------------


def test_restore_brings_the_endpoint_and_the_volume_back(clients, store, now) -> None:
    idle_endpoint(clients, now, tags=team_tags("churn"))
    vid = orphan(clients, now, Iops=6000, Throughput=250)
    pol = policy(**{"idle-endpoint": {"mode": "auto"}, "orphaned-volume": {"mode": "auto"}})
    report = run(clients, store, pol, now, True)
    assert not endpoint_exists(clients, "idle")
    assert volume_state(clients, vid) is None

    restore("AWS::SageMaker::Endpoint", store, clients, "idle", now)
    desc = clients.sagemaker(REGION).describe_endpoint(EndpointName="idle")
    assert desc["EndpointConfigName"] == "idle-config"
    tags = clients.sagemaker(REGION).list_tags(ResourceArn=desc["EndpointArn"])["Tags"]
    assert {"Key": "project", "Value": "churn"} in tags

    message = restore("AWS::EC2::Volume", store, clients, vid, now)
    again = restore("AWS::EC2::Volume", store, clients, vid, now)
    assert again.startswith("already restored on")
    assert message in again
    assert (
        len(
            clients.ec2(REGION).describe_volumes(
                Filters=[{"Name": "tag:govbot:restored-from", "Values": [vid]}]
            )["Volumes"]
        )
        == 1
    )
    new_id = message.split(" as ")[1].split()[0]
    [vol] = clients.ec2(REGION).describe_volumes(VolumeIds=[new_id])["Volumes"]
    assert (vol["AvailabilityZone"], vol["VolumeType"], vol["Size"]) == (f"{REGION}a", "gp3", 500)
    assert (vol["Iops"], vol["Throughput"]) == (6000, 250)
    assert vol["SnapshotId"] == snapshots_of(clients, vid)[0]["SnapshotId"]
    vtags = {t["Key"]: t["Value"] for t in vol["Tags"]}
    assert vtags["project"] == "vision"
    assert vtags["govbot:restored-from"] == vid

    # Restored means rejected: auto mode does not take it away again the next night.
    for a in report.actions:
        assert store.get(a.finding_id).state is State.REJECTED
    run(clients, store, pol, now + DAY, True)
    assert endpoint_exists(clients, "idle")


def test_restore_without_a_record_changes_nothing(clients, store, now) -> None:
    with pytest.raises(RestoreError, match="no record of govbot deleting endpoint ghost"):
        restore("AWS::SageMaker::Endpoint", store, clients, "ghost", now)
    with pytest.raises(RestoreError, match="no record of govbot deleting volume vol-1"):
        restore("AWS::EC2::Volume", store, clients, "vol-1", now)


def test_a_policy_turned_auto_takes_waiting_findings_but_not_rejected_ones(
    clients, store, now
) -> None:
    idle_endpoint(clients, now, "waiting")
    idle_endpoint(clients, now, "refused")
    first = run(clients, store, policy(), now, False)
    decide_one(store, fid(first, "idle-endpoint", "refused"), Decision.REJECT, by="ana", now=now)
    report = run(clients, store, policy(**{"idle-endpoint": {"mode": "auto"}}), now, True)
    assert outcomes(report) == {"waiting": Outcome.REMEDIATED}
    assert endpoint_exists(clients, "refused")
    assert store.get(fid(first, "idle-endpoint", "waiting")).decided_by == "policy:auto"


def test_the_re_check_reads_in_bulk_and_the_actions_reuse_it(clients, store, now) -> None:
    for name in ("a", "b", "c"):
        idle_endpoint(clients, now, name)
    for group in ("/x", "/y"):
        make_log_group(clients, REGION, group, stored_gb=1)
    pol = policy(**{"idle-endpoint": {"mode": "auto"}, "log-retention-gap": {"mode": "auto"}})
    run(clients, store, pol, now, False)
    counted = AwsClients()
    approved = store.by_state(State.APPROVED)
    done = Cycle(pol, store, now, False, "t", lambda _account: counted).settle(approved)
    assert {a.outcome for a in done} == {Outcome.REMEDIATED}
    assert len(approved) == 5
    calls = counted.calls
    assert calls["resourcegroupstaggingapi.GetResources"] == 2  # one per family, not per resource
    assert calls["logs.DescribeLogGroups"] == 2  # once per group, not again to see it exists
    assert calls["sagemaker.DescribeEndpoint"] == 3  # the re-check's; the delete reuses them
    assert "sagemaker.ListTags" not in calls
