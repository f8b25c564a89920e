"""The AWS Price List Query API (GetProducts) in the emulated account, which moto lacks.

Registered as a moto service ("pricing"), so it answers over HTTP from the moto server and
in-process under ``mock_aws`` alike. Its catalogue is built from govbot's bundled price table
(the demo's costs stay what they were), in the Price List's own shape: each product a JSON
string with ``product`` (``productFamily``, ``attributes``, ``sku``) and ``terms.OnDemand``
with ``priceDimensions`` and ``pricePerUnit``, filtered by ``TERM_MATCH`` on product
attributes and paged with ``NextToken`` as the API does. ``set_listed_price`` changes one
product's price, to tell a Price List price from the bundled one in tests.

Only the demo and the tests import this module.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import types
from functools import cache
from typing import Any

from govbot.pricing.pricer import bundled_table

PUBLISHED = "2026-09-01T00:00:00Z"
ON_DEMAND = "JRTCKXETXF"  # the Price List's offer term code for on-demand
RATE = "6YS6EN2CT7"
# (region, family key, product key) -> USD in the table's unit, set by tests.
_LISTED: dict[tuple[str, str, str], float] = {}
SAGEMAKER = {
    "Hosting": ("sagemaker_hosting_hourly", "Host"),
    "Training": ("sagemaker_training_hourly", "Train"),
    "Notebook": ("sagemaker_notebook_hourly", "Notebk"),
}
# Usagetype prefixes, from "AWS Region billing codes" (AWS Regions and Availability Zones
# guide; eu-west-1's is the legacy "EU"). EC2 writes none in us-east-1; SageMaker writes one
# everywhere ("USE1-Host:ml.g4dn.xlarge").
BILLING_CODES = {
    "us-east-1": "USE1", "us-east-2": "USE2", "us-west-1": "USW1", "us-west-2": "USW2",
    "ca-central-1": "CAN1", "sa-east-1": "SAE1", "eu-west-1": "EU", "eu-west-2": "EUW2",
    "eu-west-3": "EUW3", "eu-central-1": "EUC1", "eu-north-1": "EUN1", "eu-south-1": "EUS1",
    "ap-northeast-1": "APN1", "ap-northeast-2": "APN2", "ap-northeast-3": "APN3",
    "ap-southeast-1": "APS1", "ap-southeast-2": "APS2", "ap-south-1": "APS3",
    "me-south-1": "MES1", "af-south-1": "AFS1",
}  # fmt: skip
EC2_PREFIX_EXCEPTIONS = {"us-east-1": ""}
# EC2 Linux on-demand products of us-east-1 as the AWS Price List offer file lists them
# (AmazonEC2/current/us-east-1/index.json, version 20260910195514): SKU and price per hour.
# tests/fixtures/public/pricing/ holds them in GetProducts' shape; a test keeps the two equal.
OFFER_FILE_US_EAST_1 = {
    "t3.micro": ("CRAJUW7BTXFMT2UJ", 0.0104),
    "m5.xlarge": ("5G4TA8Z4MUKE6MJB", 0.192),
    "g4dn.xlarge": ("7TVXMFHQR6U7W5CV", 0.526),
    "g5.2xlarge": ("FX9TUYTJKEENVBSR", 1.212),
    "g6.xlarge": ("TPKUC6XYSUQ3VFK2", 0.8048),
    "inf2.xlarge": ("M85N22VB4U7UGU9M", 0.7582),
    "p4d.24xlarge": ("H7NGEAC6UEHNTKSJ", 21.957642),
    "p5.48xlarge": ("3D4V8UAYEMB38GU2", 55.04),
    "trn1.32xlarge": ("WVVQPJVCQU4SR8XF", 21.5),
}
# Look-alikes the Price List lists beside the products govbot wants, each with a price that
# would be wrong if taken: Capacity Blocks ("marketoption": "CapacityBlock"; AWS quotes
# g5.xlarge blocks at about $0.40/h against $1.006 on demand), Outposts ML instances, EBS
# snapshot archive retrieval and early delete (per GB, once). They stand both before and after
# the product they look like, so neither "first wins" nor "last wins" gets the right price.
STRAY_SHARE = 0.4


def set_listed_price(region: str, kind: str, key: str, usd: float) -> None:
    """Make the emulated Price List quote ``usd`` for one product (kind as in RegionPrices,
    e.g. "sagemaker_hosting_hourly", "ebs_gb_month"; in that table's unit)."""
    _LISTED[(region, kind, key)] = usd


def reset_listed_prices() -> None:
    _LISTED.clear()


@cache
def _region_names() -> dict[str, str]:
    import botocore

    path = f"{botocore.__path__[0]}/data/endpoints.json"
    with open(path, encoding="utf-8") as fh:
        partitions = json.load(fh)["partitions"]
    return {r: v["description"] for p in partitions for r, v in p["regions"].items()}


def _prefix(service: str, region: str) -> str:
    if service == "AmazonEC2" and region in EC2_PREFIX_EXCEPTIONS:
        return EC2_PREFIX_EXCEPTIONS[region]
    return f"{BILLING_CODES.get(region, region.upper())}-"


def _product(
    service: str,
    family: str,
    region: str,
    attributes: dict[str, str],
    usd: float,
    unit: str,
    what: str,
    sku: str | None = None,
    location_type: str = "AWS Region",
) -> dict[str, Any]:
    digest = hashlib.sha256(
        f"{service}|{region}|{family}|{sorted(attributes.items())}|{location_type}|{usd}".encode()
    )
    sku_id = sku or digest.hexdigest()[:16].upper()
    return {
        "product": {
            "productFamily": family,
            "attributes": {
                "servicecode": service,
                "location": _region_names().get(region, region),
                "locationType": location_type,
                "regionCode": region,
                **attributes,
            },
            "sku": sku_id,
        },
        "serviceCode": service,
        "terms": {
            "OnDemand": {
                f"{sku_id}.{ON_DEMAND}": {
                    "priceDimensions": {
                        f"{sku_id}.{ON_DEMAND}.{RATE}": {
                            "unit": unit,
                            "endRange": "Inf",
                            "description": f"${usd:g} per {unit} for {what}",
                            "appliesTo": [],
                            "rateCode": f"{sku_id}.{ON_DEMAND}.{RATE}",
                            "beginRange": "0",
                            "pricePerUnit": {"USD": f"{usd:.10f}"},
                        }
                    },
                    "sku": sku_id,
                    "effectiveDate": PUBLISHED,
                    "offerTermCode": ON_DEMAND,
                    "termAttributes": {},
                }
            }
        },
        "version": "20260910195514",
        "publicationDate": "2026-09-10T19:55:14Z",
    }


def _catalogue(region: str) -> list[dict[str, Any]]:
    """Every product the emulated Price List holds for a region (none for a region the
    bundled table has no factor for), with its look-alikes on both sides."""
    table = bundled_table()
    factor = table.region_factors.get(region)
    if factor is None:
        return []

    def price(kind: str, key: str, bundled: float) -> float:
        return _LISTED.get((region, kind, key), round(bundled * factor, 6))

    found = []
    sm = _prefix("AmazonSageMaker", region)
    for component, (kind, usage) in SAGEMAKER.items():
        for itype, usd in getattr(table, kind).items():
            attributes = {
                "instanceName": itype,
                "component": component,
                "usagetype": f"{sm}{usage}:{itype}",
                "operation": "RunInstance",
            }
            # What makes it a look-alike is locationType "AWS Outposts" with the same component
            # and instanceName; its usagetype here is a stand-in (no public answer shows one).
            outposts = {**attributes, "usagetype": f"{sm}Outposts-{usage}:{itype}"}
            stray = round(usd * STRAY_SHARE, 6)
            args = ("AmazonSageMaker", "ML Instance", region)
            found += [
                _product(*args, outposts, stray, "Hrs", "Outposts", location_type="AWS Outposts"),
                _product(*args, attributes, price(kind, itype, usd), "Hrs", f"{itype} {component}"),
                _product(
                    *args,
                    {**outposts, "operation": "RunInstance:Outposts"},
                    stray,
                    "Hrs",
                    "Outposts",
                    location_type="AWS Outposts",
                ),
            ]
    ec2 = _prefix("AmazonEC2", region)
    for itype, usd in table.ec2_hourly.items():
        family = "Compute Instance (bare metal)" if itype.endswith(".metal") else "Compute Instance"
        attributes = {
            "instanceType": itype,
            "operatingSystem": "Linux",
            "tenancy": "Shared",
            "preInstalledSw": "NA",
            "capacitystatus": "Used",
            "licenseModel": "No License required",
            "marketoption": "OnDemand",
            "operation": "RunInstances",
            "usagetype": f"{ec2}BoxUsage:{itype}",
        }
        sku, listed = None, price("ec2_hourly", itype, usd)
        if region == "us-east-1" and itype in OFFER_FILE_US_EAST_1:
            sku, real = OFFER_FILE_US_EAST_1[itype]
            listed = _LISTED.get((region, "ec2_hourly", itype), real)
        block = {**attributes, "marketoption": "CapacityBlock", "operation": "RunInstances:CB"}
        stray = round(usd * STRAY_SHARE, 6)
        args = ("AmazonEC2", family, region)
        found += [
            _product(*args, block, stray, "Hrs", f"Capacity Block {itype}"),
            _product(*args, attributes, listed, "Hrs", f"On Demand Linux {itype}", sku=sku),
            _product(*args, {**block, "operation": "RunInstances:CB2"}, stray, "Hrs", "block"),
        ]
    volumes = {"piops": "io1", "": "standard"}
    for vtype, usd in table.ebs_gb_month.items():
        word = next((k for k, v in volumes.items() if v == vtype), vtype)
        found.append(
            _product(
                "AmazonEC2",
                "Storage",
                region,
                {
                    "volumeApiName": vtype,
                    "usagetype": f"{ec2}EBS:VolumeUsage" + (f".{word}" if word else ""),
                },
                price("ebs_gb_month", vtype, usd),
                "GB-Mo",
                f"{vtype} volume storage",
            )
        )
    iops = [
        ("io1", "piops", "EBS IOPS", table.ebs_io1_iops_month),
        ("gp3", "gp3", "EBS IOPS", table.ebs_gp3_iops_month_over_3000),
    ]
    iops += [
        (key, usage, group, usd)
        for (_, usd), key, usage, group in zip(
            table.ebs_io2_iops_month_tiers,
            ("io2", "io2-tier2", "io2-tier3"),
            ("io2", "io2.tier2", "io2.tier3"),
            ("EBS IOPS", "EBS IOPS Tier 2", "EBS IOPS Tier 3"),
            strict=False,
        )
    ]
    for key, usage, group, usd in iops:
        found.append(
            _product(
                "AmazonEC2",
                "System Operation",
                region,
                {
                    "volumeApiName": key.split("-")[0],
                    "group": group,
                    "usagetype": f"{ec2}EBS:VolumeP-IOPS.{usage}",
                },
                price("ebs_iops_month", key, usd),
                "IOPS-Mo",
                f"{key} provisioned IOPS",
            )
        )
    # Listed per GiBps-month: $40.96 in us-east-1, $0.04 per MiBps-month.
    found.append(
        _product(
            "AmazonEC2",
            "Provisioned Throughput",
            region,
            {"volumeApiName": "gp3", "usagetype": f"{ec2}EBS:VolumeP-Throughput.gp3"},
            round(
                price(
                    "ebs_throughput_mibps_month",
                    "gp3",
                    table.ebs_gp3_throughput_mibps_month_over_125,
                )
                * 1024,
                6,
            ),
            "GiBps-mo",
            "gp3 provisioned throughput",
        )
    )
    retrieval = table.ebs_snapshot_retrieval_gb.get("archive", 0.03)
    snapshots: list[tuple[str, float | None, str, tuple[str, str] | None]] = [
        ("EBS:SnapshotArchiveEarlyDelete", retrieval * 1.25, "GB", None),
        ("EBS:SnapshotArchiveRetrieval", retrieval, "GB", ("ebs_snapshot_retrieval_gb", "archive")),
        ("EBS:SnapshotUsage", None, "GB-Mo", ("ebs_snapshot_gb_month", "standard")),
        ("EBS:SnapshotArchiveStorage", None, "GB-Mo", ("ebs_snapshot_gb_month", "archive")),
        ("EBS:SnapshotUsageUnderBilling", 0.0125, "GB-Mo", None),
        ("EBS:SnapshotArchiveEarlyDelete", retrieval * 2.5, "GB", None),
    ]
    for usage, usd, unit, wanted in snapshots:
        if wanted is not None:
            bundled = getattr(table, wanted[0]).get(wanted[1])
            if bundled is None:
                continue
            usd = price(wanted[0], wanted[1], bundled)
        found.append(
            _product(
                "AmazonEC2",
                "Storage Snapshot",
                region,
                {"usagetype": f"{ec2}{usage}", "storageMedia": "Amazon S3"},
                usd or 0.0,
                unit,
                f"EBS snapshot {usage}",
            )
        )
    return found


def _matches(product: dict[str, Any], field: str, value: str) -> bool:
    if field == "productFamily":
        return bool(product["product"]["productFamily"] == value)
    return bool(product["product"]["attributes"].get(field) == value)


def _get_products(params: dict[str, Any]) -> dict[str, Any]:
    from moto.core.exceptions import JsonRESTError

    filters = params.get("Filters", [])
    for f in filters:
        if f.get("Type") != "TERM_MATCH":
            raise JsonRESTError("InvalidParameterException", f"unsupported filter {f}")
    region = next((f["Value"] for f in filters if f["Field"] == "regionCode"), None)
    products = _catalogue(region) if region else []
    chosen = [
        p
        for p in products
        if p["serviceCode"] == params.get("ServiceCode")
        and all(_matches(p, f["Field"], f["Value"]) for f in filters)
    ]
    size = min(int(params.get("MaxResults") or 100), 100)
    start = int(params.get("NextToken") or 0)
    page = chosen[start : start + size]
    answer: dict[str, Any] = {
        "FormatVersion": params.get("FormatVersion", "aws_v1"),
        "PriceList": [json.dumps(p) for p in page],
    }
    if start + size < len(chosen):
        answer["NextToken"] = str(start + size)
    return answer


def install() -> None:
    """Register the pricing service with moto (idempotent)."""
    if "moto.pricing" in sys.modules:
        return
    from moto import backend_index
    from moto.core.base_backend import BackendDict, BaseBackend
    from moto.core.responses import BaseResponse

    module = types.ModuleType("moto.pricing")

    class PricingResponse(BaseResponse):
        def __init__(self) -> None:
            super().__init__(service_name="pricing")

        def get_products(self) -> str:
            return json.dumps(_get_products(json.loads(self.body or "{}")))

    class PricingBackend(BaseBackend):
        @property
        def _url_module(self) -> Any:
            return module

    module.url_bases = [r"https?://(api\.)?pricing\.(.+)\.amazonaws\.com"]  # type: ignore[attr-defined]
    module.url_paths = {"{0}/$": PricingResponse.dispatch}  # type: ignore[attr-defined]
    module.pricing_backends = BackendDict(PricingBackend, "pricing")  # type: ignore[attr-defined]
    sys.modules["moto.pricing"] = module
    backend_index.backend_url_patterns.append(
        ("pricing", re.compile(r"https?://(api\.)?pricing\.(.+)\.amazonaws\.com"))
    )
