"""The whole cycle: sweep, record the findings, act on the cleared ones (here, or through a
dispatcher that queues them for the worker). The steps live in ``recording``,
``remediation`` and ``decisions``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from govbot.aws import AwsClients
from govbot.models import ActionOutcome, SweepReport
from govbot.policy import Policy
from govbot.recording import record
from govbot.remediation import execute, plan
from govbot.store import State, Store, StoredFinding
from govbot.sweep import run_sweep

Dispatch = Callable[[list[StoredFinding]], list[ActionOutcome]]


@dataclass
class Cycle:
    report: SweepReport  # with the actions taken or planned
    stored: dict[str, StoredFinding]  # every reported finding as now stored

    @property
    def states(self) -> dict[str, State]:
        return {fid: sf.state for fid, sf in self.stored.items()}


def govern(
    policy: Policy,
    clients: AwsClients,
    store: Store | None,
    *,
    now: datetime,
    dry_run: bool,
    actor: str,
    regions: list[str] | None = None,
    account_id: str | None = None,
    progress: Any = None,
    dispatch: Dispatch | None = None,
) -> Cycle:
    """Sweep, store the findings, and act on the cleared ones: in this process, or through
    ``dispatch`` (the nightly Lambda queues them for the worker)."""
    report = run_sweep(
        policy,
        clients,
        regions=regions,
        account_id=account_id,
        now=now,
        progress=progress,
        clocks=store.clocks if store else None,
    )
    account = report.summary.account_id
    if store is None or report.nothing_swept or account is None:
        return Cycle(report, {})
    stored = record(store, policy, report, now)
    cleared = plan(store, policy, now=now, dry_run=dry_run, account_id=account)
    acted = (
        dispatch(cleared.to_act)
        if dispatch
        else execute(
            store, policy, clients, cleared.to_act, now=now, actor=actor, account_id=account
        )
    )
    report = report.model_copy(
        update={
            "actions": cleared.outcomes + acted,
            "api_calls": dict(sorted(clients.calls.items())),
        }
    )
    return Cycle(report, stored)
