"""idle-endpoint on both sides of each threshold, in an emulated account."""

from datetime import datetime, timedelta

import pytest

from govbot.aws import AwsClients
from govbot_emulator.estate import make_endpoint, make_traffic, make_variant, team_tags
from tests.helpers.sweeping import REGION, by_id, sweep_one

DAY = timedelta(days=1)


@pytest.fixture
def endpoint(clients: AwsClients, now: datetime):
    def make(name: str, age: timedelta = 10 * DAY, variants=None, tags=None) -> str:
        make_endpoint(
            clients,
            REGION,
            name,
            variants or [make_variant("AllTraffic", "ml.m5.xlarge")],
            team_tags("t") if tags is None else tags,
            now - age,
        )
        return name

    return make


def test_endpoint_with_no_invocations_is_idle_with_its_cost(clients, now, endpoint) -> None:
    endpoint("quiet", variants=[make_variant("AllTraffic", "ml.g4dn.xlarge", 2)])
    found = by_id(sweep_one(clients, "idle-endpoint", now))
    f = found["quiet"]
    assert f.monthly_cost_usd == pytest.approx(0.736 * 2 * 730)
    assert f.resource_type == "AWS::SageMaker::Endpoint"
    assert f.resource_arn.endswith(":endpoint/quiet")
    assert f.details["endpoint_config_name"] == "quiet-config"
    assert f.details["variants"][0]["instance_count"] == 2
    assert "no invocations in the last 24 h" in f.reason


def test_a_single_invocation_in_the_window_means_not_idle(clients, now, endpoint) -> None:
    endpoint("used-once")
    make_traffic(clients, REGION, "used-once", "AllTraffic", now, hours_ago=[23], value=1)
    assert by_id(sweep_one(clients, "idle-endpoint", now)) == {}


def test_traffic_before_the_window_does_not_count(clients, now, endpoint) -> None:
    endpoint("went-quiet")
    make_traffic(clients, REGION, "went-quiet", "AllTraffic", now, hours_ago=[30, 48])
    assert "went-quiet" in by_id(sweep_one(clients, "idle-endpoint", now))


@pytest.mark.parametrize(("idle_hours", "idle"), [(6, True), (24, False)])
def test_window_is_the_policy_setting(clients, now, endpoint, idle_hours, idle) -> None:
    endpoint("nightly-batch")
    make_traffic(clients, REGION, "nightly-batch", "AllTraffic", now, hours_ago=[10])
    found = by_id(sweep_one(clients, "idle-endpoint", now, idle_hours=idle_hours))
    assert ("nightly-batch" in found) is idle


@pytest.mark.parametrize(("age_hours", "judged"), [(23, False), (25, True)])
def test_endpoints_younger_than_the_window_are_not_judged(
    clients, now, endpoint, age_hours, judged
) -> None:
    endpoint("new", age=timedelta(hours=age_hours))
    report = sweep_one(clients, "idle-endpoint", now)
    assert ("new" in by_id(report)) is judged
    # Not judged means not even described; judged, its variants come from the bulk Search
    # and only its config is described.
    assert report.api_calls.get("sagemaker.DescribeEndpointConfig", 0) == (1 if judged else 0)
    assert report.api_calls.get("sagemaker.Search", 0) == (1 if judged else 0)
    assert "sagemaker.DescribeEndpoint" not in report.api_calls


def test_traffic_on_any_variant_keeps_the_endpoint(clients, now, endpoint) -> None:
    endpoint("ab", variants=[make_variant("A", "ml.m5.large"), make_variant("B", "ml.m5.large")])
    make_traffic(clients, REGION, "ab", "B", now, hours_ago=[2])
    assert by_id(sweep_one(clients, "idle-endpoint", now)) == {}


def test_idle_multi_variant_endpoint_costs_all_variants(clients, now, endpoint) -> None:
    endpoint(
        "ab", variants=[make_variant("A", "ml.m5.large", 2), make_variant("B", "ml.c5.xlarge")]
    )
    f = by_id(sweep_one(clients, "idle-endpoint", now))["ab"]
    assert f.monthly_cost_usd == pytest.approx(round((0.115 * 2 + 0.204) * 730, 2))
    assert "2 variant(s)" in f.reason


def test_serverless_endpoints_cost_nothing_idle_and_are_not_findings(
    clients, now, endpoint
) -> None:
    endpoint(
        "sls",
        variants=[
            {
                "VariantName": "AllTraffic",
                "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5},
            }
        ],
    )
    assert by_id(sweep_one(clients, "idle-endpoint", now)) == {}


def test_unknown_instance_type_is_a_finding_without_a_figure(clients, now, endpoint) -> None:
    endpoint("exotic", variants=[make_variant("AllTraffic", "ml.r5d.large")])
    f = by_id(sweep_one(clients, "idle-endpoint", now))["exotic"]
    assert f.monthly_cost_usd is None
    assert "no sagemaker hosting price for ml.r5d.large" in f.details["cost_basis"]


@pytest.mark.parametrize("exempt", ["true", "idle-endpoint", "untagged-resource,idle-endpoint"])
def test_exempt_endpoints_are_never_findings(clients, now, endpoint, exempt) -> None:
    endpoint("kept", tags=team_tags("t", **{"govbot:exempt": exempt}))
    report = sweep_one(clients, "idle-endpoint", now)
    assert by_id(report) == {}
    assert report.summary.exempted == 1


def test_exempt_for_another_detector_only_is_still_a_finding(clients, now, endpoint) -> None:
    endpoint("half-exempt", tags=team_tags("t", **{"govbot:exempt": "untagged-resource"}))
    assert "half-exempt" in by_id(sweep_one(clients, "idle-endpoint", now))


def test_metric_queries_are_batched_500_a_call(clients, now) -> None:
    from govbot.inventory import RegionInventory
    from govbot.kinds.endpoint import Series, traffic
    from govbot.pricing.pricer import Pricer

    series = [
        Series("Invocations", (("EndpointName", f"ep-{i}"), ("VariantName", "AllTraffic")))
        for i in range(501)
    ]
    make_traffic(clients, REGION, "ep-500", "AllTraffic", now, hours_ago=[1], value=7)
    inv = RegionInventory(clients, REGION, "123456789012", now, Pricer())
    totals = traffic(inv, series, timedelta(hours=24))
    assert clients.calls["cloudwatch.GetMetricData"] == 2
    assert totals[series[500]] == 7
    assert sum(totals.values()) == 7
