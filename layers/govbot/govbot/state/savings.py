"""What govbot's fixes have saved: the monthly spend each fix stopped (net of what it adds),
added up for this month and since install, by detector, team and account; and what waits for
approval. Read from the savings records the engine writes with every fix."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from pydantic import BaseModel, Field

from govbot.actions import action_for
from govbot.cycle.contracts import Saving, State, StoredFinding
from govbot.cycle.models import Finding

UNKNOWN = "(none)"


def would_save(finding: Finding) -> float:
    """What approving the finding's fix would stop a month (0 where there is no fix or no
    figure: govbot never counts a saving it cannot price)."""
    action = action_for(finding.detector)
    return (action.saving(finding) or 0.0) if action else 0.0


def waiting_usd(findings: Iterable[Finding]) -> float:
    """Savings waiting on approval, each resource counted once."""
    per_resource: dict[str, float] = {}
    for f in findings:
        per_resource[f.resource_arn] = max(per_resource.get(f.resource_arn, 0.0), would_save(f))
    return round(sum(per_resource.values()), 2)


class Group(BaseModel):
    fixes: int = 0
    monthly_usd: float = 0.0
    accrued_usd: float = 0.0


class Savings(BaseModel):
    month: str = Field(description="The month 'this month' means, YYYY-MM (UTC).")
    this_month_usd: float = Field(description="Monthly spend stopped by this month's fixes.")
    since_install_usd: float = Field(description="Monthly spend stopped by every fix in force.")
    accrued_usd: float = Field(description="Spend avoided so far, from each fix to now.")
    fixes_this_month: int
    fixes: int
    restored: int
    unpriced: int
    waiting_for_approval_usd: float
    by_detector: dict[str, Group]
    by_team: dict[str, Group]
    by_account: dict[str, Group]
    records: list[Saving]


def summarize(saved: list[Saving], pending: list[StoredFinding], now: datetime) -> Savings:
    month = f"{now:%Y-%m}"
    held = [s for s in saved if s.restored_at is None]
    groups: dict[str, dict[str, Group]] = {k: defaultdict(Group) for k in ("det", "team", "acct")}
    for s in saved:
        for kind, key in (("det", s.detector), ("team", s.team or UNKNOWN), ("acct", s.account_id)):
            g = groups[kind][key]
            g.fixes += 1
            g.accrued_usd = round(g.accrued_usd + s.accrued_usd(now), 2)
            if s.restored_at is None:
                g.monthly_usd = round(g.monthly_usd + (s.monthly_usd or 0.0), 2)
    return Savings(
        month=month,
        this_month_usd=this_month_usd(saved, now),
        since_install_usd=round(sum(s.monthly_usd or 0.0 for s in held), 2),
        accrued_usd=round(sum(s.accrued_usd(now) for s in saved), 2),
        fixes_this_month=sum(1 for s in saved if f"{s.at:%Y-%m}" == month),
        fixes=len(saved),
        restored=len(saved) - len(held),
        unpriced=sum(1 for s in saved if s.monthly_usd is None),
        waiting_for_approval_usd=waiting_usd(
            sf.finding for sf in pending if sf.state is State.PENDING_APPROVAL
        ),
        by_detector=dict(sorted(groups["det"].items())),
        by_team=dict(sorted(groups["team"].items())),
        by_account=dict(sorted(groups["acct"].items())),
        records=saved,
    )


def this_month_usd(saved: list[Saving], now: datetime) -> float:
    month = f"{now:%Y-%m}"
    return round(
        sum(
            s.monthly_usd or 0.0
            for s in saved
            if s.restored_at is None and f"{s.at:%Y-%m}" == month
        ),
        2,
    )


def headline(saved_this_month: float, waiting: float) -> str:
    """The line the digest and the SNS message lead with."""
    return (
        f"saved ${saved_this_month:,.2f}/month with this month's fixes, "
        f"${waiting:,.2f}/month more waiting for approval"
    )
