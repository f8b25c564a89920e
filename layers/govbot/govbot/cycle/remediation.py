"""Remediation: the safety rails, once, in this order.

``plan`` (over exactly the findings a cycle considers): dry run (say, change nothing), the
policy asks for a fix at all, grace period (first seen long enough ago), blast radius (at most
``max_actions_per_run`` per detector, costliest first). ``execute``: the right account (the
credentials must reach the finding's account), re-check (the same detector on just those
resources: gone means nothing to do, no longer qualifying or newly exempt means no action),
claim (a conditional write, so one run acts once), audit the before-state, act, record.

A finding is ``remediated`` only when govbot itself made the change; one that was gone before
govbot acted is ``resolved``, so no report ever claims a fix govbot did not make.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from govbot.actions import ActionContext, Result, action_for, describe_fix
from govbot.aws import AwsClients, is_transient
from govbot.cycle.contracts import AuditRecord, Saving, State, StoredFinding
from govbot.cycle.exemptions import exemption
from govbot.cycle.models import ActionOutcome, Finding, Outcome
from govbot.cycle.policy import Policy
from govbot.detectors import DETECTORS
from govbot.inventory import RegionInventory
from govbot.kinds import resource_type
from govbot.pricing.price_list import PriceBook
from govbot.pricing.pricer import Pricer
from govbot.state.store import StateConflict, Store, quietly

LEASE = timedelta(minutes=15)  # a claim older than this belongs to a run that died

# Clients that act in an account: the sweep's own, or a member's through its remediation role.
ClientsFor = Callable[[str], AwsClients]


class WrongAccount(RuntimeError):
    """The credentials at hand reach another account than the finding's."""


@dataclass
class Plan:
    """What a cycle will do: findings cleared to act on (costliest first), and the outcome of
    every other due finding (no fix in the policy, grace period, blast radius, dry run)."""

    to_act: list[StoredFinding]
    outcomes: list[ActionOutcome]


def plan(
    considered: Iterable[StoredFinding], policy: Policy, *, now: datetime, dry_run: bool
) -> Plan:
    """The rails over exactly the findings given: those not due (undecided, rejected, done)
    are left out, the rest cleared or held back with the reason."""
    due = sorted(
        (sf for sf in considered if sf.due(now)),
        key=lambda sf: (-(sf.finding.monthly_cost_usd or 0.0), sf.finding_id),
    )
    result = Plan(to_act=[], outcomes=[])
    taken: dict[str, int] = defaultdict(int)
    for sf in due:
        f = sf.finding
        settings = policy.settings(f.detector)
        action = action_for(f.detector)
        if action is None or not action.applies(settings):
            result.outcomes.append(outcome_of(sf, Outcome.NO_ACTION, "the policy asks for no fix"))
            continue
        why = action.held(f)
        if why is not None:
            # Never taken on its own, whatever the mode or approval: a person decides.
            result.outcomes.append(outcome_of(sf, Outcome.HELD, why))
            continue
        ready = sf.first_seen + timedelta(days=settings.grace_days)
        if ready > now:
            result.outcomes.append(
                outcome_of(sf, Outcome.WAITING_GRACE, f"acts from {ready:%Y-%m-%d %H:%M}")
            )
            continue
        if taken[f.detector] >= settings.max_actions_per_run:
            limit = settings.max_actions_per_run
            result.outcomes.append(
                outcome_of(sf, Outcome.DEFERRED, f"{limit} {f.detector} actions this run; next run")
            )
            continue
        taken[f.detector] += 1
        if dry_run:
            result.outcomes.append(outcome_of(sf, Outcome.WOULD_ACT, f"would {describe_fix(f)}"))
        else:
            result.to_act.append(sf)
    return result


def execute(
    store: Store,
    policy: Policy,
    clients_for: ClientsFor,
    findings: list[StoredFinding],
    *,
    now: datetime,
    actor: str,
) -> list[ActionOutcome]:
    """Re-check, claim and act on findings cleared by ``plan``, each in its own account."""
    batches: dict[tuple[str, str, str], list[StoredFinding]] = defaultdict(list)
    for sf in findings:
        f = sf.finding
        batches[(f.account_id, f.region, f.detector)].append(sf)
    outcomes: list[ActionOutcome] = []
    for (account, region, detector), batch in batches.items():
        try:
            clients = clients_for(account)
            reached = clients.account_id(region)
            if reached != account:
                raise WrongAccount(
                    f"the credentials reach account {reached}, not the finding's {account}: "
                    "nothing was done"
                )
        except (ClientError, BotoCoreError, WrongAccount) as err:
            outcomes += [outcome_of(sf, Outcome.FAILED, f"cannot act: {err}") for sf in batch]
            continue
        pricer = Pricer(policy.pricing, PriceBook(clients, store, now))
        run = _Run(store, policy, clients, pricer, now, actor, account)
        outcomes += run.act_on_batch(region, detector, batch)
    return outcomes


@dataclass
class _Run:
    """One account's remediation: what every step needs, held once."""

    store: Store
    policy: Policy
    clients: AwsClients
    pricer: Pricer
    now: datetime
    actor: str
    account_id: str

    def recheck(
        self, region: str, detector: str, batch: list[StoredFinding]
    ) -> tuple[dict[str, Finding], set[str]]:
        """The same detector on just these resources: what still qualifies, what still exists."""
        scope: dict[str, set[str]] = defaultdict(set)
        for sf in batch:
            scope[sf.finding.resource_type].add(sf.finding.resource_id)
        inv = RegionInventory(
            self.clients,
            region,
            self.account_id,
            self.now,
            self.pricer,
            scope=dict(scope),
            clocks=self.store.clocks(self.account_id, region),
        )
        detected = [
            f
            for f in DETECTORS[detector]().detect(inv, self.policy.settings(detector))
            if isinstance(f, Finding)  # one that cannot be judged now is never acted on
        ]
        exists = {rid for rtype in scope for rid in resource_type(rtype).existing(inv)}
        return {f.finding_id: f for f in detected}, exists

    def settle(self, sf: StoredFinding, state: State, note: str) -> None:
        """Close a finding without acting on it."""
        quietly(
            self.store.transition,
            sf.finding_id,
            {State.APPROVED, State.ACTING},
            state,
            note=note,
            lease_until=None,
        )

    def act_on_batch(
        self, region: str, detector: str, batch: list[StoredFinding]
    ) -> list[ActionOutcome]:
        try:
            fresh, exists = self.recheck(region, detector, batch)
        except (ClientError, BotoCoreError) as err:
            # Nothing was claimed or changed: the findings stay approved for a later try.
            outcome = Outcome.RETRY if is_transient(err) else Outcome.FAILED
            return [outcome_of(sf, outcome, f"re-check failed: {err}") for sf in batch]
        outcomes = []
        for sf in batch:
            current = fresh.get(sf.finding_id)
            if current is None:
                gone = sf.finding.resource_id not in exists
                outcome = Outcome.ALREADY_GONE if gone else Outcome.NO_LONGER_QUALIFIES
                self.settle(sf, State.RESOLVED, f"re-check before acting: {outcome.value}")
                outcomes.append(outcome_of(sf, outcome, "nothing to do"))
                continue
            pol = self.policy
            why = exemption(current.tags, detector, self.now.date(), pol.exempt_tag, pol.snooze_tag)
            if why:
                self.settle(sf, State.RESOLVED, f"exempt at re-check: {why}")
                outcomes.append(outcome_of(sf, Outcome.EXEMPT, why))
                continue
            outcomes.append(self.act_on_one(sf, current))
        return outcomes

    def _finish(
        self, finding_id: str, progress: dict[str, Any] | None = None, **changes: Any
    ) -> None:
        """Record how an action ended, on whatever version is stored now (a sweep may have
        refreshed the finding meanwhile); only a claimed finding is finished."""

        def finish(current: StoredFinding | None) -> StoredFinding | None:
            if current is None or current.state is not State.ACTING:
                return None
            merged = {**current.progress, **(progress or {})}
            return current.model_copy(update={**changes, "progress": merged, "lease_until": None})

        quietly(self.store.update, finding_id, finish)

    def _failed(self, sf: StoredFinding, audit: Any, err: Exception, action: str) -> ActionOutcome:
        """A refusal that stands (access denied, validation, a failed snapshot): recorded
        with its reason; a person can approve the finding again."""
        audit("failed", message=str(err))
        self._finish(sf.finding_id, state=State.FAILED, error=str(err))
        return outcome_of(sf, Outcome.FAILED, str(err), action)

    def act_on_one(self, sf: StoredFinding, current: Finding) -> ActionOutcome:
        action = action_for(current.detector)
        assert action is not None  # checked when the batch was made
        try:
            latest = self.store.claim(sf.finding_id, now=self.now, lease=LEASE, finding=current)
        except StateConflict as err:
            return outcome_of(sf, Outcome.TAKEN, str(err))
        first_attempt = not latest.progress

        def save_progress(progress: dict[str, Any]) -> None:
            def add(cur: StoredFinding | None) -> StoredFinding | None:
                if cur is None:
                    return None
                return cur.model_copy(update={"progress": {**cur.progress, **progress}})

            self.store.update(sf.finding_id, add)

        pol = self.policy
        ctx = ActionContext(
            clients=self.clients,
            now=self.now,
            save_progress=save_progress,
            progress=dict(latest.progress),
            exempt=lambda tags: exemption(
                tags, current.detector, self.now.date(), pol.exempt_tag, pol.snooze_tag
            ),
        )
        audit = _auditor(self.store, current, action.name, self.actor, self.now)
        try:
            if first_attempt:  # the before-state is recorded once, before the first change
                audit("before", before=action.capture(ctx, current))
            result = action.apply(ctx, current)
        except (ClientError, BotoCoreError) as err:
            if is_transient(err):
                # Throttled, a 5xx or a timeout past botocore's retries: hand the finding
                # back, approved, so the worker's redelivery or the next run tries again.
                audit("interrupted", message=str(err))
                self._finish(sf.finding_id, state=State.APPROVED, error=str(err))
                return outcome_of(sf, Outcome.RETRY, str(err), action.name)
            return self._failed(sf, audit, err, action.name)
        except (RuntimeError, StateConflict) as err:
            return self._failed(sf, audit, err, action.name)

        state = {
            Result.PENDING: State.APPROVED,  # a later run finishes it
            Result.GONE: State.RESOLVED,  # gone before govbot's change: not govbot's fix
            Result.EXEMPT: State.RESOLVED,  # exempted meanwhile: left as it is now
            Result.DONE: State.REMEDIATED,
        }[result.result]
        if result.result is not Result.PENDING:
            phase = {Result.DONE: "done", Result.GONE: "gone", Result.EXEMPT: "exempt"}
            audit(phase[result.result], after=result.after, message=result.message)
        if result.result is Result.DONE:
            self.store.record_saving(
                Saving(
                    **current.identity(),
                    detector=current.detector,
                    action=action.name,
                    at=self.now,
                    monthly_usd=action.saving(current),
                    team=self.policy.team_of(current.tags),
                ),
                cycle=latest.first_seen,
            )
        self._finish(
            sf.finding_id, state=state, note=result.message, progress=result.after, error=None
        )
        outcome = {
            Result.PENDING: Outcome.IN_PROGRESS,
            Result.GONE: Outcome.ALREADY_GONE,
            Result.EXEMPT: Outcome.EXEMPT,
            Result.DONE: Outcome.REMEDIATED,
        }[result.result]
        return outcome_of(sf, outcome, result.message, action.name)


def _auditor(store: Store, f: Finding, action: str, actor: str, now: datetime) -> Any:
    def write(phase: str, **fields: Any) -> None:
        store.audit(
            AuditRecord(
                **f.identity(),
                action=action,
                phase=phase,
                at=now,
                actor=actor,
                **fields,
            )
        )

    return write


def outcome_of(
    sf: StoredFinding, outcome: Outcome, message: str, action: str | None = None
) -> ActionOutcome:
    """What happened to a finding, for the report, the digest and the caller."""
    f = sf.finding
    if action is None:
        a = action_for(f.detector)
        action = a.name if a else None
    return ActionOutcome(
        finding_id=f.finding_id,
        detector=f.detector,
        resource_id=f.resource_id,
        region=f.region,
        account_id=f.account_id,
        action=action,
        outcome=outcome,
        message=message,
        monthly_cost_usd=f.monthly_cost_usd,
    )
