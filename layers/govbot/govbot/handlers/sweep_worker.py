"""Organisation sweep, step 2 (the sweep worker, one Step Functions Map item): one account
swept in its regions, in the member account through its role."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from govbot import runtime
from govbot.aws import AwsClients
from govbot.cycle import org
from govbot.cycle.engine import Dispatch, govern
from govbot.cycle.org import Target as Target  # the Map item, as the function reads it
from govbot.cycle.policy import Policy
from govbot.cycle.remediation import ClientsFor
from govbot.delivery.channels import acting_clients, queue_dispatch
from govbot.runtime import Settings
from govbot.state.store import Store


def sweep_target(settings: Settings, target: Target) -> dict[str, Any]:
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
    target: Target,
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
