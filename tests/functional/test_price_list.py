"""Costs from the AWS Price List for the exact region (the emulated account answers
GetProducts in its real shape), cached for a day in the state table, with the bundled table as
the fallback that never blocks a sweep, and the policy's discount and own prices over both."""

from datetime import timedelta

import pytest

from govbot.aws import AwsClients
from govbot.cycle.engine import govern
from govbot.cycle.policy import parse_policy
from govbot.delivery import sns
from govbot.delivery.digest import build_digest
from govbot.pricing.price_list import HURRIED, PriceBook
from govbot.pricing.pricer import Pricer
from govbot_emulator.moto_pricing import reset_listed_prices, set_listed_price
from tests.functional.test_idle_gpu_instance import box, readings
from tests.functional.test_remediation import REGION, idle_endpoint, orphan
from tests.helpers.aws_errors import fail_operation

HOURS = 730


@pytest.fixture(autouse=True)
def _list_prices_fresh():
    reset_listed_prices()
    yield
    reset_listed_prices()


def sweep(clients: AwsClients, store, now, **pricing):
    pol = parse_policy({"regions": [REGION], "pricing": pricing})
    clients.calls.clear()
    report = govern(pol, clients, store, now=now, dry_run=True, actor="t").report
    return {f.resource_id: f for f in report.findings if f.detector != "untagged-resource"}, report


def test_costs_come_from_the_price_list_and_name_its_sku_and_date(clients, store, now) -> None:
    idle_endpoint(clients, now)  # ml.m5.xlarge: $0.23/h in the bundled table
    vid = orphan(clients, now)  # 500 GiB gp3
    set_listed_price(REGION, "sagemaker_hosting_hourly", "ml.m5.xlarge", 0.25)
    set_listed_price(REGION, "ebs_gb_month", "gp3", 0.1)
    found, report = sweep(clients, store, now)
    endpoint, volume = found["idle"], found[vid]
    assert endpoint.monthly_cost_usd == pytest.approx(0.25 * HOURS)
    assert "AWS Price List 2026-09-01, SKU " in endpoint.details["cost_basis"]
    assert volume.monthly_cost_usd == pytest.approx(500 * 0.1)
    assert report.summary.pricing_note is None
    # A handful of bulk queries for the whole region, never one per resource.
    assert 0 < report.api_calls["pricing.GetProducts"] <= 12


def test_prices_are_cached_for_a_day_in_the_state_table(clients, store, now) -> None:
    idle_endpoint(clients, now)
    _, first = sweep(clients, store, now)
    assert first.api_calls["pricing.GetProducts"] > 0
    _, again = sweep(clients, store, now + timedelta(hours=20))
    assert "pricing.GetProducts" not in again.api_calls
    _, next_day = sweep(clients, store, now + timedelta(hours=25))
    assert next_day.api_calls["pricing.GetProducts"] > 0


def test_an_unreachable_price_list_falls_back_and_the_digest_says_so(clients, store, now) -> None:
    idle_endpoint(clients, now)
    fail_operation(
        clients, "pricing", "GetProducts", "us-east-1", "AccessDeniedException", patience=HURRIED
    )
    set_listed_price(REGION, "sagemaker_hosting_hourly", "ml.m5.xlarge", 9.99)  # never read
    found, report = sweep(clients, store, now)
    endpoint = found["idle"]
    assert endpoint.monthly_cost_usd == pytest.approx(0.23 * HOURS)  # the bundled price
    assert "bundled table 2026-09-10, the Price List unreachable" in endpoint.details["cost_basis"]
    note = report.summary.pricing_note
    assert note.startswith("prices in us-east-1 are govbot's bundled table's")
    assert "AccessDeniedException" in note
    digest = build_digest(report, parse_policy({}), {})
    assert f"Note: {note}." in sns.text(digest, 5)


def test_a_day_old_copy_beats_the_bundled_table_when_the_list_is_down(clients, store, now) -> None:
    idle_endpoint(clients, now)
    set_listed_price(REGION, "sagemaker_hosting_hourly", "ml.m5.xlarge", 0.3)
    sweep(clients, store, now)
    fail_operation(
        clients, "pricing", "GetProducts", "us-east-1", "ThrottlingException", patience=HURRIED
    )
    found, report = sweep(clients, store, now + timedelta(days=2))
    assert found["idle"].monthly_cost_usd == pytest.approx(0.3 * HOURS)
    assert f"its prices of {now:%Y-%m-%d} stand" in report.summary.pricing_note


def test_a_discount_applies_to_list_prices_and_policy_prices_win(clients, store, now) -> None:
    idle_endpoint(clients, now)
    idle_endpoint(clients, now, name="gpu", type="ml.g4dn.xlarge")
    set_listed_price(REGION, "sagemaker_hosting_hourly", "ml.m5.xlarge", 0.25)
    found, _ = sweep(
        clients,
        store,
        now,
        discount_percent=20,
        sagemaker_hosting_hourly={"ml.g4dn.xlarge": 0.5},
    )
    assert found["idle"].monthly_cost_usd == pytest.approx(0.25 * 0.8 * HOURS)
    assert "less 20%" in found["idle"].details["cost_basis"]
    assert found["gpu"].monthly_cost_usd == pytest.approx(0.5 * HOURS)
    assert "policy price" in found["gpu"].details["cost_basis"]


def test_the_price_list_can_be_turned_off(clients, store, now) -> None:
    idle_endpoint(clients, now)
    set_listed_price(REGION, "sagemaker_hosting_hourly", "ml.m5.xlarge", 0.25)
    found, report = sweep(clients, store, now, use_price_list=False)
    assert found["idle"].monthly_cost_usd == pytest.approx(0.23 * HOURS)
    assert "pricing.GetProducts" not in report.api_calls


def test_a_cached_copy_in_another_shape_is_read_afresh(clients, store, now) -> None:
    idle_endpoint(clients, now)
    store._put_single(f"PRICES#{REGION}", '{"region": "us-east-1", "written_by": "older"}')
    set_listed_price(REGION, "sagemaker_hosting_hourly", "ml.m5.xlarge", 0.25)
    found, report = sweep(clients, store, now)
    assert found["idle"].monthly_cost_usd == pytest.approx(0.25 * HOURS)
    assert report.api_calls["pricing.GetProducts"] > 0
    assert store.prices(REGION).sagemaker_hosting_hourly["ml.m5.xlarge"].usd == 0.25


def test_the_issue_figures_from_a_price_list_that_answers_as_aws_does(clients, store, now) -> None:
    """The emulated Price List lists throughput per GiBps-month, region-prefixed usagetypes,
    and look-alikes (Outposts, Capacity Blocks, snapshot retrieval) on both sides of each
    product: the prices are still the region's on-demand ones."""
    vid = orphan(clients, now, Iops=16000, Throughput=1000)
    idle_endpoint(clients, now, name="gpu", type="ml.g4dn.xlarge")
    iid = box(clients, now)  # g5.xlarge
    readings(clients, now, iid, {})
    found, _ = sweep(clients, store, now)
    volume, endpoint, instance = found[vid], found["gpu"], found[iid]
    assert volume.monthly_cost_usd == 140.00  # 500 x $0.08 + 13,000 x $0.005 + 875 x $0.04
    assert (
        "875 MiBps at $0.0400/MiBps-month (AWS Price List 2026-09-01, SKU "
        in (volume.details["cost_basis"])
    )
    assert endpoint.monthly_cost_usd == 537.28
    assert instance.monthly_cost_usd == 734.38
    # The real offer file's SKU for g5.xlarge is not in the fixture; g4dn's endpoint and the
    # volume name the emulated Price List's.
    for f in (volume, endpoint, instance):
        assert "AWS Price List 2026-09-01, SKU " in f.details["cost_basis"]


def test_an_archive_fix_says_what_bringing_the_snapshot_back_costs(clients, store, now) -> None:
    pricer = Pricer(book=PriceBook(clients, store, now))
    once = pricer.snapshot_retrieval(500, REGION)
    assert once.monthly_usd == 15.0  # $0.03 per GB, once
    assert "once" in once.basis
    assert pricer.ebs_snapshot(500, REGION, "archive").monthly_usd == 6.25  # not $0.03/GB-mo
