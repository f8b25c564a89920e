"""Monthly cost estimates from a bundled on-demand price table (data/prices.json).

The table holds us-east-1 list prices and a factor per region; the policy may override any
price or factor. An unknown instance type, volume type or region gives no figure (``None``)
and says why: govbot never makes a number up.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

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
    hours_per_month: float = 730
    region_factors: dict[str, float]
    sagemaker_hosting_hourly: dict[str, float]
    sagemaker_training_hourly: dict[str, float]
    sagemaker_notebook_hourly: dict[str, float]
    ec2_hourly: dict[str, float]
    ebs_gb_month: dict[str, float]
    ebs_gp3_iops_month_over_3000: float
    ebs_gp3_throughput_mibps_month_over_125: float
    ebs_io1_iops_month: float
    ebs_io2_iops_month_tiers: list[tuple[int | None, float]]
    ebs_snapshot_gb_month: dict[str, float] = Field(default_factory=dict)  # by storage tier
    cloudwatch_logs_stored_gb_month: float
    # Serverless Inference provisioned concurrency, per GB of memory per second. The bundled
    # table has no figure for it (govbot makes none up): the policy's pricing can give one.
    sagemaker_serverless_provisioned_gb_second: float | None = None


class PriceOverrides(BaseModel):
    """The policy's ``pricing`` section: entries replace or extend the bundled table."""

    model_config = ConfigDict(extra="forbid")

    region_factors: dict[str, float] = Field(default_factory=dict)
    sagemaker_hosting_hourly: dict[str, float] = Field(default_factory=dict)
    sagemaker_training_hourly: dict[str, float] = Field(default_factory=dict)
    sagemaker_notebook_hourly: dict[str, float] = Field(default_factory=dict)
    ec2_hourly: dict[str, float] = Field(default_factory=dict)
    ebs_gb_month: dict[str, float] = Field(default_factory=dict)
    sagemaker_serverless_provisioned_gb_second: float | None = Field(default=None, gt=0)


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
    def __init__(self, overrides: PriceOverrides | None = None) -> None:
        table = bundled_table()
        if overrides:
            merged = table.model_dump()
            for key, values in overrides.model_dump().items():
                if isinstance(values, dict):
                    merged[key] = {**merged[key], **values}
                elif values is not None:
                    merged[key] = values
            table = PriceTable.model_validate(merged)
        self.table = table

    def _factor(self, region: str) -> float | None:
        return self.table.region_factors.get(region)

    def instances(self, kind: InstanceKind, instance_type: str, count: int, region: str) -> Cost:
        label = kind.removesuffix("_hourly").replace("_", " ")
        price = getattr(self.table, kind).get(instance_type)
        if price is None:
            return Cost(None, f"no {label} price for {instance_type} in the price table")
        factor = self._factor(region)
        if factor is None:
            return Cost(None, f"no price factor for region {region}")
        monthly = price * factor * self.table.hours_per_month * count
        return Cost(
            round(monthly, 2),
            f"{count} x {instance_type} at ${price * factor:.4f}/h x "
            f"{self.table.hours_per_month:g} h ({label}, on-demand)",
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
        factor = self._factor(region)
        if factor is None:
            return Cost(None, f"no price factor for region {region}")
        seconds = self.table.hours_per_month * 3600
        monthly = concurrency * memory_mb / 1024 * price * factor * seconds
        return Cost(round(monthly, 2), f"{what} at ${price * factor:.8f}/GB-second")

    def ebs_volume(
        self,
        volume_type: str,
        size_gib: int,
        region: str,
        iops: int | None = None,
        throughput: int | None = None,
    ) -> Cost:
        per_gb = self.table.ebs_gb_month.get(volume_type)
        if per_gb is None:
            return Cost(None, f"no EBS price for volume type {volume_type}")
        factor = self._factor(region)
        if factor is None:
            return Cost(None, f"no price factor for region {region}")
        t = self.table
        monthly = size_gib * per_gb
        parts = [f"{size_gib} GiB {volume_type} at ${per_gb * factor:.4f}/GB-month"]
        if volume_type == "gp3":
            extra_iops = max(0, (iops or 3000) - 3000)
            extra_tp = max(0, (throughput or 125) - 125)
            monthly += extra_iops * t.ebs_gp3_iops_month_over_3000
            monthly += extra_tp * t.ebs_gp3_throughput_mibps_month_over_125
            if extra_iops:
                parts.append(f"{extra_iops} IOPS over 3000")
            if extra_tp:
                parts.append(f"{extra_tp} MiB/s over 125")
        elif volume_type == "io1" and iops:
            monthly += iops * t.ebs_io1_iops_month
            parts.append(f"{iops} provisioned IOPS")
        elif volume_type == "io2" and iops:
            monthly += _tiered(iops, t.ebs_io2_iops_month_tiers)
            parts.append(f"{iops} provisioned IOPS")
        return Cost(round(monthly * factor, 2), ", ".join(parts))

    def ebs_snapshot(self, size_gib: int, region: str, tier: str = "standard") -> Cost:
        """A snapshot of a volume: at most the volume's size (a first snapshot holds only the
        blocks written, so this is an upper bound)."""
        per_gb = self.table.ebs_snapshot_gb_month.get(tier)
        if per_gb is None:
            return Cost(None, f"no EBS snapshot price for the {tier} tier")
        factor = self._factor(region)
        if factor is None:
            return Cost(None, f"no price factor for region {region}")
        return Cost(
            round(size_gib * per_gb * factor, 2),
            f"snapshot of at most {size_gib} GiB at ${per_gb * factor:.4f}/GB-month ({tier})",
        )

    def log_storage(self, stored_bytes: int, region: str) -> Cost:
        factor = self._factor(region)
        if factor is None:
            return Cost(None, f"no price factor for region {region}")
        per_gb = self.table.cloudwatch_logs_stored_gb_month * factor
        gb = stored_bytes / GIB
        return Cost(round(gb * per_gb, 2), f"{gb:.2f} GB stored at ${per_gb:.4f}/GB-month")


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
