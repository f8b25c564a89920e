"""overprovisioned-endpoint: variants running more instances than their peak needs, the
look-alikes that must keep theirs, the scale-in and the restore."""

from datetime import timedelta
from typing import Any

import pytest

from govbot.cycle.contracts import State
from govbot.cycle.decisions import Decision, decide_one
from govbot.cycle.engine import Cycle, govern
from govbot.cycle.models import Outcome
from govbot.cycle.policy import parse_policy
from govbot_emulator.estate import make_endpoint, make_endpoint_load, make_variant, team_tags
from tests.helpers.restoring import restore
from tests.helpers.sweeping import REGION, by_id, sweep_one

ACCOUNT = "123456789012"
DAY = timedelta(days=1)
DETECTOR = "overprovisioned-endpoint"
M5_XLARGE_HOSTING_HOURLY = 0.23  # ml.m5.xlarge real-time hosting, us-east-1


def endpoint(clients, now, name="ranker", instance_type="ml.m5.xlarge", count=6, **load: Any):
    make_endpoint(clients, REGION, name, [make_variant("AllTraffic", instance_type, count)],
                  team_tags("search"), now - 30 * DAY)  # fmt: skip
    if load:
        make_endpoint_load(clients, REGION, name, "AllTraffic", now, **load)
    return name


def instances(clients, name="ranker") -> int:
    desc = clients.sagemaker(REGION).describe_endpoint(EndpointName=name)
    return desc["ProductionVariants"][0]["CurrentInstanceCount"]


def policy(**settings: Any) -> Any:
    return parse_policy({"regions": [REGION], "detectors": {DETECTOR: settings}})


def test_six_instances_whose_peak_two_would_serve(clients, now) -> None:
    endpoint(clients, now, count=6, cpu=60.0)  # 60% of 4 vCPUs' 400%: 15% busy at peak
    f = by_id(sweep_one(clients, DETECTOR, now))["ranker"]
    [v] = f.details["variants"]
    assert (v["current"], v["desired"], v["judged_by"]) == (6, 2, "CPU")
    assert v["peak_percent"] == 15.0
    # The four instances the peak does not need.
    assert f.monthly_cost_usd == pytest.approx(4 * M5_XLARGE_HOSTING_HOURLY * 730)
    assert "2 would do" in f.reason
    assert "AllTraffic to 2 instances" in f.proposed_action


@pytest.mark.parametrize(("headroom", "desired"), [(0, 2), (100, 2), (300, 4)])
def test_the_headroom_is_the_policys(clients, now, headroom, desired) -> None:
    endpoint(clients, now, count=8, cpu=40.0)  # 10% of capacity at peak, 8 x 10% = 0.8
    found = by_id(sweep_one(clients, DETECTOR, now, headroom_percent=headroom))
    assert found["ranker"].details["variants"][0]["desired"] == desired


def test_a_busy_variant_keeps_its_instances(clients, now) -> None:
    endpoint(clients, now, count=4, cpu=300.0)  # 75% at peak: 4 x 0.75 x 2 = 6 needed
    assert by_id(sweep_one(clients, DETECTOR, now)) == {}


def test_busy_gpus_behind_an_idle_cpu_keep_their_instances(clients, now) -> None:
    endpoint(clients, now, instance_type="ml.g4dn.xlarge", count=4, cpu=20.0, gpu=90.0)
    assert by_id(sweep_one(clients, DETECTOR, now)) == {}


def test_the_floor_keeps_two_instances(clients, now) -> None:
    endpoint(clients, now, name="three", count=3, cpu=4.0)
    endpoint(clients, now, name="two", count=2, cpu=4.0)
    found = by_id(sweep_one(clients, DETECTOR, now))
    assert set(found) == {"three"}
    assert found["three"].details["variants"][0]["desired"] == 2
    one = by_id(sweep_one(clients, DETECTOR, now, min_instances=1))
    assert one["two"].details["variants"][0]["desired"] == 1


def test_an_autoscaled_variant_is_the_policys_to_size(clients, now) -> None:
    endpoint(clients, now, count=6, cpu=8.0)
    clients.client("application-autoscaling", REGION).register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId="endpoint/ranker/variant/AllTraffic",
        ScalableDimension="sagemaker:variant:DesiredInstanceCount",
        MinCapacity=2,
        MaxCapacity=8,
    )
    assert by_id(sweep_one(clients, DETECTOR, now)) == {}


@pytest.mark.parametrize(
    ("kw", "why"),
    [
        ({"cpu": 4.0, "hours": 48}, "48 of 168 hours have CPU readings"),
        ({"instance_type": "ml.inf1.xlarge", "cpu": 4.0}, "accelerators report no utilisation"),
        ({"instance_type": "ml.g4dn.xlarge", "cpu": 4.0}, "0 of 168 hours have GPU readings"),
    ],
)
def test_what_it_cannot_read_it_does_not_judge(clients, now, kw, why) -> None:
    endpoint(clients, now, count=4, **kw)
    report = sweep_one(clients, DETECTOR, now)
    assert by_id(report) == {}
    [u] = report.cannot_judge
    assert why in u.reason


def test_instance_types_read_their_accelerators_from_ec2(clients, now) -> None:
    """Trainium is said only in DescribeInstanceTypes' NeuronInfo (no GpuInfo, no
    InferenceAcceleratorInfo): still an accelerator this detector cannot size by CPU."""
    from govbot.inventory import RegionInventory
    from govbot.pricing.pricer import Pricer

    inv = RegionInventory(clients, REGION, "123456789012", now, Pricer())
    shapes = inv.instance_shapes(["ml.trn1.2xlarge", "ml.g5.xlarge", "ml.m5.large"])
    assert shapes["ml.trn1.2xlarge"].other_accelerators
    assert shapes["ml.trn1.2xlarge"].gpus == 0
    assert (shapes["ml.g5.xlarge"].gpus, shapes["ml.g5.xlarge"].other_accelerators) == (1, False)
    assert (shapes["ml.m5.large"].gpus, shapes["ml.m5.large"].other_accelerators) == (0, False)
    assert clients.calls["ec2.DescribeInstanceTypes"] == 1


def test_no_traffic_is_idle_endpoints_to_judge(clients, now) -> None:
    endpoint(clients, now, count=4, cpu=1.0, calls_per_instance=0.0)
    assert by_id(sweep_one(clients, DETECTOR, now)) == {}


def test_auto_scales_in_and_restore_sets_it_back(clients, store, now) -> None:
    endpoint(clients, now, count=6, cpu=60.0)
    report = govern(policy(mode="auto"), clients, store, now=now, dry_run=False, actor="t").report
    [a] = [a for a in report.actions if a.detector == DETECTOR]
    assert a.outcome is Outcome.REMEDIATED
    assert instances(clients) == 2
    note = restore("AWS::SageMaker::Endpoint", store, clients, "ranker", now)
    assert note == "set endpoint ranker back to AllTraffic to 6 instances"
    assert instances(clients) == 6
    [f] = [f for f in report.findings if f.detector == DETECTOR]
    assert store.get(f.finding_id).state is State.REJECTED


def test_load_that_rose_before_the_fix_keeps_the_instances(clients, store, now) -> None:
    endpoint(clients, now, count=6, cpu=60.0)
    report = govern(policy(), clients, store, now=now, dry_run=True, actor="t").report
    [f] = [f for f in report.findings if f.detector == DETECTOR]
    decide_one(store, f.finding_id, Decision.APPROVE, by="ana", now=now)
    # A surge after the sweep: the re-check before acting reads it.
    clients.cloudwatch(REGION).put_metric_data(
        Namespace="/aws/sagemaker/Endpoints",
        MetricData=[{"MetricName": "CPUUtilization", "Value": 350.0, "Timestamp": now,
                     "Dimensions": [{"Name": "EndpointName", "Value": "ranker"},
                                    {"Name": "VariantName", "Value": "AllTraffic"}]}],
    )  # fmt: skip
    cycle = Cycle(policy(), store, now + timedelta(minutes=5), False, "t", lambda _a: clients)
    [outcome] = cycle.decided(f.finding_id)
    assert outcome.outcome is Outcome.NO_LONGER_QUALIFIES
    assert instances(clients) == 6
