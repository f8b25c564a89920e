"""The organisation sweep's steps, as the Step Functions state machine runs them: plan the
targets, sweep one account and region (in the member account, through its role), and post one
digest for the whole organisation at the end."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from govbot import org, runtime
from govbot.aws import AwsClients
from govbot.contracts import State
from govbot.delivery import acting_clients, notify, queue_dispatch
from govbot.engine import Dispatch, govern
from govbot.models import SweepReport
from govbot.policy import Policy
from govbot.remediation import ClientsFor
from govbot.runtime import Settings
from govbot.store import Store


class PlanEvent(BaseModel):
    run_id: str


class DigestEvent(BaseModel):
    started: datetime
    regions: list[str] = Field(default_factory=list)  # the run's regions, as planned
    results: list[Any]  # the Map's results: summaries, or errors for failed items


def plan_targets(settings: Settings, run_id: str) -> dict[str, Any]:
    """The accounts (one Map item each) and the regions, once: the Map's ItemSelector gives
    every item the run's regions and id."""
    policy = runtime.load_policy(settings)
    planned = org.plan(policy, runtime.clients(), settings.region, run_id)
    return {
        "run_id": run_id,
        "started": datetime.now(UTC).isoformat(),
        "regions": planned.regions,
        "targets": [{"account_id": a} for a in planned.accounts],
    }


def sweep_target(settings: Settings, target: org.Target) -> dict[str, Any]:
    policy = runtime.load_policy(settings)
    member = org.member_clients(
        target.account_id, policy.organization.member_role, settings.external_id, target.run_id
    )
    now = datetime.now(UTC)
    return sweep_account(
        policy,
        member,
        runtime.store(settings),
        target,
        now=now,
        dry_run=settings.dry_run,
        dispatch=queue_dispatch(settings, now),
        clients_for=acting_clients(settings, policy),
    )


def sweep_account(
    policy: Policy,
    member: AwsClients,
    store: Store,
    target: org.Target,
    *,
    now: datetime,
    dry_run: bool,
    dispatch: Dispatch | None = None,
    clients_for: ClientsFor | None = None,
) -> dict[str, Any]:
    """The Map's unit of work: one account swept in its regions, its findings stored and
    settled, and a short result for the digest."""
    cycle = govern(
        policy,
        member,
        store,
        now=now,
        dry_run=dry_run,
        actor=f"fanout:{target.run_id}",
        regions=target.regions,
        account_id=target.account_id,
        dispatch=dispatch,
        clients_for=clients_for,
    )
    report = cycle.report
    if report.nothing_swept:
        # The Map counts this iteration failed; its tolerated failure percentage decides.
        first = report.errors[0]
        raise RuntimeError(f"{target.account_id} {first.region}: {first.code}: {first.message}")
    # Small (about 100 bytes): 2,000 accounts' results fit Step Functions' 256 KB state limit.
    # The digest knows the regions from the plan.
    return {
        "account_id": target.account_id,
        "findings": report.summary.findings,
        "total_monthly_cost_usd": report.summary.total_monthly_cost_usd,
        "errors": len(report.errors),
        "actions": len(report.actions),
    }


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
