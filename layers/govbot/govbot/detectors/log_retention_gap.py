"""CloudWatch log groups that keep every event forever."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Literal

from pydantic import Field

from govbot.cycle.models import Finding
from govbot.detectors.base import Details, Detector, DetectorSettings, Mode
from govbot.detectors.registry import register
from govbot.inventory import RegionInventory
from govbot.kinds import log_group

# The values PutRetentionPolicy accepts.
RetentionDays = Literal[
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
]


class LogRetentionGapSettings(DetectorSettings):
    mode: Mode = Mode.APPROVE
    retention_days: RetentionDays = 30
    prefix_retention_days: dict[str, RetentionDays] = Field(
        default_factory=dict,
        description="Retention for log groups whose names start with a prefix; longest wins.",
    )

    def retention_for(self, name: str) -> int:
        matches = [p for p in self.prefix_retention_days if name.startswith(p)]
        return self.prefix_retention_days[max(matches, key=len)] if matches else self.retention_days


class LogRetentionGapDetails(Details):
    stored_bytes: int
    retention_days: int
    log_group_class: str
    # What the retention stops: the share of the stored events older than it, taking events
    # as written evenly since the group was made (AWS reports no age profile).
    net_monthly_saving_usd: float | None = None


def share_older_than(days: int, created_ms: int | None, now: datetime) -> float:
    if not created_ms:
        return 0.0
    age = (now - datetime.fromtimestamp(created_ms / 1000, UTC)).total_seconds() / 86400
    return max(0.0, (age - days) / age) if age > 0 else 0.0


@register
class LogRetentionGap(Detector[LogRetentionGapSettings]):
    id = "log-retention-gap"
    kinds = (log_group.TYPE,)
    settings_model = LogRetentionGapSettings
    details_model = LogRetentionGapDetails
    permissions = ()

    def detect(self, inv: RegionInventory, settings: LogRetentionGapSettings) -> Iterator[Finding]:
        for group in inv.listed(log_group.KIND):
            if group.get("retentionInDays"):
                continue
            name = group["logGroupName"]
            arn = log_group.arn(group)
            stored = group.get("storedBytes", 0)
            cost = inv.pricer.log_storage(stored, inv.region)
            days = settings.retention_for(name)
            older = share_older_than(days, group.get("creationTime"), inv.now)
            saving = None if cost.monthly_usd is None else round(cost.monthly_usd * older, 2)
            yield Finding(
                detector=self.id,
                resource_id=name,
                resource_arn=arn,
                resource_type=log_group.TYPE,
                region=inv.region,
                account_id=inv.account_id,
                monthly_cost_usd=cost.monthly_usd,
                reason=f"log group never expires its events ({stored / 1024**3:.2f} GB stored)",
                proposed_action=f"set retention to {days} days (deletes older events)",
                details=LogRetentionGapDetails(
                    stored_bytes=stored,
                    retention_days=days,
                    log_group_class=group.get("logGroupClass", "STANDARD"),
                    net_monthly_saving_usd=saving,
                    cost_basis=f"{cost.basis}; retention deletes the {older:.0%} older than "
                    f"{days} days (events taken as written evenly since the group was made)",
                ).model_dump(mode="json"),
                tags=log_group.KIND.tags_of(inv, group),
            )
