"""expired-snapshot: govbot's own snapshots are kept as long as the policy says, then retired."""

from __future__ import annotations

from datetime import timedelta

import pytest

from govbot.cycle.contracts import State
from govbot.cycle.decisions import Decision, decide_one
from govbot.cycle.engine import Cycle, govern
from govbot.cycle.models import Outcome
from govbot.cycle.policy import parse_policy
from govbot_emulator.estate import make_volume, team_tags
from tests.helpers.sweeping import REGION, by_id, sweep_one

DAY = timedelta(days=1)


def snapshot(clients, size: int, **tags: str) -> str:
    ec2 = clients.ec2(REGION)
    vid = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=size)["VolumeId"]
    return ec2.create_snapshot(
        VolumeId=vid,
        TagSpecifications=[
            {"ResourceType": "snapshot", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
        ],
    )["SnapshotId"]


def govbots(clients, size: int, expires: str) -> str:
    return snapshot(
        clients, size, **{"govbot:source-volume": "vol-0abc", "govbot:expires-on": expires}
    )


def test_the_volume_fix_keeps_its_snapshot_for_the_policys_days(clients, store, now) -> None:
    vid = make_volume(clients, REGION, f"{REGION}a", 100, "gp3", team_tags("t"), now - 30 * DAY)
    pol = parse_policy(
        {
            "regions": [REGION],
            "detectors": {"orphaned-volume": {"mode": "auto", "snapshot_retention_days": 30}},
        }
    )
    report = govern(pol, clients, store, now=now, dry_run=False, actor="t", regions=[REGION]).report
    assert {a.resource_id: a.outcome for a in report.actions}[vid] is Outcome.REMEDIATED
    [snap] = clients.ec2(REGION).describe_snapshots(
        Filters=[{"Name": "tag:govbot:source-volume", "Values": [vid]}]
    )["Snapshots"]
    tags = {t["Key"]: t["Value"] for t in snap["Tags"]}
    assert tags["govbot:expires-on"] == f"{now + 30 * DAY:%Y-%m-%d}"


def test_only_govbots_snapshots_past_their_date_are_findings(clients, now) -> None:
    expired = govbots(clients, 200, f"{now - 2 * DAY:%Y-%m-%d}")
    govbots(clients, 200, f"{now + 2 * DAY:%Y-%m-%d}")  # not yet
    snapshot(clients, 300, project="theirs")  # not govbot's: never judged
    snapshot(clients, 300, **{"govbot:expires-on": "someday"})  # not a date govbot wrote
    found = by_id(sweep_one(clients, "expired-snapshot", now))
    assert set(found) == {expired}
    f = found[expired]
    assert f.monthly_cost_usd == pytest.approx(200 * 0.05)
    assert "was due to go on" in f.reason
    assert f.resource_arn == f"arn:aws:ec2:{REGION}::snapshot/{expired}"


@pytest.mark.parametrize("retire", ["archive", "delete"])
def test_an_approved_expired_snapshot_is_archived_or_deleted(clients, store, now, retire) -> None:
    expired = govbots(clients, 50, f"{now - DAY:%Y-%m-%d}")
    pol = parse_policy({"regions": [REGION], "detectors": {"expired-snapshot": {"retire": retire}}})
    report = govern(pol, clients, store, now=now, dry_run=True, actor="t", regions=[REGION]).report
    [f] = [f for f in report.findings if f.detector == "expired-snapshot"]
    assert store.get(f.finding_id).state is State.PENDING_APPROVAL  # approval by default
    if retire == "archive":  # what bringing it back would cost, once, before anyone approves
        assert f.proposed_action.endswith("bringing it back costs $1.50 once)")  # 50 GB x $0.03
    decide_one(store, f.finding_id, Decision.APPROVE, by="ana", now=now)
    [outcome] = Cycle(pol, store, now, False, "t", lambda _a: clients).decided(f.finding_id)
    assert outcome.outcome is Outcome.REMEDIATED
    left = clients.ec2(REGION).describe_snapshots(
        Filters=[{"Name": "snapshot-id", "Values": [expired]}]
    )["Snapshots"]
    if retire == "archive":
        assert left[0]["StorageTier"] == "archive"
        # Archived: with retire archive it is no longer a finding.
        assert by_id(sweep_one(clients, "expired-snapshot", now, retire="archive")) == {}
    else:
        assert left == []
