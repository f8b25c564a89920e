"""The Price List's answers parsed as AWS gives them: units read from each price dimension,
only the region's on-demand products, usagetypes matched exactly, and a deterministic choice
(with a warning naming both SKUs) where two products claim one price. Fixtures of published
answers are under tests/fixtures/public/pricing (their sources in its README)."""

from __future__ import annotations

import copy
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from govbot.pricing.price_list import RegionPrices, parse, queries

PUBLIC = Path(__file__).parents[1] / "fixtures" / "public" / "pricing"
NOW = datetime(2026, 12, 6, tzinfo=UTC)


def published(name: str) -> list[dict[str, Any]]:
    answer = json.loads((PUBLIC / name).read_text())
    return [json.loads(p) for p in answer["PriceList"]]


def query(service: str, family: str, region: str = "us-east-1"):
    return next(
        q
        for q in queries(region)
        if q.service == service and q.match.get("productFamily") == family
    )


def parsed(region: str, *answers: tuple[Any, list[dict[str, Any]]]) -> RegionPrices:
    return parse(region, NOW, ((q, p) for q, products in answers for p in products))


def product(sku: str, family: str, attributes: dict[str, str], usd: str, unit: str) -> dict:
    """A product in GetProducts' shape (for the cases no published answer shows)."""
    rate = f"{sku}.JRTCKXETXF.6YS6EN2CT7"
    return {
        "product": {
            "productFamily": family,
            "sku": sku,
            "attributes": {"locationType": "AWS Region", "regionCode": "us-east-1", **attributes},
        },
        "terms": {
            "OnDemand": {
                f"{sku}.JRTCKXETXF": {
                    "priceDimensions": {
                        rate: {"unit": unit, "beginRange": "0", "pricePerUnit": {"USD": usd}}
                    },
                    "effectiveDate": "2026-09-01T00:00:00Z",
                }
            }
        },
    }


def test_the_aws_cli_example_answer_is_io1_storage_in_singapore() -> None:
    products = published("getproducts-ebs-io1-storage_aws-cli-example.json")
    prices = parsed("ap-southeast-1", (query("AmazonEC2", "Storage"), products))
    io1 = prices.ebs_gb_month["io1"]
    assert (io1.usd, io1.sku, io1.effective) == (0.138, "3MKHN58N7RDDVGKJ", "2018-08-01")
    assert io1.listed == "$0.138 per GB-Mo"


def test_offer_file_instances_are_priced_and_capacity_blocks_are_not() -> None:
    products = published("getproducts-ec2-us-east-1_offer-file-20260910195514.json")
    # Both orders: neither "first wins" nor "last wins" may let the look-alikes in.
    for order in (products, products[::-1]):
        prices = parsed("us-east-1", (query("AmazonEC2", "Compute Instance"), order))
        p5 = prices.ec2_hourly["p5.48xlarge"]
        assert (p5.usd, p5.sku) == (55.04, "3D4V8UAYEMB38GU2")
        assert prices.ec2_hourly["p4d.24xlarge"].usd == pytest.approx(21.957642)
        assert prices.ec2_hourly["m5.xlarge"].usd == 0.192  # not Windows' $0.376


def test_gp3_throughput_listed_per_gibps_month_is_kept_per_mibps_month() -> None:
    throughput = product(
        "T1",
        "Provisioned Throughput",
        {"volumeApiName": "gp3", "usagetype": "EBS:VolumeP-Throughput.gp3"},
        "40.9600000000",
        "GiBps-mo",
    )
    prices = parsed("us-east-1", (query("AmazonEC2", "Provisioned Throughput"), [throughput]))
    gp3 = prices.ebs_throughput_mibps_month["gp3"]
    assert gp3.usd == pytest.approx(0.04)
    assert gp3.listed == "$40.96 per GiBps-mo"


def test_a_unit_govbot_does_not_know_is_skipped_with_its_sku(caplog) -> None:
    odd = product(
        "ODDUNIT1",
        "Storage",
        {"volumeApiName": "gp3", "usagetype": "EBS:VolumeUsage.gp3"},
        "0.0001",
        "GB-Hrs",
    )
    with caplog.at_level(logging.WARNING, logger="govbot.pricing.price_list"):
        prices = parsed("us-east-1", (query("AmazonEC2", "Storage"), [odd]))
    assert "gp3" not in prices.ebs_gb_month
    assert "ODDUNIT1" in caplog.text
    assert "GB-Hrs" in caplog.text


def test_the_snapshot_family_gives_storage_and_a_one_time_retrieval_charge() -> None:
    def snap(sku: str, usage: str, usd: str, unit: str) -> dict:
        return product(sku, "Storage Snapshot", {"usagetype": f"USE2-{usage}"}, usd, unit)

    family = [
        snap("EARLY", "EBS:SnapshotArchiveEarlyDelete", "0.0375", "GB"),
        snap("RETRIEVE", "EBS:SnapshotArchiveRetrieval", "0.03", "GB"),
        snap("STANDARD", "EBS:SnapshotUsage", "0.05", "GB-Mo"),
        snap("ARCHIVE", "EBS:SnapshotArchiveStorage", "0.0125", "GB-Mo"),
        snap("UNDER", "EBS:SnapshotUsageUnderBilling", "0.0125", "GB-Mo"),
    ]
    for order in (family, family[::-1]):
        prices = parsed("us-east-2", (query("AmazonEC2", "Storage Snapshot", "us-east-2"), order))
        tiers = {k: (v.sku, v.usd) for k, v in prices.ebs_snapshot_gb_month.items()}
        assert tiers == {"standard": ("STANDARD", 0.05), "archive": ("ARCHIVE", 0.0125)}
        assert prices.ebs_snapshot_retrieval_gb["archive"].sku == "RETRIEVE"


def test_two_products_for_one_price_are_chosen_the_same_way_and_both_named(caplog) -> None:
    def storage(sku: str, usd: str) -> dict:
        return product(
            sku,
            "Storage",
            {"volumeApiName": "gp2", "usagetype": "EBS:VolumeUsage.gp2"},
            usd,
            "GB-Mo",
        )

    pair = [storage("DEARER", "0.12"), storage("CHEAPER", "0.10")]
    for order in (pair, pair[::-1]):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="govbot.pricing.price_list"):
            prices = parsed("us-east-1", (query("AmazonEC2", "Storage"), order))
        assert prices.ebs_gb_month["gp2"].sku == "CHEAPER"
        assert "DEARER" in caplog.text
        assert "CHEAPER" in caplog.text


def test_sagemaker_products_must_be_the_regions_own_and_name_their_component() -> None:
    def ml(sku: str, usd: str, usage: str, **more: str) -> dict:
        attributes = {"instanceName": "ml.g4dn.xlarge", "component": "Hosting", "usagetype": usage}
        return product(sku, "ML Instance", {**attributes, **more}, usd, "Hrs")

    hosting = query("AmazonSageMaker", "ML Instance")
    answer = [
        ml("OUTPOSTS1", "0.30", "USE1-Host:ml.g4dn.xlarge", locationType="AWS Outposts"),
        ml("REGION", "0.736", "USE1-Host:ml.g4dn.xlarge"),
        ml("ASYNC", "0.90", "USE1-AsyncInf:ml.g4dn.xlarge"),
        ml("OUTPOSTS2", "0.30", "USE1-Host:ml.g4dn.xlarge", locationType="AWS Outposts"),
    ]
    prices = parsed("us-east-1", (hosting, answer))
    assert (prices.sagemaker_hosting_hourly["ml.g4dn.xlarge"].sku) == "REGION"


def test_every_query_asks_for_the_regions_own_on_demand_products_bare_metal_included() -> None:
    asked = queries("us-east-1")
    assert all(q.match["locationType"] == "AWS Region" for q in asked)
    ec2 = [q.match for q in asked if "operatingSystem" in q.match]
    assert {m["productFamily"] for m in ec2} == {
        "Compute Instance",
        "Compute Instance (bare metal)",
    }
    assert all(m["marketoption"] == "OnDemand" for m in ec2)


def test_a_copy_without_the_current_shape_is_not_read_as_prices() -> None:
    prices = parsed("us-east-1")
    older = json.loads(prices.model_dump_json())
    del older["shape"]
    with pytest.raises(ValueError, match="shape"):
        RegionPrices.model_validate(copy.deepcopy(older))


def test_a_priced_capacity_block_never_stands_for_the_on_demand_price() -> None:
    def g5(sku: str, usd: str, market: str) -> dict:
        attributes = {
            "instanceType": "g5.xlarge",
            "usagetype": "BoxUsage:g5.xlarge",
            "marketoption": market,
        }
        return product(sku, "Compute Instance", attributes, usd, "Hrs")

    answer = [g5("BLOCK1", "0.40", "CapacityBlock"), g5("ONDEMAND", "1.006", "OnDemand")]
    answer.append(g5("BLOCK2", "0.40", "CapacityBlock"))
    prices = parsed("us-east-1", (query("AmazonEC2", "Compute Instance"), answer))
    assert prices.ec2_hourly["g5.xlarge"].sku == "ONDEMAND"
