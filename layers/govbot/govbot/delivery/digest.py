"""What a sweep tells people, built once and rendered for SNS (text and JSON) and Slack."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from govbot.cycle.contracts import State
from govbot.cycle.models import DetectorSummary, Finding, SweepReport, by_detector, money, spend
from govbot.cycle.policy import Policy
from govbot.detectors import DETECTORS, Mode
from govbot.state.savings import headline as savings_headline
from govbot.state.savings import waiting_usd

# Severity of a sweep by the monthly waste it found (filterable in SNS subscriptions).
SEVERITY = ((1000.0, "high"), (100.0, "medium"), (0.0, "low"))


@dataclass(frozen=True)
class Told:
    finding: Finding
    state: State | None  # None when nothing is stored (no state table)

    @property
    def awaits_approval(self) -> bool:
        return self.state is State.PENDING_APPROVAL


@dataclass(frozen=True)
class Digest:
    account_id: str
    regions: list[str]
    items: list[Told]  # costliest first
    total_monthly_cost_usd: float  # waste: what fixes would stop
    by_detector: dict[str, DetectorSummary]
    unattributed_monthly_usd: float = 0.0  # untagged resources' own spend, never waste
    headline: str | None = None  # replaces the default title (a budget breach's alert)
    done: tuple[str, ...] = ()  # what govbot did about it, one line each
    saved_this_month: float | None = None  # None: no savings records to read (no table)
    pricing_note: str | None = None  # said when the bundled table priced some regions

    @property
    def waiting_usd(self) -> float:
        return waiting_usd(t.finding for t in self.items if t.awaits_approval)

    @property
    def savings_line(self) -> str | None:
        """What the digest leads with: saved this month, and what waits for approval."""
        if self.saved_this_month is None:
            return None
        return savings_headline(self.saved_this_month, self.waiting_usd)

    @property
    def title(self) -> str:
        waste = f"govbot: {money(self.total_monthly_cost_usd)}/month of waste"
        return self.headline or (f"govbot: {self.savings_line}" if self.savings_line else waste)

    @property
    def severity(self) -> str:
        return next(name for floor, name in SEVERITY if self.total_monthly_cost_usd >= floor)

    @property
    def detectors(self) -> list[str]:
        return sorted({t.finding.detector for t in self.items})


def build_digest(
    report: SweepReport,
    policy: Policy,
    states: Mapping[str, State] | None = None,
    headline: str | None = None,
    saved_this_month: float | None = None,
) -> Digest:
    """The findings people are told about: every mode but ``report``, and not ones already
    decided (rejected, snoozed) or being fixed."""
    quiet = {State.REJECTED, State.SNOOZED, State.REMEDIATED, State.RESOLVED}
    items = []
    for f in report.findings:
        if policy.settings(f.detector).mode is Mode.REPORT:
            continue
        state = (states or {}).get(f.finding_id)
        if state in quiet:
            continue
        items.append(Told(f, state))
    told = [t.finding for t in items]
    detectors = by_detector(told)
    return Digest(
        account_id=report.summary.account_id or "unknown",
        regions=report.summary.regions,
        items=items,
        total_monthly_cost_usd=spend(told),
        unattributed_monthly_usd=spend(told, "unattributed"),
        by_detector={d: detectors[d] for d in DETECTORS if d in detectors},
        headline=headline,
        saved_this_month=saved_this_month,
        pricing_note=report.summary.pricing_note,
        done=tuple(
            f"{a.outcome.value}: {a.message}"
            for a in report.actions
            if a.outcome.value in ("remediated", "queued for the worker", "failed", "in progress")
        ),
    )
