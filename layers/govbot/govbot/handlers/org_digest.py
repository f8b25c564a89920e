"""Organisation sweep, step 3 (the organisation digest): one digest of what every account's
sweep found this run."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from govbot import runtime
from govbot.cycle.contracts import State
from govbot.cycle.models import SweepReport
from govbot.delivery.channels import notify
from govbot.runtime import Settings
from govbot.state.store import Store


class DigestEvent(BaseModel):
    started: datetime
    regions: list[str] = Field(default_factory=list)  # the run's regions, as planned
    results: list[Any]  # the Map's results: summaries, or errors for failed items


def organisation_report(
    store: Store, regions: list[str], results: list[Any]
) -> tuple[SweepReport, dict[str, State]]:
    """What every account's sweep found this run, read back from the store, and the findings'
    states. A finding still standing in a unit this run swept is current: the sweep resolves
    what it no longer finds (and findings are written only when they change)."""
    swept = [r for r in results if isinstance(r, dict) and "account_id" in r]
    # Each swept account in the run's regions (a result from an older worker names its own).
    units = {(r["account_id"], region) for r in swept for region in r.get("regions", regions)}
    # Read a page at a time; each kept whole (the digest describes each fix from its details).
    fresh = [
        sf
        for sf in store.each_in_state(State.OPEN, State.PENDING_APPROVAL, State.APPROVED)
        if (sf.finding.account_id, sf.finding.region) in units
    ]
    report = SweepReport.build(
        findings=[sf.finding for sf in fresh],
        regions=sorted({region for _, region in units}),
        units_swept=len(swept),
        units_failed=len(results) - len(swept),
        account_id=f"{len({r['account_id'] for r in swept})} accounts",
    )
    return report, {sf.finding_id: sf.state for sf in fresh}


def organisation_digest(
    settings: Settings, regions: list[str], results: list[Any]
) -> dict[str, Any]:
    """One digest of what every account's sweep found this run."""
    policy = runtime.load_policy(settings)
    report, states = organisation_report(runtime.store(settings), regions, results)
    accounts = report.summary.account_id
    errors = notify(
        settings,
        policy,
        report,
        states,
        headline=f"govbot: ${report.summary.total_monthly_cost_usd:,.2f}/month of waste across "
        f"{accounts}",
    )
    return {
        "findings": report.summary.findings,
        "total_monthly_cost_usd": report.summary.total_monthly_cost_usd,
        "targets_swept": report.summary.units_swept,
        "targets_failed": report.summary.units_failed,
        "notify_errors": [e.model_dump() for e in errors],
    }
