"""idle-gpu-instance: idle accelerators by GPU or CPU readings, the look-alikes left alone,
the instances govbot will not stop, the stop and the start."""

from datetime import timedelta
from typing import Any

import pytest

from govbot.cycle.engine import govern
from govbot.cycle.models import Outcome
from govbot.cycle.policy import parse_policy
from govbot_emulator import moto_extensions as ext
from govbot_emulator.estate import make_utilisation, team_tags
from tests.helpers.restoring import restore
from tests.helpers.sweeping import REGION, by_id, sweep_one

ACCOUNT = "123456789012"
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
G5_HOURLY = 1.006  # g5.xlarge Linux on demand, us-east-1 (the emulated Price List)


def box(clients, now, instance_type="g5.xlarge", running_for=5 * DAY, **run: Any) -> str:
    ec2 = clients.ec2(REGION)
    [i] = ec2.run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        InstanceType=instance_type,
        TagSpecifications=[{"ResourceType": "instance", "Tags": team_tags("vision")}],
        **run,
    )["Instances"]
    ext.set_instance_launched(REGION, i["InstanceId"], now - running_for)
    return i["InstanceId"]


def readings(clients, now, iid, values, **kw: Any) -> None:
    """One reading an hour for 80 hours (unless told); ``values``: hours-ago to a value."""
    make_utilisation(clients, REGION, iid, now, values, **{"hours": 80, **kw})


def cpu(clients, now, iid, values=None, hours=80) -> None:
    readings(clients, now, iid, values or {}, gpu=None, hours=hours)


def found(clients, now, **settings: Any) -> dict[str, Any]:
    return by_id(sweep_one(clients, "idle-gpu-instance", now, **settings))


def test_idle_gpus_with_a_busy_cpu_are_idle(clients, now) -> None:
    iid = box(clients, now)
    readings(clients, now, iid, {})
    cpu(clients, now, iid, {h: 40.0 for h in range(80)})  # data loading keeps the CPU busy
    f = found(clients, now)[iid]
    assert f.monthly_cost_usd == pytest.approx(G5_HOURLY * 730)
    assert f.details["judged_by"] == "GPU"
    assert f.details["peak_percent"] == 1.0
    assert f.details["stoppable"] is True
    assert "GPU utilisation under 5% every hour of the last 72 h" in f.reason


def test_one_busy_hour_on_one_gpu_means_busy(clients, now) -> None:
    iid = box(clients, now, "g5.12xlarge")
    readings(clients, now, iid, {}, gpu=0)
    readings(clients, now, iid, {30: 85.0}, gpu=1)
    cpu(clients, now, iid)
    assert found(clients, now) == {}


def test_gpu_readings_win_over_an_idle_cpu_even_when_few(clients, now) -> None:
    iid = box(clients, now)
    readings(clients, now, iid, {2: 90.0}, hours=5)  # the agent came up 5 hours ago
    cpu(clients, now, iid)
    assert found(clients, now) == {}


@pytest.mark.parametrize("short", [False, True])
def test_gpu_readings_named_by_host_only_are_the_instances(clients, now, short) -> None:
    iid = box(clients, now)
    [r] = clients.ec2(REGION).describe_instances(InstanceIds=[iid])["Reservations"]
    dns = r["Instances"][0]["PrivateDnsName"]
    readings(clients, now, iid, {7: 95.0}, host=dns.split(".")[0] if short else dns)
    cpu(clients, now, iid)  # an idle CPU must not speak for a busy GPU
    assert found(clients, now) == {}


def test_idle_gpus_read_over_too_short_a_time_are_not_judged(clients, now) -> None:
    iid = box(clients, now)
    readings(clients, now, iid, {}, hours=10)
    cpu(clients, now, iid)
    report = sweep_one(clients, "idle-gpu-instance", now)
    assert by_id(report) == {}
    [undecided] = report.cannot_judge
    assert undecided.resource_id == iid
    assert "too few utilisation readings" in undecided.reason


def test_without_gpu_metrics_the_cpu_stands_in(clients, now) -> None:
    idle, busy = box(clients, now, "p3.2xlarge"), box(clients, now, "p3.2xlarge")
    cpu(clients, now, idle, {h: 2.0 for h in range(80)})
    cpu(clients, now, busy, {10: 70.0})
    [f] = found(clients, now).values()
    assert (f.resource_id, f.details["judged_by"]) == (idle, "CPU")


def test_no_readings_at_all_is_not_judged(clients, now) -> None:
    box(clients, now)
    report = sweep_one(clients, "idle-gpu-instance", now)
    assert by_id(report) == {}
    assert len(report.cannot_judge) == 1


def test_look_alikes_are_left_alone(clients, now) -> None:
    plain = box(clients, now, "m5.2xlarge")  # no accelerator: never this detector's
    young = box(clients, now, running_for=DAY)  # (re)started within the window
    stopped = box(clients, now)
    clients.ec2(REGION).stop_instances(InstanceIds=[stopped])
    for iid in (plain, young, stopped):
        cpu(clients, now, iid)
    report = sweep_one(clients, "idle-gpu-instance", now)
    assert by_id(report) == {}
    assert report.cannot_judge == []


@pytest.mark.parametrize("family", ["p4d.24xlarge", "g4dn.xlarge", "inf2.xlarge", "trn1.2xlarge"])
def test_every_accelerated_family_is_judged(clients, now, family) -> None:
    iid = box(clients, now, family)
    cpu(clients, now, iid)
    assert iid in found(clients, now)


def test_readings_are_read_in_bulk(clients, now) -> None:
    for _ in range(6):
        iid = box(clients, now)
        readings(clients, now, iid, {})
    report = sweep_one(clients, "idle-gpu-instance", now)
    assert len(by_id(report)) == 6
    assert report.api_calls["cloudwatch.GetMetricData"] == 1
    assert report.api_calls["cloudwatch.ListMetrics"] == 2  # one per GPU metric name


# -- stop, hold and start ----------------------------------------------------------------


def run(clients, store, now, apply=True):
    pol = parse_policy({"regions": [REGION], "detectors": {"idle-gpu-instance": {"mode": "auto"}}})
    return govern(pol, clients, store, now=now, dry_run=not apply, actor="test").report


def state(clients, iid: str) -> str:
    [r] = clients.ec2(REGION).describe_instances(InstanceIds=[iid])["Reservations"]
    return r["Instances"][0]["State"]["Name"]


def test_auto_stops_it_and_restore_starts_it(clients, store, now) -> None:
    iid = box(clients, now)
    readings(clients, now, iid, {})
    report = run(clients, store, now)
    assert {a.resource_id: a.outcome for a in report.actions}[iid] is Outcome.REMEDIATED
    assert state(clients, iid) == "stopped"
    note = restore("AWS::EC2::Instance", store, clients, iid, now)
    assert note == f"started instance {iid} again"
    assert state(clients, iid) == "running"


def test_instances_that_cannot_come_back_are_held_not_stopped(clients, store, now) -> None:
    spot = box(clients, now, InstanceMarketOptions={"MarketType": "spot"})
    clients.ec2(REGION).create_launch_template(
        LaunchTemplateName="gpu-lt",
        LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "g5.xlarge"},
    )
    clients.client("autoscaling", REGION).create_auto_scaling_group(
        AutoScalingGroupName="gpu-pool",
        LaunchTemplate={"LaunchTemplateName": "gpu-lt"},
        MinSize=1,
        MaxSize=1,
        AvailabilityZones=[f"{REGION}a"],
    )
    [pooled] = [
        i["InstanceId"]
        for r in clients.ec2(REGION).describe_instances(
            Filters=[{"Name": "tag:aws:autoscaling:groupName", "Values": ["gpu-pool"]}]
        )["Reservations"]
        for i in r["Instances"]
    ]
    ext.set_instance_launched(REGION, pooled, now - 5 * DAY)
    for iid in (spot, pooled):
        readings(clients, now, iid, {})
    report = run(clients, store, now)
    findings = {f.resource_id: f for f in report.findings if f.detector == "idle-gpu-instance"}
    assert findings[pooled].details["auto_scaling_group"] == "gpu-pool"
    assert "Auto Scaling group gpu-pool" in findings[pooled].proposed_action
    assert "Spot" in findings[spot].details["not_stoppable"]
    outcomes = {a.resource_id: a for a in report.actions}
    for iid in (spot, pooled):
        assert outcomes[iid].outcome is Outcome.HELD
        assert state(clients, iid) == "running"
