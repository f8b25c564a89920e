import pytest

from govbot.pricing.pricer import Cost, PriceOverrides, Pricer, bundled_table


@pytest.fixture
def pricer() -> Pricer:
    return Pricer()


def test_table_says_where_its_prices_come_from() -> None:
    table = bundled_table()
    assert "us-east-1" in table.source
    assert table.as_of
    assert table.region_factors["us-east-1"] == 1.0


def test_instance_hours_times_count_times_730(pricer: Pricer) -> None:
    cost = pricer.instances("sagemaker_hosting_hourly", "ml.m5.xlarge", 2, "us-east-1")
    assert cost.monthly_usd == pytest.approx(0.23 * 2 * 730)
    assert "2 x ml.m5.xlarge" in cost.basis


def test_region_factor_applies(pricer: Pricer) -> None:
    us = pricer.instances("sagemaker_training_hourly", "ml.p3.2xlarge", 1, "us-east-1")
    eu = pricer.instances("sagemaker_training_hourly", "ml.p3.2xlarge", 1, "eu-west-1")
    assert eu.monthly_usd == pytest.approx(round(us.monthly_usd * 1.1, 2))


def test_unknown_instance_type_has_no_figure_and_says_why(pricer: Pricer) -> None:
    cost = pricer.instances("sagemaker_hosting_hourly", "ml.r5d.large", 1, "us-east-1")
    assert cost.monthly_usd is None
    assert "no sagemaker hosting price for ml.r5d.large" in cost.basis


def test_unknown_region_has_no_figure(pricer: Pricer) -> None:
    cost = pricer.ebs_volume("gp3", 100, "xx-nowhere-1")
    assert cost.monthly_usd is None
    assert "no price for region xx-nowhere-1 in the bundled table" in cost.basis


def test_gp3_charges_iops_and_throughput_above_the_baseline(pricer: Pricer) -> None:
    base = pricer.ebs_volume("gp3", 500, "us-east-1", iops=3000, throughput=125)
    assert base.monthly_usd == pytest.approx(40.0)
    extra = pricer.ebs_volume("gp3", 500, "us-east-1", iops=6000, throughput=250)
    assert extra.monthly_usd == pytest.approx(40.0 + 3000 * 0.005 + 125 * 0.04)


def test_io2_iops_are_tiered(pricer: Pricer) -> None:
    cost = pricer.ebs_volume("io2", 100, "us-east-1", iops=40000)
    assert cost.monthly_usd == pytest.approx(100 * 0.125 + 32000 * 0.065 + 8000 * 0.0455)


def test_log_storage_by_stored_gb(pricer: Pricer) -> None:
    cost = pricer.log_storage(100 * 1024**3, "us-east-1")
    assert cost.monthly_usd == pytest.approx(3.0)


def test_policy_prices_win_in_every_region_and_the_discount_applies_to_list_prices() -> None:
    pricer = Pricer(
        PriceOverrides(
            sagemaker_hosting_hourly={"ml.m5.xlarge": 0.2, "ml.r5d.large": 0.15},
            region_factors={"xx-nowhere-1": 1.5},
            discount_percent=10,
        )
    )
    own = pricer.instances("sagemaker_hosting_hourly", "ml.m5.xlarge", 1, "eu-west-1")
    assert own.monthly_usd == 146.0  # the price paid: no factor, no discount
    assert "policy price" in own.basis
    assert pricer.instances(
        "sagemaker_hosting_hourly", "ml.r5d.large", 1, "xx-nowhere-1"
    ).monthly_usd == pytest.approx(0.15 * 730)
    listed = pricer.instances("sagemaker_hosting_hourly", "ml.m5.large", 1, "xx-nowhere-1")
    assert listed.monthly_usd == pytest.approx(round(0.115 * 1.5 * 0.9 * 730, 2))
    assert "less 10%" in listed.basis
    assert (
        Pricer().instances("sagemaker_hosting_hourly", "ml.m5.xlarge", 1, "us-east-1").monthly_usd
        == 167.9
    )


def test_total_is_unknown_when_any_part_is() -> None:
    assert Cost.total([Cost(1.0, "a"), Cost(None, "no price for b")]).monthly_usd is None
    assert Cost.total([Cost(1.25, "a"), Cost(2.5, "b")]) == Cost(3.75, "a; b")


def test_the_bundled_table_and_the_emulator_hold_the_published_offer_file_figures() -> None:
    """Where the published offer file lists a type, the bundled table (the fallback) and the
    emulated Price List quote the same figure and SKU: the June 2025 GPU cut included."""
    from govbot_emulator.moto_pricing import OFFER_FILE_US_EAST_1
    from tests.unit.test_price_list_parse import parsed, published, query

    products = published("getproducts-ec2-us-east-1_offer-file-20260910195514.json")
    prices = parsed("us-east-1", (query("AmazonEC2", "Compute Instance"), products))
    listed = {itype: (p.sku, p.usd) for itype, p in prices.ec2_hourly.items()}
    assert listed == OFFER_FILE_US_EAST_1
    table = bundled_table()
    for itype, (_, usd) in listed.items():
        assert table.ec2_hourly[itype] == pytest.approx(usd), itype
    assert table.ec2_hourly["p5.48xlarge"] == 55.04
    assert table.ec2_hourly["p4d.24xlarge"] == pytest.approx(21.957642)


def test_every_group_of_bundled_figures_names_its_source_and_date() -> None:
    table = bundled_table()
    groups = {
        name
        for name, value in table.model_dump().items()
        if isinstance(value, dict | float) and name not in ("sources",)
    }
    covered = {
        g for g in groups if g in table.sources or (g.startswith("ebs_") and "ebs" in table.sources)
    }
    assert groups - {"hours_per_month"} <= covered | {"sagemaker_serverless_provisioned_gb_second"}
    assert all(any(ch.isdigit() for ch in text) for text in table.sources.values())
