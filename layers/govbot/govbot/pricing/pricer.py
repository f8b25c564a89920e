"""Monthly cost estimates: prices from the AWS Price List for the exact region (see
price_list.py), the bundled on-demand table (data/prices.json: us-east-1 list prices and a
factor per region) where the Price List cannot be read or lacks a product, and the policy's
own prices and discount over both. An unknown instance type, volume type or region gives no
figure (``None``) and says why: govbot never makes a number up. Every figure's basis names its
source: the Price List's SKU and date, the bundled table and its date, or the policy.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

InstanceKind = Literal[
    "sagemaker_hosting_hourly",
    "sagemaker_training_hourly",
    "sagemaker_notebook_hourly",
    "ec2_hourly",
]
GIB = 1024**3


class PriceTable(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str
    as_of: str
    # Where each group of figures comes from, and as of when: by the table's field name.
    sources: dict[str, str]
    hours_per_month: float = 730
    region_factors: dict[str, float]
    sagemaker_hosting_hourly: dict[str, float]
    sagemaker_training_hourly: dict[str, float]
    sagemaker_notebook_hourly: dict[str, float]
    ec2_hourly: dict[str, float]
    # Bedrock provisioned throughput, per model unit-hour, by base model id; "id|OneMonth" and
    # "id|SixMonths" for the commitment terms.
    bedrock_model_unit_hourly: dict[str, float] = Field(default_factory=dict)
    ebs_gb_month: dict[str, float]
    ebs_gp3_iops_month_over_3000: float
    ebs_gp3_throughput_mibps_month_over_125: float
    ebs_io1_iops_month: float
    ebs_io2_iops_month_tiers: list[tuple[int | None, float]]
    ebs_snapshot_gb_month: dict[str, float] = Field(default_factory=dict)  # by storage tier
    # Bringing an archived snapshot back: a one-time charge per GB, never a monthly rate.
    ebs_snapshot_retrieval_gb: dict[str, float] = Field(default_factory=dict)
    cloudwatch_logs_stored_gb_month: float
    # FSx for Lustre storage per GB-month, by "DEPLOYMENT|STORAGE" (scratch) or
    # "DEPLOYMENT|STORAGE|MBps-per-TiB" (persistent): the throughput tier sets the rate.
    fsx_lustre_gb_month: dict[str, float] = Field(default_factory=dict)
    # An OpenSearch Serverless OCU-hour (indexing and search alike).
    opensearch_serverless_ocu_hourly: float | None = None
    # A SageMaker Canvas workspace instance, per session-hour (while a user is logged in).
    sagemaker_canvas_session_hourly: float | None = None
    # Serverless Inference provisioned concurrency, per GB of memory per second. The bundled
    # table has no figure for it (govbot makes none up): the policy's pricing can give one.
    sagemaker_serverless_provisioned_gb_second: float | None = None


class PriceOverrides(BaseModel):
    """The policy's ``pricing`` section: negotiated prices and a discount, over the Price List
    and the bundled table."""

    model_config = ConfigDict(extra="forbid")

    use_price_list: bool = Field(
        default=True,
        description="Read prices from the AWS Price List (else the bundled table only).",
    )
    discount_percent: float = Field(
        default=0,
        ge=0,
        lt=100,
        description="Off every list price (Price List or bundled), e.g. an EDP discount; not "
        "off the prices given below.",
    )
    # Prices you pay, in every region, by instance or volume type: they win over list prices.
    sagemaker_hosting_hourly: dict[str, float] = Field(default_factory=dict)
    sagemaker_training_hourly: dict[str, float] = Field(default_factory=dict)
    sagemaker_notebook_hourly: dict[str, float] = Field(default_factory=dict)
    ec2_hourly: dict[str, float] = Field(default_factory=dict)
    ebs_gb_month: dict[str, float] = Field(default_factory=dict)
    # Bedrock provisioned throughput per model unit-hour, by base model id ("id|OneMonth",
    # "id|SixMonths" for committed terms).
    bedrock_model_unit_hourly: dict[str, float] = Field(default_factory=dict)
    # FSx for Lustre storage per GB-month, keyed as `govbot prices` shows
    # ("PERSISTENT_1|SSD|200"): the bundled table has only some tiers.
    fsx_lustre_gb_month: dict[str, float] = Field(default_factory=dict)
    # Factors for the bundled table, for a region it lacks.
    region_factors: dict[str, float] = Field(default_factory=dict)
    sagemaker_serverless_provisioned_gb_second: float | None = Field(default=None, gt=0)


# What each kind of price is per, as `govbot prices` says it (the Price List's units convert to
# these, price_list.UNITS).
PER = {
    "sagemaker_hosting_hourly": "hour",
    "sagemaker_training_hourly": "hour",
    "sagemaker_notebook_hourly": "hour",
    "ec2_hourly": "hour",
    "bedrock_model_unit_hourly": "model unit-hour",
    "ebs_gb_month": "GB-month",
    "ebs_iops_month": "IOPS-month",
    "ebs_throughput_mibps_month": "MiBps-month",
    "ebs_snapshot_gb_month": "GB-month",
    "ebs_snapshot_retrieval_gb": "GB, once",
    "cloudwatch_logs_stored_gb_month": "GB-month",
    "fsx_lustre_gb_month": "GB-month",
    "opensearch_serverless_ocu_hourly": "OCU-hour",
    "sagemaker_canvas_session_hourly": "session-hour",
}


class Quote(BaseModel):
    """One price govbot would use, and where it comes from, so a person can hold it against
    the AWS pricing calculator."""

    kind: str
    type: str
    region: str
    usd: float | None
    per: str
    source: str
    listed: str | None = None  # as the Price List lists it ("$40.96 per GiBps-mo")
    discount_percent: float = 0


@cache
def bundled_table() -> PriceTable:
    text = resources.files("govbot").joinpath("data/prices.json").read_text()
    return PriceTable.model_validate(json.loads(text))


@dataclass(frozen=True)
class Cost:
    monthly_usd: float | None
    basis: str  # how the figure was made, or why there is none

    @staticmethod
    def total(costs: Iterable[Cost]) -> Cost:
        costs = list(costs)
        missing = [c.basis for c in costs if c.monthly_usd is None]
        if missing:
            return Cost(None, "; ".join(missing))
        return Cost(
            round(sum(c.monthly_usd or 0.0 for c in costs), 2), "; ".join(c.basis for c in costs)
        )


class Pricer:
    def __init__(self, overrides: PriceOverrides | None = None, book: Any = None) -> None:
        self.overrides = overrides or PriceOverrides()
        table = bundled_table()
        merged = table.model_dump()
        merged["region_factors"] = {**table.region_factors, **self.overrides.region_factors}
        if self.overrides.sagemaker_serverless_provisioned_gb_second is not None:
            merged["sagemaker_serverless_provisioned_gb_second"] = (
                self.overrides.sagemaker_serverless_provisioned_gb_second
            )
        self.table = PriceTable.model_validate(merged)
        # A PriceBook (price_list.py), or None: the bundled table alone.
        self.book = book if self.overrides.use_price_list else None
        self.keep = 1 - self.overrides.discount_percent / 100

    def _discounted(self) -> str:
        return f", less {self.overrides.discount_percent:g}%" if self.keep < 1 else ""

    def _price(
        self, kind: str, key: str, region: str, bundled: float | None
    ) -> tuple[float | None, str]:
        """One unit price and where it came from: the policy's, the Price List's, or the
        bundled table's times the region's factor."""
        own = getattr(self.overrides, kind, {})
        if isinstance(own, dict) and key in own:
            return own[key], "policy price"
        listed = getattr(self.book.region(region), kind, {}).get(key) if self.book else None
        if listed is not None:
            return (
                listed.usd * self.keep,
                f"AWS Price List {listed.effective}, SKU {listed.sku}{self._discounted()}",
            )
        if bundled is None:
            return None, "in neither the AWS Price List nor the bundled table"
        factor = self.table.region_factors.get(region)
        if factor is None:
            return None, f"no price for region {region} in the bundled table"
        why = ""
        if self.book is not None:
            why = (
                ", the Price List unreachable"
                if region in self.book.fallbacks
                else ", not in the Price List"
            )
        return (
            bundled * factor * self.keep,
            f"bundled table {self.table.as_of}{why}{self._discounted()}",
        )

    def bundled(self) -> dict[str, dict[str, float]]:
        """The bundled table's us-east-1 figures by kind and type, as the Price List's tables
        key them (the scalar figures under their volume type or "stored")."""
        t = self.table
        io2 = dict(
            zip(
                ("io2", "io2-tier2", "io2-tier3"),
                (p for _, p in t.ebs_io2_iops_month_tiers),
                strict=False,
            )
        )
        return {
            "sagemaker_hosting_hourly": t.sagemaker_hosting_hourly,
            "sagemaker_training_hourly": t.sagemaker_training_hourly,
            "sagemaker_notebook_hourly": t.sagemaker_notebook_hourly,
            "ec2_hourly": t.ec2_hourly,
            "bedrock_model_unit_hourly": t.bedrock_model_unit_hourly,
            "ebs_gb_month": t.ebs_gb_month,
            "ebs_iops_month": {
                "gp3": t.ebs_gp3_iops_month_over_3000,
                "io1": t.ebs_io1_iops_month,
                **io2,
            },
            "ebs_throughput_mibps_month": {"gp3": t.ebs_gp3_throughput_mibps_month_over_125},
            "ebs_snapshot_gb_month": t.ebs_snapshot_gb_month,
            "ebs_snapshot_retrieval_gb": t.ebs_snapshot_retrieval_gb,
            "cloudwatch_logs_stored_gb_month": {"stored": t.cloudwatch_logs_stored_gb_month},
            "fsx_lustre_gb_month": t.fsx_lustre_gb_month,
            "opensearch_serverless_ocu_hourly": (
                {"ocu": t.opensearch_serverless_ocu_hourly}
                if t.opensearch_serverless_ocu_hourly is not None
                else {}
            ),
            "sagemaker_canvas_session_hourly": (
                {"session": t.sagemaker_canvas_session_hourly}
                if t.sagemaker_canvas_session_hourly is not None
                else {}
            ),
        }

    def quotes(self, region: str, types: Iterable[str] = ()) -> list[Quote]:
        """Every price govbot knows for a region (or only ``types``), from the source it
        would use: the policy's, the Price List's, or the bundled table's."""
        wanted = set(types)
        listed = self.book.region(region) if self.book else None
        found = []
        for kind, bundled in self.bundled().items():
            own = getattr(self.overrides, kind, {})
            keys = set(bundled) | set(getattr(listed, kind, {}) or {}) | set(own or {})
            for key in sorted(keys):
                if wanted and key not in wanted:
                    continue
                usd, source = self._price(kind, key, region, bundled.get(key))
                quoted = getattr(listed, kind, {}).get(key) if listed is not None else None
                found.append(
                    Quote(
                        kind=kind,
                        type=key,
                        region=region,
                        usd=None if usd is None else round(usd, 6),
                        per=PER[kind],
                        source=source,
                        listed=quoted.listed
                        if quoted is not None and "Price List" in source
                        else None,
                        discount_percent=0
                        if source == "policy price"
                        else self.overrides.discount_percent,
                    )
                )
        return found

    def instances(self, kind: InstanceKind, instance_type: str, count: int, region: str) -> Cost:
        label = kind.removesuffix("_hourly").replace("_", " ")
        bundled = getattr(self.table, kind).get(instance_type)
        price, source = self._price(kind, instance_type, region, bundled)
        if price is None:
            return Cost(None, f"no {label} price for {instance_type} in {region}: {source}")
        monthly = price * self.table.hours_per_month * count
        return Cost(
            round(monthly, 2),
            f"{count} x {instance_type} at ${price:.4f}/h x "
            f"{self.table.hours_per_month:g} h ({label}, on-demand; {source})",
        )

    def model_units(self, model_id: str, term: str | None, units: int, region: str) -> Cost:
        """Bedrock provisioned throughput: model units at the hourly price of their term."""
        key = f"{model_id}|{term}" if term else model_id
        bundled = self.table.bedrock_model_unit_hourly.get(key)
        price, source = self._price("bedrock_model_unit_hourly", key, region, bundled)
        what = f"{units} model unit(s) of {model_id}" + (f" ({term} term)" if term else "")
        if price is None:
            return Cost(
                None,
                f"{what}: no price in {region} ({source}; set "
                f"pricing.bedrock_model_unit_hourly['{key}'] in the policy)",
            )
        return Cost(
            round(price * self.table.hours_per_month * units, 2),
            f"{what} at ${price:.2f}/h x {self.table.hours_per_month:g} h ({source})",
        )

    def serverless_provisioned(self, memory_mb: int, concurrency: int, region: str) -> Cost:
        """Provisioned concurrency of a serverless variant, billed while idle."""
        what = f"{concurrency} provisioned concurrency x {memory_mb} MB (serverless)"
        price = self.table.sagemaker_serverless_provisioned_gb_second
        if price is None:
            return Cost(
                None,
                f"{what}: no provisioned concurrency price in the price table (set "
                "pricing.sagemaker_serverless_provisioned_gb_second in the policy)",
            )
        seconds = self.table.hours_per_month * 3600
        monthly = concurrency * memory_mb / 1024 * price * seconds
        return Cost(round(monthly, 2), f"{what} at ${price:.8f}/GB-second (policy price)")

    def ebs_volume(
        self,
        volume_type: str,
        size_gib: int,
        region: str,
        iops: int | None = None,
        throughput: int | None = None,
    ) -> Cost:
        t = self.table
        per_gb, source = self._price(
            "ebs_gb_month", volume_type, region, t.ebs_gb_month.get(volume_type)
        )
        if per_gb is None:
            return Cost(None, f"no EBS price for volume type {volume_type} in {region}: {source}")
        monthly = size_gib * per_gb
        parts = [f"{size_gib} GiB {volume_type} at ${per_gb:.4f}/GB-month ({source})"]
        extras: list[tuple[str, str, int, float | None]] = []
        if volume_type == "gp3":
            extras += [
                (
                    "ebs_iops_month",
                    "gp3",
                    max(0, (iops or 3000) - 3000),
                    t.ebs_gp3_iops_month_over_3000,
                ),
                (
                    "ebs_throughput_mibps_month",
                    "gp3",
                    max(0, (throughput or 125) - 125),
                    t.ebs_gp3_throughput_mibps_month_over_125,
                ),
            ]
        elif volume_type == "io1" and iops:
            extras.append(("ebs_iops_month", "io1", iops, t.ebs_io1_iops_month))
        elif volume_type == "io2" and iops:
            # io2 IOPS are priced in tiers (to 32,000, to 64,000, beyond).
            tiers = []
            for (ceiling, bundled), key in zip(
                t.ebs_io2_iops_month_tiers, ("io2", "io2-tier2", "io2-tier3"), strict=False
            ):
                rate, source = self._price("ebs_iops_month", key, region, bundled)
                if rate is None:
                    return Cost(None, f"no io2 IOPS price ({key}) in {region}")
                tiers.append((ceiling, rate))
            monthly += _tiered(iops, tiers)
            parts.append(f"{iops} provisioned IOPS (tiered; {source})")
        for kind, key, quantity, listed in extras:
            if not quantity:
                continue
            rate, source = self._price(kind, key, region, listed)
            if rate is None:
                return Cost(None, f"no {kind} price for {key} in {region}")
            monthly += quantity * rate
            unit = "IOPS" if "iops" in kind else "MiBps"
            parts.append(f"{quantity} {unit} at ${rate:.4f}/{unit}-month ({source})")
        return Cost(round(monthly, 2), ", ".join(parts))

    def ebs_snapshot(self, size_gib: int, region: str, tier: str = "standard") -> Cost:
        """A snapshot of a volume: at most the volume's size (a first snapshot holds only the
        blocks written, so this is an upper bound)."""
        per_gb, source = self._price(
            "ebs_snapshot_gb_month", tier, region, self.table.ebs_snapshot_gb_month.get(tier)
        )
        if per_gb is None:
            return Cost(None, f"no EBS snapshot price for the {tier} tier in {region}: {source}")
        return Cost(
            round(size_gib * per_gb, 2),
            f"snapshot of at most {size_gib} GiB at ${per_gb:.4f}/GB-month ({tier}; {source})",
        )

    def snapshot_retrieval(self, size_gib: int, region: str) -> Cost:
        """What bringing an archived snapshot back costs, once (not a monthly figure)."""
        per_gb, source = self._price(
            "ebs_snapshot_retrieval_gb",
            "archive",
            region,
            self.table.ebs_snapshot_retrieval_gb.get("archive"),
        )
        if per_gb is None:
            return Cost(None, f"no archive retrieval price in {region}: {source}")
        return Cost(
            round(size_gib * per_gb, 2),
            f"{size_gib} GiB at ${per_gb:.4f}/GB retrieved, once ({source})",
        )

    def canvas_session(self, region: str) -> Cost:
        """A SageMaker Canvas workspace instance left logged in: billed every hour of it."""
        hourly, source = self._price(
            "sagemaker_canvas_session_hourly",
            "session",
            region,
            self.table.sagemaker_canvas_session_hourly,
        )
        if hourly is None:
            return Cost(None, f"no Canvas session price in {region}: {source}")
        return Cost(
            round(hourly * self.table.hours_per_month, 2),
            f"a Canvas session at ${hourly:.2f}/session-hour x {self.table.hours_per_month:g} h "
            f"while logged in ({source})",
        )

    def lustre(
        self,
        deployment: str,
        storage_type: str,
        per_unit_throughput: int | None,
        capacity_gib: int,
        region: str,
    ) -> Cost:
        """An FSx for Lustre file system's storage: its capacity at its deployment type's and
        throughput tier's GB-month rate (FSx bills the GiB it provisions as GB-months)."""
        key = "|".join(
            [deployment, storage_type, *([str(per_unit_throughput)] if per_unit_throughput else [])]
        )
        per_gb, source = self._price(
            "fsx_lustre_gb_month", key, region, self.table.fsx_lustre_gb_month.get(key)
        )
        if per_gb is None:
            return Cost(
                None,
                f"no FSx for Lustre price for {key} in {region}: {source} (the policy's "
                f"pricing.fsx_lustre_gb_month['{key}'] gives one)",
            )
        return Cost(
            round(capacity_gib * per_gb, 2),
            f"{capacity_gib:,} GiB {key} at ${per_gb:.4f}/GB-month ({source})",
        )

    def ocu_minimum(self, standby: bool, sharing: int, region: str) -> Cost:
        """One collection's share of the OpenSearch Serverless OCU minimum: 2 OCUs with
        standby replicas (1 indexing, 1 search), 1 without, split among the ``sharing``
        collections that share them, billed every hour."""
        hourly, source = self._price(
            "opensearch_serverless_ocu_hourly",
            "ocu",
            region,
            self.table.opensearch_serverless_ocu_hourly,
        )
        if hourly is None:
            return Cost(None, f"no OpenSearch Serverless OCU price in {region}: {source}")
        ocus = 2 if standby else 1
        share = f", shared by {sharing} collections" if sharing > 1 else ""
        return Cost(
            round(ocus * hourly * self.table.hours_per_month / sharing, 2),
            f"the {ocus}-OCU minimum{' (standby replicas on)' if standby else ''} at "
            f"${hourly:.2f}/OCU-hour x {self.table.hours_per_month:g} h{share} ({source})",
        )

    def log_storage(self, stored_bytes: int, region: str) -> Cost:
        per_gb, source = self._price(
            "cloudwatch_logs_stored_gb_month",
            "stored",
            region,
            self.table.cloudwatch_logs_stored_gb_month,
        )
        if per_gb is None:
            return Cost(None, f"no log storage price in {region}: {source}")
        gb = stored_bytes / GIB
        return Cost(
            round(gb * per_gb, 2), f"{gb:.2f} GB stored at ${per_gb:.4f}/GB-month ({source})"
        )


def _tiered(quantity: int, tiers: list[tuple[int | None, float]]) -> float:
    total, floor = 0.0, 0
    for ceiling, price in tiers:
        top = quantity if ceiling is None else min(quantity, ceiling)
        if top > floor:
            total += (top - floor) * price
        if ceiling is None or quantity <= ceiling:
            break
        floor = ceiling
    return total
