"""The cycle, in one place: record the findings, plan under the policy's rails, act or queue.

Every path that can lead to a change goes through ``Cycle``: the nightly sweep and the Step
Functions worker (``govern``), the real-time and budget functions, the command line's
``sweep --apply`` and ``approve --apply``, and the remediation worker after a click in Slack
(``Cycle.decided``). The rails count over the findings of that cycle only: a sweep's, one
event's resource, one approval. The steps themselves live in ``recording`` and ``remediation``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from govbot.aws import AwsClients
from govbot.cycle.contracts import State, StoredFinding
from govbot.cycle.models import ActionOutcome, Finding, SweepReport
from govbot.cycle.policy import Policy
from govbot.cycle.recording import record, record_some
from govbot.cycle.remediation import ClientsFor, execute, plan
from govbot.cycle.sweep import run_sweep
from govbot.pricing.price_list import PriceBook
from govbot.state.store import Store

# Hands cleared fixes to the worker's queue instead of acting in this process.
Dispatch = Callable[[list[StoredFinding]], list[ActionOutcome]]


@dataclass
class Cycle:
    """What one turn of the cycle needs, whoever starts it."""

    policy: Policy
    store: Store
    now: datetime
    dry_run: bool
    actor: str
    clients_for: ClientsFor
    dispatch: Dispatch | None = None

    def settle(self, considered: Iterable[StoredFinding]) -> list[ActionOutcome]:
        """Plan over exactly ``considered`` and act on what the rails clear (or queue it)."""
        cleared = plan(considered, self.policy, now=self.now, dry_run=self.dry_run)
        if not cleared.to_act:
            return cleared.outcomes
        if self.dispatch is not None:
            return cleared.outcomes + self.dispatch(cleared.to_act)
        return cleared.outcomes + execute(
            self.store,
            self.policy,
            self.clients_for,
            cleared.to_act,
            now=self.now,
            actor=self.actor,
        )

    def found(self, findings: list[Finding]) -> Governed:
        """Findings about a few resources (an event's): record them, then settle just them."""
        stored = record_some(self.store, self.policy, findings, self.now)
        return Governed(
            SweepReport.build(
                findings=findings,
                account_id=findings[0].account_id if findings else None,
            ).model_copy(update={"actions": self.settle(stored.values())}),
            stored,
        )

    def decided(self, finding_id: str) -> list[ActionOutcome]:
        """One approval (a click, `govbot approve --apply`): the same rails, then the act."""
        sf = self.store.get(finding_id)
        return self.settle([sf] if sf else [])


@dataclass
class Governed:
    report: SweepReport  # with the actions taken or planned
    stored: dict[str, StoredFinding] = field(default_factory=dict)  # as now stored

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
    clients_for: ClientsFor | None = None,
) -> Governed:
    """Sweep one account, store the findings, and settle them: act in this process, or hand
    the cleared ones to ``dispatch`` (the Lambda functions queue them for the worker)."""
    report = run_sweep(
        policy,
        clients,
        regions=regions,
        account_id=account_id,
        now=now,
        progress=progress,
        clocks=store.clocks if store else None,
        prices=PriceBook(clients, store, now),
    )
    account = report.summary.account_id
    if store is None or report.nothing_swept or account is None:
        return Governed(report)
    stored = record(store, policy, report, now)
    cycle = Cycle(
        policy,
        store,
        now,
        dry_run,
        actor,
        clients_for or (lambda _account: clients),
        dispatch,
    )
    actions = cycle.settle(stored.values())
    report = report.model_copy(
        update={"actions": actions, "api_calls": dict(sorted(clients.calls.items()))}
    )
    return Governed(report, stored)
