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

from govbot.pricing import bundled_table

PUBLISHED = "2025-06-01T00:00:00Z"
ON_DEMAND = "JRTCKXETXF"  # the Price List's offer term code for on-demand
RATE = "6YS6EN2CT7"
# (region, family key, product key) -> USD, set by tests.
_LISTED: dict[tuple[str, str, str], float] = {}
SAGEMAKER = {
    "Hosting": ("sagemaker_hosting_hourly", "Host"),
    "Training": ("sagemaker_training_hourly", "Train"),
    "Notebook": ("sagemaker_notebook_hourly", "Notebk"),
}


def set_listed_price(region: str, kind: str, key: str, usd: float) -> None:
    """Make the emulated Price List quote ``usd`` for one product (kind as in RegionPrices,
    e.g. "sagemaker_hosting_hourly", "ebs_gb_month")."""
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


def _product(
    service: str,
    family: str,
    region: str,
    attributes: dict[str, str],
    usd: float,
    unit: str,
    what: str,
) -> dict[str, Any]:
    sku = hashlib.sha256(f"{service}|{region}|{family}|{sorted(attributes.items())}".encode())
    sku_id = sku.hexdigest()[:16].upper()
    return {
        "product": {
            "productFamily": family,
            "attributes": {
                "servicecode": service,
                "location": _region_names().get(region, region),
                "locationType": "AWS Region",
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
        "version": "20250601000000",
        "publicationDate": PUBLISHED,
    }


def _catalogue(region: str) -> list[dict[str, Any]]:
    """Every product the emulated Price List holds for a region (none for a region the
    bundled table has no factor for)."""
    table = bundled_table()
    factor = table.region_factors.get(region)
    if factor is None:
        return []

    def price(kind: str, key: str, bundled: float) -> float:
        return _LISTED.get((region, kind, key), round(bundled * factor, 6))

    found = []
    for component, (kind, usage) in SAGEMAKER.items():
        for itype, usd in getattr(table, kind).items():
            found.append(
                _product(
                    "AmazonSageMaker",
                    "ML Instance",
                    region,
                    {
                        "instanceName": itype,
                        "component": component,
                        "usagetype": f"{usage}:{itype}",
                        "operation": "RunInstance",
                    },
                    price(kind, itype, usd),
                    "Hrs",
                    f"{itype} {component}",
                )
            )
    for itype, usd in table.ec2_hourly.items():
        found.append(
            _product(
                "AmazonEC2",
                "Compute Instance",
                region,
                {
                    "instanceType": itype,
                    "operatingSystem": "Linux",
                    "tenancy": "Shared",
                    "preInstalledSw": "NA",
                    "capacitystatus": "Used",
                    "licenseModel": "No License required",
                    "usagetype": f"BoxUsage:{itype}",
                },
                price("ec2_hourly", itype, usd),
                "Hrs",
                f"{itype} Linux on demand",
            )
        )
    for vtype, usd in table.ebs_gb_month.items():
        found.append(
            _product(
                "AmazonEC2",
                "Storage",
                region,
                {"volumeApiName": vtype, "usagetype": f"EBS:VolumeUsage.{vtype}"},
                price("ebs_gb_month", vtype, usd),
                "GB-Mo",
                f"{vtype} volume storage",
            )
        )
    iops = [
        ("io1", "EBS IOPS", table.ebs_io1_iops_month),
        ("gp3", "EBS IOPS", table.ebs_gp3_iops_month_over_3000),
    ]
    iops += [
        ("io2", f"EBS IOPS{suffix}", usd)
        for (_, usd), suffix in zip(
            table.ebs_io2_iops_month_tiers, ("", " Tier 2", " Tier 3"), strict=False
        )
    ]
    for vtype, group, usd in iops:
        key = vtype + (f"-tier{group[-1]}" if "Tier" in group else "")
        found.append(
            _product(
                "AmazonEC2",
                "System Operation",
                region,
                {"volumeApiName": vtype, "group": group, "usagetype": f"EBS:VolumeP-IOPS.{key}"},
                price("ebs_iops_month", key, usd),
                "IOPS-Mo",
                f"{key} provisioned IOPS",
            )
        )
    found.append(
        _product(
            "AmazonEC2",
            "Provisioned Throughput",
            region,
            {"volumeApiName": "gp3", "usagetype": "EBS:VolumeP-Throughput.gp3"},
            price(
                "ebs_throughput_mibps_month", "gp3", table.ebs_gp3_throughput_mibps_month_over_125
            ),
            "MiBps-Mo",
            "gp3 provisioned throughput",
        )
    )
    for tier, usage in (
        ("standard", "EBS:SnapshotUsage"),
        ("archive", "EBS:SnapshotArchiveStorage"),
    ):
        usd = table.ebs_snapshot_gb_month.get(tier)
        if usd is not None:
            found.append(
                _product(
                    "AmazonEC2",
                    "Storage Snapshot",
                    region,
                    {"usagetype": usage},
                    price("ebs_snapshot_gb_month", tier, usd),
                    "GB-Mo",
                    f"EBS snapshot ({tier})",
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
