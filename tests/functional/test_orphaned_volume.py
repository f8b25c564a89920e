"""orphaned-volume on both sides of its thresholds."""

from datetime import timedelta

import pytest

from govbot_emulator.estate import as_tags, make_volume, team_tags
from tests.helpers.sweeping import REGION, by_id, sweep_one

DAY = timedelta(days=1)
AZ = f"{REGION}a"


@pytest.mark.parametrize(("age_days", "orphaned"), [(6.9, False), (7.1, True)])
def test_available_volume_is_orphaned_past_min_age(clients, now, age_days, orphaned) -> None:
    vid = make_volume(clients, REGION, AZ, 100, "gp3", team_tags("t"), now - age_days * DAY)
    assert (vid in by_id(sweep_one(clients, "orphaned-volume", now))) is orphaned


def test_min_age_is_the_policy_setting(clients, now) -> None:
    vid = make_volume(clients, REGION, AZ, 100, "gp3", team_tags("t"), now - 2 * DAY)
    assert vid in by_id(sweep_one(clients, "orphaned-volume", now, min_age_days=1))


def test_attached_volume_is_not_orphaned(clients, now) -> None:
    ec2 = clients.ec2(REGION)
    instance = ec2.run_instances(
        ImageId="ami-12c6146b", MinCount=1, MaxCount=1, Placement={"AvailabilityZone": AZ}
    )["Instances"][0]
    vid = make_volume(clients, REGION, AZ, 100, "gp3", team_tags("t"), now - 30 * DAY)
    ec2.attach_volume(VolumeId=vid, InstanceId=instance["InstanceId"], Device="/dev/sdf")
    assert vid not in by_id(sweep_one(clients, "orphaned-volume", now))


def test_finding_carries_cost_details_and_tags(clients, now) -> None:
    vid = make_volume(
        clients,
        REGION,
        AZ,
        500,
        "gp3",
        as_tags(project="vision"),
        now - 30 * DAY,
        Iops=6000,
        Throughput=250,
    )
    f = by_id(sweep_one(clients, "orphaned-volume", now))[vid]
    assert f.monthly_cost_usd == pytest.approx(500 * 0.08 + 3000 * 0.005 + 125 * 0.04)
    assert f.details["size_gib"] == 500
    assert f.details["iops"] == 6000
    assert f.details["availability_zone"] == AZ
    assert f.details["age_days"] == 30
    assert f.tags == {"project": "vision"}
    assert f.resource_arn == f"arn:aws:ec2:{REGION}:123456789012:volume/{vid}"
    assert "snapshot" in f.proposed_action


def test_a_volume_made_from_a_snapshot_names_it(clients, now) -> None:
    ec2 = clients.ec2(REGION)
    source = make_volume(clients, REGION, AZ, 50, "gp3", [], now - 60 * DAY)
    snap = ec2.create_snapshot(VolumeId=source)["SnapshotId"]
    vid = make_volume(clients, REGION, AZ, 50, "gp3", [], now - 30 * DAY, SnapshotId=snap)
    found = by_id(sweep_one(clients, "orphaned-volume", now))
    assert found[vid].details["snapshot_id"] == snap  # DescribeVolumes' SnapshotId
    assert found[source].details["snapshot_id"] is None  # "" for a blank volume


def test_eu_volume_is_priced_with_the_region_factor(clients, now) -> None:
    vid = make_volume(clients, "eu-west-1", "eu-west-1b", 1000, "st1", [], now - 30 * DAY)
    f = by_id(sweep_one(clients, "orphaned-volume", now, regions=("eu-west-1",)))[vid]
    assert f.monthly_cost_usd == pytest.approx(1000 * 0.045 * 1.1)
    assert f.region == "eu-west-1"


@pytest.mark.parametrize(("delta_days", "exempt"), [(1, True), (0, True), (-1, False)])
def test_snooze_until_a_date(clients, now, delta_days, exempt) -> None:
    until = (now + delta_days * DAY).date().isoformat()
    vid = make_volume(
        clients, REGION, AZ, 10, "gp2", as_tags(**{"govbot:snooze-until": until}), now - 30 * DAY
    )
    assert (vid not in by_id(sweep_one(clients, "orphaned-volume", now))) is exempt


def test_the_fix_is_priced_net_of_the_snapshot_it_keeps(clients, now) -> None:
    vid = make_volume(clients, REGION, AZ, 500, "gp3", team_tags("t"), now - 30 * DAY)
    f = by_id(sweep_one(clients, "orphaned-volume", now))[vid]
    assert f.monthly_cost_usd == pytest.approx(500 * 0.08)  # what the volume costs
    assert f.details["snapshot_monthly_usd"] == pytest.approx(500 * 0.05)  # at most
    assert f.details["net_monthly_saving_usd"] == pytest.approx(500 * (0.08 - 0.05))
    assert "the fix keeps a snapshot of at most 500 GiB" in f.details["cost_basis"]
