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
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any, Literal, NamedTuple, Protocol

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, Field

from govbot.aws import AwsClients

log = logging.getLogger(__name__)

# The Price List Query API answers in these regions only; us-east-1 serves every region's prices.
PRICING_REGION = "us-east-1"
PAGE = 100  # GetProducts' largest page
FRESH_FOR = timedelta(days=1)
PERMISSIONS = ("pricing:GetProducts",)
# A sweep never waits long on prices: short timeouts, one retry, then the bundled table.
HURRIED = Config(connect_timeout=3, read_timeout=10, retries={"total_max_attempts": 2})

# Prices are kept in these units; a Price List dimension in another unit converts by the
# factor, and one in a unit not listed here is skipped (warned, with its SKU). Units are
# matched case-blind: AWS spells them "Hrs", "GB-Mo", "IOPS-Mo", "GiBps-mo". gp3 throughput
# is listed per GiBps-month ($40.96 in us-east-1), i.e. $0.04 per MiBps-month. "GB" is a
# one-time charge per GB (archive retrieval): it never converts to a monthly rate.
UNITS: dict[str, dict[str, float]] = {
    "Hrs": {"hrs": 1.0, "hours": 1.0},
    "GB-Mo": {"gb-mo": 1.0, "gb-month": 1.0},
    "IOPS-Mo": {"iops-mo": 1.0, "iops-month": 1.0},
    "MiBps-Mo": {"mibps-mo": 1.0, "gibps-mo": 1 / 1024},
    "GB": {"gb": 1.0},
}
# The unit each table of RegionPrices holds its prices in.
TABLE_UNITS = {
    "sagemaker_hosting_hourly": "Hrs",
    "sagemaker_training_hourly": "Hrs",
    "sagemaker_notebook_hourly": "Hrs",
    "ec2_hourly": "Hrs",
    "ebs_gb_month": "GB-Mo",
    "ebs_iops_month": "IOPS-Mo",
    "ebs_throughput_mibps_month": "MiBps-Mo",
    "ebs_snapshot_gb_month": "GB-Mo",
    "ebs_snapshot_retrieval_gb": "GB",
}
# A SageMaker instance product's usagetype names its component ("USE1-Host:ml.m5.xlarge").
SAGEMAKER_COMPONENTS = {
    "Hosting": ("sagemaker_hosting_hourly", "Host"),
    "Training": ("sagemaker_training_hourly", "Train"),
    "Notebook": ("sagemaker_notebook_hourly", "Notebk"),
}
EC2_INSTANCE_FAMILIES = ("Compute Instance", "Compute Instance (bare metal)")
# EBS products by usagetype (region prefix removed), from the Amazon EBS User Guide's
# "Understand codes for Amazon EBS in billing and usage reports". io1 is "piops" there; the
# snapshot family also holds archive retrieval (one-time, per GB), early delete and more,
# which are never storage.
EBS_USAGETYPES: dict[str, tuple[str, str]] = {
    "EBS:VolumeUsage.gp2": ("ebs_gb_month", "gp2"),
    "EBS:VolumeUsage.gp3": ("ebs_gb_month", "gp3"),
    "EBS:VolumeUsage.io2": ("ebs_gb_month", "io2"),
    "EBS:VolumeUsage.piops": ("ebs_gb_month", "io1"),
    "EBS:VolumeUsage.st1": ("ebs_gb_month", "st1"),
    "EBS:VolumeUsage.sc1": ("ebs_gb_month", "sc1"),
    "EBS:VolumeUsage": ("ebs_gb_month", "standard"),
    "EBS:VolumeP-IOPS.gp3": ("ebs_iops_month", "gp3"),
    "EBS:VolumeP-IOPS.io2": ("ebs_iops_month", "io2"),
    "EBS:VolumeP-IOPS.io2.tier2": ("ebs_iops_month", "io2-tier2"),
    "EBS:VolumeP-IOPS.io2.tier3": ("ebs_iops_month", "io2-tier3"),
    "EBS:VolumeP-IOPS.piops": ("ebs_iops_month", "io1"),
    "EBS:VolumeP-Throughput.gp3": ("ebs_throughput_mibps_month", "gp3"),
    "EBS:SnapshotUsage": ("ebs_snapshot_gb_month", "standard"),
    "EBS:SnapshotArchiveStorage": ("ebs_snapshot_gb_month", "archive"),
    "EBS:SnapshotArchiveRetrieval": ("ebs_snapshot_retrieval_gb", "archive"),
}
EBS_FAMILIES = ("Storage", "System Operation", "Provisioned Throughput", "Storage Snapshot")
# The usagetype's region prefix: "USE1-", "EU-", "APS3-" (AWS Region billing codes); EC2
# omits it in us-east-1, SageMaker does not.
_REGION_PREFIX = re.compile(r"^[A-Z]+[0-9]*-")
Key = tuple[str, str]  # (RegionPrices table, key in it)
# A copy of another shape (an older govbot's, whose units may be wrong) is read afresh.
SHAPE: Literal[2] = 2


class Listed(BaseModel):
    """One price as the Price List gives it: USD per the table's unit, the product's SKU, the
    date the price took effect, and the price as listed ("$40.96 per GiBps-mo")."""

    usd: float
    sku: str
    effective: str
    listed: str = ""


class RegionPrices(BaseModel):
    shape: Literal[2]
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
    # What bringing an archived snapshot back costs, once, per GB.
    ebs_snapshot_retrieval_gb: dict[str, Listed] = Field(default_factory=dict)

    def fresh(self, now: datetime) -> bool:
        return now - self.fetched_at < FRESH_FOR


def usage(attributes: dict[str, str]) -> str:
    """A product's usagetype without its region prefix."""
    return _REGION_PREFIX.sub("", attributes.get("usagetype", ""), count=1)


def _on_demand(product: dict[str, Any], unit: str) -> Listed | None:
    """The first non-zero on-demand price of a product (tiers start at zero), in ``unit``;
    None for a product with no such price or a price in a unit that does not convert."""
    sku = product["product"]["sku"]
    for term in product.get("terms", {}).get("OnDemand", {}).values():
        dimensions = sorted(
            term.get("priceDimensions", {}).values(),
            key=lambda d: float(d.get("beginRange", "0") or 0),
        )
        for dim in dimensions:
            usd = float(dim.get("pricePerUnit", {}).get("USD", "0") or 0)
            if usd <= 0:
                continue
            listed_unit = str(dim.get("unit", ""))
            factor = UNITS[unit].get(listed_unit.casefold())
            if factor is None:
                log.warning(
                    "Price List SKU %s is priced per %r, not a unit govbot converts to %s: skipped",
                    sku,
                    listed_unit,
                    unit,
                )
                return None
            return Listed(
                usd=usd * factor,
                sku=sku,
                effective=str(term.get("effectiveDate", ""))[:10],
                listed=f"${usd:g} per {listed_unit}",
            )
    return None


def _sagemaker_key(table: str, usage_word: str) -> Callable[[dict[str, str]], Key | None]:
    def key(attributes: dict[str, str]) -> Key | None:
        name = attributes.get("instanceName", "")
        return (table, name) if name and usage(attributes) == f"{usage_word}:{name}" else None

    return key


def _ec2_key(attributes: dict[str, str]) -> Key | None:
    name = attributes.get("instanceType", "")
    if not name or attributes.get("marketoption", "OnDemand") != "OnDemand":
        return None
    return ("ec2_hourly", name) if usage(attributes) == f"BoxUsage:{name}" else None


def _ebs_key(attributes: dict[str, str]) -> Key | None:
    return EBS_USAGETYPES.get(usage(attributes))


class Query(NamedTuple):
    """One bulk GetProducts query and how a product it returns is keyed (None: not one of
    the products wanted, such as a look-alike the filters let through)."""

    service: str
    match: dict[str, str]
    key: Callable[[dict[str, str]], Key | None]


def queries(region: str) -> list[Query]:
    """The queries that read a region's prices: only the region's own products (never an
    Outposts or Local Zone one), EC2's on demand (never Capacity Blocks), bare metal too."""
    here = {"regionCode": region, "locationType": "AWS Region"}
    found = [
        Query(
            "AmazonSageMaker",
            {**here, "productFamily": "ML Instance", "component": component},
            _sagemaker_key(table, word),
        )
        for component, (table, word) in SAGEMAKER_COMPONENTS.items()
    ]
    found += [
        Query(
            "AmazonEC2",
            {
                **here,
                "productFamily": family,
                "operatingSystem": "Linux",
                "tenancy": "Shared",
                "preInstalledSw": "NA",
                "capacitystatus": "Used",
                "licenseModel": "No License required",
                "marketoption": "OnDemand",
            },
            _ec2_key,
        )
        for family in EC2_INSTANCE_FAMILIES
    ]
    found += [
        Query("AmazonEC2", {**here, "productFamily": family}, _ebs_key) for family in EBS_FAMILIES
    ]
    return found


def parse(
    region: str, now: datetime, answers: Iterable[tuple[Query, dict[str, Any]]]
) -> RegionPrices:
    """A region's prices from the products its queries returned. Two products for one key
    (the same type in the same table) are a choice made the same way every time, the lower
    price (then the lower SKU), and a warning naming both; never a silent overwrite."""
    prices = RegionPrices(shape=SHAPE, region=region, fetched_at=now)
    for query, product in answers:
        attributes = product.get("product", {}).get("attributes", {})
        if attributes.get("locationType", "AWS Region") != "AWS Region":
            continue
        key = query.key(attributes)
        if key is None:
            continue
        table_name, name = key
        listed = _on_demand(product, TABLE_UNITS[table_name])
        if listed is None:
            continue
        table: dict[str, Listed] = getattr(prices, table_name)
        held = table.get(name)
        if held is not None and held.sku != listed.sku:
            keep, drop = sorted((held, listed), key=lambda x: (x.usd, x.sku))
            log.warning(
                "two Price List products for %s %s in %s: SKU %s (%s) kept, SKU %s (%s) not",
                table_name,
                name,
                region,
                keep.sku,
                keep.listed,
                drop.sku,
                drop.listed,
            )
            listed = keep
        table[name] = listed
    return prices


class PriceList:
    """Reads and parses a region's prices (uncached)."""

    def __init__(self, clients: AwsClients) -> None:
        self.clients = clients

    def _products(self, query: Query) -> Iterator[dict[str, Any]]:
        client = self.clients.client("pricing", PRICING_REGION, patience=HURRIED)
        filters = [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in query.match.items()]
        for page in client.get_paginator("get_products").paginate(
            ServiceCode=query.service,
            Filters=filters,
            FormatVersion="aws_v1",
            PaginationConfig={"PageSize": PAGE},
        ):
            for raw in page.get("PriceList", []):
                yield json.loads(raw) if isinstance(raw, str) else raw

    def region(self, region: str, now: datetime) -> RegionPrices:
        return parse(
            region,
            now,
            ((query, product) for query in queries(region) for product in self._products(query)),
        )


class PriceCache(Protocol):
    """Where a region's prices are kept between sweeps (the state table, govbot.state.store.Store):
    named by what it does, so this module imports no store."""

    def prices(self, region: str) -> RegionPrices | None: ...

    def put_prices(self, prices: RegionPrices) -> None: ...


class PriceBook:
    """A sweep's prices by region: the state table's copy while it is fresh, else the Price
    List (and the copy refreshed), else nothing (the bundled table stands in). Thread-safe:
    regions are swept in parallel."""

    def __init__(self, clients: AwsClients, store: PriceCache | None, now: datetime) -> None:
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
