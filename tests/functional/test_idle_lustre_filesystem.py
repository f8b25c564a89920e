"""idle-lustre-filesystem: FSx for Lustre file systems nothing reads or writes, the look-alikes
left alone (busy, young, unread, other FSx types), those AWS cannot back up reported and held
(scratch, linked to S3), the delete with a final backup, its re-check and the restore."""

from datetime import timedelta
from typing import Any

import pytest

from govbot.cycle.contracts import State
from govbot.cycle.decisions import Decision, decide_one
from govbot.cycle.engine import Cycle, govern
from govbot.cycle.models import Outcome
from govbot.cycle.policy import parse_policy
from govbot.detectors import DETECTORS
from govbot_emulator import fsx_lustre
from govbot_emulator.estate import make_lustre_activity, make_lustre_filesystem, team_tags
from tests.helpers.restoring import restore
from tests.helpers.sweeping import REGION, by_id, sweep_one

ACCOUNT = "123456789012"
DAY = timedelta(days=1)
DETECTOR = "idle-lustre-filesystem"
TYPE = "AWS::FSx::FileSystem"


def lustre(clients, now, age=10 * DAY, activity: Any = None, **kw: Any) -> str:
    fid = make_lustre_filesystem(clients, REGION, team_tags("llm"), now - age, **kw)
    if activity is not False:
        make_lustre_activity(clients, REGION, fid, now, activity)
    return fid


def file_systems(clients) -> set[str]:
    listed = clients.client("fsx", REGION).describe_file_systems()["FileSystems"]
    return {fs["FileSystemId"] for fs in listed if fs["FileSystemType"] == "LUSTRE"}


def only(**settings: Any) -> Any:
    detectors: dict[str, Any] = {d: {"enabled": d == DETECTOR} for d in DETECTORS}
    detectors[DETECTOR].update(settings)
    return parse_policy({"regions": [REGION], "detectors": detectors})


def test_an_idle_persistent_file_system_costs_its_storage(clients, now) -> None:
    fid = lustre(clients, now, capacity_gib=12000)
    f = by_id(sweep_one(clients, DETECTOR, now))[fid]
    assert f.monthly_cost_usd == pytest.approx(12000 * 0.145)
    assert f.reason == (
        "12,000 GiB PERSISTENT_2 Lustre file system with no data read or written and no "
        "metadata operations in the last 7 days"
    )
    assert f.proposed_action.startswith("delete it with a final backup")
    assert f.details["kept_because"] is None
    assert "12,000 GiB PERSISTENT_2|SSD|125 at $0.1450/GB-month" in f.details["cost_basis"]
    assert f.tags["project"] == "llm"


@pytest.mark.parametrize("metric_hours", [{48: 1.0}, {150: 3.0}])
def test_any_read_write_or_metadata_operation_in_the_window_means_busy(
    clients, now, metric_hours
) -> None:
    lustre(clients, now, activity=metric_hours)
    assert by_id(sweep_one(clients, DETECTOR, now)) == {}


def test_younger_unread_and_other_fsx_types_are_not_findings(clients, now) -> None:
    lustre(clients, now, age=3 * DAY)
    unread = lustre(clients, now, activity=False)
    clients.client("fsx", REGION).create_file_system(
        FileSystemType="WINDOWS",
        StorageCapacity=32,
        SubnetIds=["subnet-0a1b2c3d4e5f60718"],
        WindowsConfiguration={"ThroughputCapacity": 8},
    )
    report = sweep_one(clients, DETECTOR, now)
    assert by_id(report) == {}
    assert [(u.resource_id, u.reason) for u in report.cannot_judge] == [
        (unread, "no AWS/FSx activity metrics in the last 7 days")
    ]


def test_scratch_is_reported_with_its_s3_data_and_never_deleted(clients, store, now) -> None:
    fid = lustre(
        clients, now, deployment="SCRATCH_2", throughput=None, import_path="s3://ml-data/imagenet"
    )
    report = govern(only(mode="auto"), clients, store, now=now, dry_run=False, actor="t").report
    [f] = report.findings
    assert f.monthly_cost_usd == pytest.approx(1200 * 0.14)
    assert f.proposed_action == (
        "none: a scratch file system cannot be backed up; its data is kept in S3 at "
        "s3://ml-data/imagenet"
    )
    [a] = report.actions
    assert a.outcome is Outcome.HELD
    assert fid in file_systems(clients)


def test_a_persistent_one_linked_to_s3_by_an_association_is_held(clients, store, now) -> None:
    fid = lustre(clients, now)
    fsx_lustre.add_data_repository_association(REGION, fid, "s3://ml-data/checkpoints", ACCOUNT)
    report = govern(only(mode="auto"), clients, store, now=now, dry_run=False, actor="t").report
    [f] = report.findings
    assert f.details["s3_links"] == ["s3://ml-data/checkpoints"]
    assert "linked to S3 cannot be backed up" in f.proposed_action
    assert [a.outcome for a in report.actions] == [Outcome.HELD]
    assert fid in file_systems(clients)


def test_a_tier_without_a_price_is_unpriced_until_the_policy_gives_one(clients, now) -> None:
    from govbot.cycle.sweep import run_sweep

    fid = lustre(clients, now, deployment="PERSISTENT_1", throughput=200)
    f = by_id(sweep_one(clients, DETECTOR, now))[fid]
    assert f.monthly_cost_usd is None
    assert "pricing.fsx_lustre_gb_month['PERSISTENT_1|SSD|200']" in f.details["cost_basis"]
    detectors: dict[str, Any] = {d: {"enabled": d == DETECTOR} for d in DETECTORS}
    pol = parse_policy(
        {
            "regions": [REGION],
            "detectors": detectors,
            "pricing": {"fsx_lustre_gb_month": {"PERSISTENT_1|SSD|200": 0.29}},
        }
    )
    assert by_id(run_sweep(pol, clients, now=now))[fid].monthly_cost_usd == pytest.approx(348)


def test_auto_deletes_with_a_final_backup_and_restore_creates_it_again(clients, store, now) -> None:
    fid = lustre(clients, now, capacity_gib=2400)
    report = govern(only(mode="auto"), clients, store, now=now, dry_run=False, actor="t").report
    [a] = report.actions
    assert a.outcome is Outcome.REMEDIATED
    assert fid not in file_systems(clients)
    fsx = clients.client("fsx", REGION)
    [backup] = fsx.describe_backups(Filters=[{"Name": "file-system-id", "Values": [fid]}])[
        "Backups"
    ]
    tags = {t["Key"]: t["Value"] for t in backup["Tags"]}
    assert (tags["project"], tags["govbot:source-file-system"]) == ("llm", fid)

    note = restore(TYPE, store, clients, fid, now)
    [new] = file_systems(clients)
    got = fsx.describe_file_systems(FileSystemIds=[new])["FileSystems"][0]
    assert (got["StorageCapacity"], got["LustreConfiguration"]["DeploymentType"]) == (
        2400,
        "PERSISTENT_2",
    )
    restored = {t["Key"]: t["Value"] for t in got["Tags"]}
    assert (restored["project"], restored["govbot:restored-from"]) == ("llm", fid)
    assert "govbot:source-file-system" not in restored
    assert note.startswith(
        f"created Lustre file system {new} from final backup {backup['BackupId']}"
    )
    assert restore(TYPE, store, clients, fid, now).startswith("already restored on")


def test_used_between_approval_and_fix_is_not_deleted(clients, store, now) -> None:
    fid = lustre(clients, now)
    report = govern(only(), clients, store, now=now, dry_run=True, actor="t").report
    [f] = report.findings
    decide_one(store, f.finding_id, Decision.APPROVE, by="ana", now=now)
    make_lustre_activity(clients, REGION, fid, now, {0: 5e9}, days=1)  # a job read from it
    cycle = Cycle(only(), store, now, False, "t", lambda _account: clients)
    [outcome] = cycle.decided(f.finding_id)
    assert outcome.outcome is not Outcome.REMEDIATED
    assert fid in file_systems(clients)
    assert store.get(f.finding_id).state is State.RESOLVED
