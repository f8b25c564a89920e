"""Prices from the AWS Price List Query API (pricing:GetProducts), for one region at a time.

A region's prices are read in bulk (a few paginated queries: SageMaker instances by component,
EC2 Linux instances, EBS storage, IOPS, throughput and snapshots), kept in the state table and
read again at most once a day. A sweep never waits on the Price List: when it cannot be read
(no permission, no network, throttled), the sweep prices from the bundled table and says so.

What the queries ask for, and the attributes they read, are the Price List's own product
attributes (https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_pricing_GetProducts.html,
https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/using-the-aws-price-list-query-api.html).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, Field

from govbot.aws import AwsClients

if TYPE_CHECKING:
    from govbot.store import Store

log = logging.getLogger(__name__)

# The Price List Query API answers in these regions only; us-east-1 serves every region's prices.
PRICING_REGION = "us-east-1"
PAGE = 100  # GetProducts' largest page
FRESH_FOR = timedelta(days=1)
PERMISSIONS = ("pricing:GetProducts",)
# A sweep never waits long on prices: short timeouts, one retry, then the bundled table.
HURRIED = Config(connect_timeout=3, read_timeout=10, retries={"total_max_attempts": 2})

SAGEMAKER_COMPONENTS = {
    "Hosting": "sagemaker_hosting_hourly",
    "Training": "sagemaker_training_hourly",
    "Notebook": "sagemaker_notebook_hourly",
}


class Listed(BaseModel):
    """One price as the Price List gives it: USD per unit, the product's SKU, and the date the
    price took effect."""

    usd: float
    sku: str
    effective: str


class RegionPrices(BaseModel):
    region: str
    fetched_at: datetime
    sagemaker_hosting_hourly: dict[str, Listed] = Field(default_factory=dict)
    sagemaker_training_hourly: dict[str, Listed] = Field(default_factory=dict)
    sagemaker_notebook_hourly: dict[str, Listed] = Field(default_factory=dict)
    ec2_hourly: dict[str, Listed] = Field(default_factory=dict)
    ebs_gb_month: dict[str, Listed] = Field(default_factory=dict)  # by volume type
    # Provisioned IOPS per IOPS-month, by volume type ("io2", "io2-tier2", "io2-tier3",
    # "io1", "gp3"), and gp3 throughput per MiBps-month.
    ebs_iops_month: dict[str, Listed] = Field(default_factory=dict)
    ebs_throughput_mibps_month: dict[str, Listed] = Field(default_factory=dict)
    ebs_snapshot_gb_month: dict[str, Listed] = Field(default_factory=dict)  # standard, archive

    def fresh(self, now: datetime) -> bool:
        return now - self.fetched_at < FRESH_FOR


def _on_demand(product: dict[str, Any]) -> Listed | None:
    """The first non-zero on-demand price of a product (tiers start at zero)."""
    for term in product.get("terms", {}).get("OnDemand", {}).values():
        dimensions = sorted(
            term.get("priceDimensions", {}).values(),
            key=lambda d: float(d.get("beginRange", "0") or 0),
        )
        for dim in dimensions:
            usd = float(dim.get("pricePerUnit", {}).get("USD", "0") or 0)
            if usd > 0:
                return Listed(
                    usd=usd,
                    sku=product["product"]["sku"],
                    effective=str(term.get("effectiveDate", ""))[:10],
                )
    return None


def _ebs_key(attributes: dict[str, str]) -> str | None:
    """Which IOPS price a System Operation product is: io2's tiers are named by its group."""
    volume = attributes.get("volumeApiName")
    if not volume:
        return None
    group = attributes.get("group", "")
    for tier in ("Tier 2", "Tier 3"):
        if group.endswith(tier):
            return f"{volume}-tier{tier[-1]}"
    return volume


class PriceList:
    """Reads and parses a region's prices (uncached)."""

    def __init__(self, clients: AwsClients) -> None:
        self.clients = clients

    def _products(self, service: str, **match: str) -> Iterator[dict[str, Any]]:
        client = self.clients.client("pricing", PRICING_REGION, patience=HURRIED)
        filters = [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in match.items()]
        for page in client.get_paginator("get_products").paginate(
            ServiceCode=service,
            Filters=filters,
            FormatVersion="aws_v1",
            PaginationConfig={"PageSize": PAGE},
        ):
            for raw in page.get("PriceList", []):
                yield json.loads(raw) if isinstance(raw, str) else raw

    def region(self, region: str, now: datetime) -> RegionPrices:
        prices = RegionPrices(region=region, fetched_at=now)
        for component, kind in SAGEMAKER_COMPONENTS.items():
            table: dict[str, Listed] = getattr(prices, kind)
            for p in self._products(
                "AmazonSageMaker",
                regionCode=region,
                productFamily="ML Instance",
                component=component,
            ):
                listed = _on_demand(p)
                name = p["product"]["attributes"].get("instanceName")
                if listed and name:
                    table[name] = listed
        for p in self._products(
            "AmazonEC2",
            regionCode=region,
            productFamily="Compute Instance",
            operatingSystem="Linux",
            tenancy="Shared",
            preInstalledSw="NA",
            capacitystatus="Used",
            licenseModel="No License required",
        ):
            listed = _on_demand(p)
            name = p["product"]["attributes"].get("instanceType")
            if listed and name:
                prices.ec2_hourly[name] = listed
        for family, table, key in (
            ("Storage", prices.ebs_gb_month, lambda a: a.get("volumeApiName")),
            ("System Operation", prices.ebs_iops_month, _ebs_key),
            (
                "Provisioned Throughput",
                prices.ebs_throughput_mibps_month,
                lambda a: a.get("volumeApiName"),
            ),
            (
                "Storage Snapshot",
                prices.ebs_snapshot_gb_month,
                lambda a: "archive" if "Archive" in a.get("usagetype", "") else "standard",
            ),
        ):
            for p in self._products("AmazonEC2", regionCode=region, productFamily=family):
                listed = _on_demand(p)
                name = key(p["product"]["attributes"])
                if listed and name and name not in table:
                    table[name] = listed
        return prices


class PriceBook:
    """A sweep's prices by region: the state table's copy while it is fresh, else the Price
    List (and the copy refreshed), else nothing (the bundled table stands in). Thread-safe:
    regions are swept in parallel."""

    def __init__(self, clients: AwsClients, store: Store | None, now: datetime) -> None:
        self.source = PriceList(clients)
        self.store = store
        self.now = now
        self._lock = threading.Lock()
        self._regions: dict[str, RegionPrices | None] = {}
        # Why a region is priced from the bundled table, or from an older Price List copy,
        # for the report and the digest.
        self.fallbacks: dict[str, str] = {}
        self.stale: dict[str, str] = {}

    def region(self, region: str) -> RegionPrices | None:
        with self._lock:
            if region not in self._regions:
                self._regions[region] = self._load(region)
            return self._regions[region]

    def _load(self, region: str) -> RegionPrices | None:
        cached = None
        if self.store is not None:
            try:
                cached = self.store.prices(region)
            # ValueError: a copy an older govbot wrote in another shape is read afresh.
            except (ClientError, BotoCoreError, ValueError):
                log.warning("cached prices for %s unreadable", region, exc_info=True)
        if cached is not None and cached.fresh(self.now):
            return cached
        try:
            fetched = self.source.region(region, self.now)
        except (ClientError, BotoCoreError) as err:
            why = f"the AWS Price List could not be read ({type(err).__name__}: {err})"
            if cached is not None:  # a day-old price beats a bundled one
                self.stale[region] = f"{why}; its prices of {cached.fetched_at:%Y-%m-%d} stand"
                return cached
            self.fallbacks[region] = why
            return None
        if self.store is not None:
            try:
                self.store.put_prices(fetched)
            except (ClientError, BotoCoreError):
                log.warning("prices for %s not cached", region, exc_info=True)
        return fetched

    def note(self) -> str | None:
        """One line for the report and the digest when prices did not come fresh from the
        Price List."""
        lines = []
        if self.fallbacks:
            regions = ", ".join(sorted(self.fallbacks))
            why = next(iter(self.fallbacks.values()))
            lines.append(f"prices in {regions} are govbot's bundled table's: {why}")
        if self.stale:
            regions = ", ".join(sorted(self.stale))
            lines.append(f"prices in {regions}: {next(iter(self.stale.values()))}")
        return "; ".join(lines) or None
