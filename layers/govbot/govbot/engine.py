"""The policy engine: what happens to findings. Safety lives here, once, not in each action.

``record`` stores a sweep's findings and moves them through their states by mode:
report/notify -> open, approve -> pending_approval, auto -> approved. Findings a detector no
longer reports (in a region it swept without error) are resolved.

``remediate`` acts on approved findings, with the rails in this order: dry run (say, change
nothing), grace period (first seen long enough ago), blast radius (at most
``max_actions_per_run`` per detector, costliest first), re-check (run the same detector on just
those resources: gone counts as done, no longer qualifying or newly exempt means no action),
claim (a conditional write, so one run acts once), audit the before-state, act, record.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel

from govbot.actions import ActionContext, Result, action_for
from govbot.aws import AwsClients
from govbot.detectors import DETECTORS, Mode
from govbot.exemptions import exemption
from govbot.inventory import RegionInventory
from govbot.models import WASTE_SINCE, ActionOutcome, Finding, Outcome, SweepReport
from govbot.policy import Policy
from govbot.pricing import Pricer
from govbot.store import (
    RESOLVABLE,
    STICKY,
    AuditRecord,
    State,
    StateConflict,
    Store,
    StoredFinding,
)
from govbot.sweep import run_sweep

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=15)  # a claim older than this belongs to a run that died
INITIAL_STATE = {
    Mode.REPORT: State.OPEN,
    Mode.NOTIFY: State.OPEN,
    Mode.APPROVE: State.PENDING_APPROVAL,
    Mode.AUTO: State.APPROVED,
}


class RecordSummary(BaseModel):
    new: int = 0
    reopened: int = 0
    seen_again: int = 0
    resolved: int = 0


# -- recording ---------------------------------------------------------------------------


def record(
    store: Store, policy: Policy, report: SweepReport, now: datetime
) -> tuple[RecordSummary, dict[str, StoredFinding]]:
    """Store a sweep's findings and resolve what its detectors no longer report. Returns the
    counts and every reported finding as now stored (with its state)."""
    summary = RecordSummary()
    written: dict[str, StoredFinding] = {}
    by_unit: dict[tuple[str, str, str], list[Finding]] = defaultdict(list)
    for f in report.findings:
        by_unit[(f.account_id, f.region, f.detector)].append(f)
    failed = {(e.region, e.detector) for e in report.errors}
    units = set(by_unit)
    if report.summary.account_id:  # units that found nothing still resolve what they found
        units |= {
            (report.summary.account_id, r, d)
            for r in report.summary.regions
            for d in report.summary.by_detector
        }
    for account, region, detector in sorted(units):
        if (region, detector) in failed or (region, None) in failed:
            continue  # a unit that failed says nothing about what was fixed
        stored = {sf.finding_id: sf for sf in store.in_scope(account, region, detector)}
        mode = policy.settings(detector).mode
        for f in by_unit.get((account, region, detector), []):
            written[f.finding_id] = _record_one(
                store, stored.pop(f.finding_id, None), f, INITIAL_STATE[mode], now, summary
            )
        for gone in stored.values():
            if gone.state in RESOLVABLE:
                _try(
                    store.replace,
                    gone,
                    gone.model_copy(
                        update={
                            "state": State.RESOLVED,
                            "note": f"no longer reported on {now:%Y-%m-%d}",
                            "last_seen": now,
                        }
                    ),
                )
                summary.resolved += 1
    return summary, written


def record_some(
    store: Store, policy: Policy, findings: list[Finding], now: datetime
) -> dict[str, StoredFinding]:
    """Store findings about a few resources (an event's), resolving nothing else."""
    summary = RecordSummary()
    return {
        f.finding_id: _record_one(
            store,
            store.get(f.finding_id),
            f,
            INITIAL_STATE[policy.settings(f.detector).mode],
            now,
            summary,
        )
        for f in findings
    }


def _record_one(
    store: Store,
    old: StoredFinding | None,
    f: Finding,
    initial: State,
    now: datetime,
    summary: RecordSummary,
) -> StoredFinding:
    auto: dict[str, Any] = (
        {"decided_by": "policy:auto", "decided_at": now} if initial is State.APPROVED else {}
    )
    began = f.details.get(WASTE_SINCE)
    first_seen = min(now, datetime.fromisoformat(began)) if began else now
    fresh = StoredFinding(finding=f, state=initial, first_seen=first_seen, last_seen=now, **auto)
    if old is None:
        store.put_new(fresh)
        summary.new += 1
        return fresh
    if initial is State.APPROVED and old.state in (State.OPEN, State.PENDING_APPROVAL):
        # The policy now says auto (a budget breach's overlay, or a changed policy): the
        # finding no longer waits for a person. Rejected, snoozed or failed ones still do.
        summary.seen_again += 1
        promoted = old.model_copy(update={"finding": f, "last_seen": now, "state": initial, **auto})
        return _try(store.replace, old, promoted) or old
    snooze_over = old.state is State.SNOOZED and old.snooze_until and old.snooze_until <= now
    if old.state in STICKY and not snooze_over:
        summary.seen_again += 1
        return (
            _try(store.replace, old, old.model_copy(update={"finding": f, "last_seen": now})) or old
        )
    # Resolved, remediated or a snooze that ran out: a new cycle for the same resource.
    summary.reopened += 1
    return _try(store.replace, old, fresh) or old


def _try(write: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return write(*args, **kwargs)
    except StateConflict as err:  # a decision landed meanwhile: it wins over bookkeeping
        log.info("skipped a write: %s", err)
        return None


# -- remediation -------------------------------------------------------------------------


@dataclass
class Plan:
    """What a run will do: findings cleared to act on (costliest first), and the outcome of
    every other due finding (no fix in the policy, grace period, blast radius, dry run)."""

    to_act: list[StoredFinding]
    outcomes: list[ActionOutcome]


def plan(store: Store, policy: Policy, *, now: datetime, dry_run: bool, account_id: str) -> Plan:
    due = store.by_state(State.APPROVED) + [
        sf for sf in store.by_state(State.ACTING) if sf.lease_until and sf.lease_until <= now
    ]
    due = [sf for sf in due if sf.finding.account_id == account_id]
    due.sort(key=lambda sf: -(sf.finding.monthly_cost_usd or 0.0))
    result = Plan(to_act=[], outcomes=[])
    taken: dict[str, int] = defaultdict(int)
    for sf in due:
        f = sf.finding
        settings = policy.settings(f.detector)
        action = action_for(f.detector)
        if action is None or not action.applies(settings):
            result.outcomes.append(_outcome(sf, Outcome.NO_ACTION, "the policy asks for no fix"))
            continue
        ready = sf.first_seen + timedelta(days=settings.grace_days)
        if ready > now:
            result.outcomes.append(
                _outcome(sf, Outcome.WAITING_GRACE, f"acts from {ready:%Y-%m-%d %H:%M}")
            )
            continue
        if taken[f.detector] >= settings.max_actions_per_run:
            limit = settings.max_actions_per_run
            result.outcomes.append(
                _outcome(sf, Outcome.DEFERRED, f"{limit} {f.detector} actions this run; next run")
            )
            continue
        taken[f.detector] += 1
        if dry_run:
            result.outcomes.append(_outcome(sf, Outcome.WOULD_ACT, f"would {action.describe(f)}"))
        else:
            result.to_act.append(sf)
    return result


def execute(
    store: Store,
    policy: Policy,
    clients: AwsClients,
    findings: list[StoredFinding],
    *,
    now: datetime,
    actor: str,
    account_id: str,
) -> list[ActionOutcome]:
    """Re-check, claim and act on findings cleared by ``plan`` (or approved in Slack)."""
    batches: dict[tuple[str, str], list[StoredFinding]] = defaultdict(list)
    for sf in findings:
        batches[(sf.finding.region, sf.finding.detector)].append(sf)
    run = _Run(store, policy, clients, Pricer(policy.pricing), now, actor, account_id)
    return [
        o for (region, det), batch in batches.items() for o in run.act_on_batch(region, det, batch)
    ]


def remediate(
    store: Store,
    policy: Policy,
    clients: AwsClients,
    *,
    now: datetime,
    dry_run: bool,
    actor: str,
    account_id: str,
) -> list[ActionOutcome]:
    """Plan and act in this process (the command line)."""
    cleared = plan(store, policy, now=now, dry_run=dry_run, account_id=account_id)
    return cleared.outcomes + execute(
        store, policy, clients, cleared.to_act, now=now, actor=actor, account_id=account_id
    )


@dataclass
class _Run:
    """One remediation run: what every step needs, held once."""

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
        detected = DETECTORS[detector]().detect(inv, self.policy.settings(detector))
        return {f.finding_id: f for f in detected}, _existing_ids(inv)

    def settle(self, sf: StoredFinding, state: State, note: str) -> None:
        """Close a finding without acting on it."""
        _try(
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
            return [_outcome(sf, Outcome.FAILED, f"re-check failed: {err}") for sf in batch]
        outcomes = []
        for sf in batch:
            current = fresh.get(sf.finding_id)
            if current is None:
                gone = sf.finding.resource_id not in exists
                outcome = Outcome.ALREADY_GONE if gone else Outcome.NO_LONGER_QUALIFIES
                self.settle(
                    sf,
                    State.REMEDIATED if gone else State.RESOLVED,
                    f"re-check before acting: {outcome.value}",
                )
                outcomes.append(_outcome(sf, outcome, "nothing to do"))
                continue
            pol = self.policy
            why = exemption(current.tags, detector, self.now.date(), pol.exempt_tag, pol.snooze_tag)
            if why:
                self.settle(sf, State.RESOLVED, f"exempt at re-check: {why}")
                outcomes.append(_outcome(sf, Outcome.EXEMPT, why))
                continue
            outcomes.append(self.act_on_one(sf, current))
        return outcomes

    def act_on_one(self, sf: StoredFinding, current: Finding) -> ActionOutcome:
        action = action_for(current.detector)
        assert action is not None  # checked when the batch was made
        try:
            latest = self.store.claim(sf, now=self.now, lease=LEASE, finding=current)
        except StateConflict as err:
            return _outcome(sf, Outcome.TAKEN, str(err))
        first_attempt = not latest.progress

        def save_progress(progress: dict[str, Any]) -> None:
            nonlocal latest
            merged = {**latest.progress, **progress}
            latest = self.store.replace(latest, latest.model_copy(update={"progress": merged}))

        ctx = ActionContext(
            clients=self.clients,
            now=self.now,
            save_progress=save_progress,
            progress=dict(latest.progress),
        )
        audit = _auditor(self.store, current, action.name, self.actor, self.now)
        try:
            if first_attempt:  # the before-state is recorded once, before the first change
                audit("before", before=action.capture(ctx, current))
            result = action.apply(ctx, current)
        except (ClientError, BotoCoreError, RuntimeError) as err:
            audit("failed", message=str(err))
            _try(
                self.store.transition,
                sf.finding_id,
                {State.ACTING},
                State.FAILED,
                error=str(err),
                lease_until=None,
            )
            return _outcome(sf, Outcome.FAILED, str(err), action.name)

        pending = result.result is Result.PENDING
        if not pending:
            audit("done", after=result.after, message=result.message)
        _try(
            self.store.replace,
            latest,
            latest.model_copy(
                update={
                    "state": State.APPROVED if pending else State.REMEDIATED,
                    "lease_until": None,
                    "note": result.message,
                    "progress": {**latest.progress, **result.after},
                    "error": None,
                }
            ),
        )
        outcome = {
            Result.PENDING: Outcome.IN_PROGRESS,
            Result.GONE: Outcome.ALREADY_GONE,
            Result.DONE: Outcome.REMEDIATED,
        }[result.result]
        return _outcome(sf, outcome, result.message, action.name)


def _existing_ids(inv: RegionInventory) -> set[str]:
    """Ids of the scoped resources that still exist (read from the inventory's caches)."""
    found: set[str] = set()
    for rtype, ids in (inv.scope or {}).items():
        if rtype == "AWS::SageMaker::Endpoint":
            found |= {e["EndpointName"] for e in inv.endpoints}
        elif rtype == "AWS::SageMaker::TrainingJob":
            found |= {n for n in ids if inv.training_job(n)}
        elif rtype == "AWS::SageMaker::NotebookInstance":
            found |= {n["NotebookInstanceName"] for n in inv.notebook_instances}
        elif rtype == "AWS::EC2::Volume":
            found |= {v["VolumeId"] for v in inv.volumes}
        elif rtype == "AWS::EC2::Instance":
            found |= {i["InstanceId"] for i in inv.instances}
        elif rtype == "AWS::Logs::LogGroup":
            found |= {g["logGroupName"] for g in inv.log_groups()}
    return found


def _auditor(store: Store, f: Finding, action: str, actor: str, now: datetime) -> Any:
    def write(phase: str, **fields: Any) -> None:
        store.audit(
            AuditRecord(
                finding_id=f.finding_id,
                account_id=f.account_id,
                region=f.region,
                resource_type=f.resource_type,
                resource_id=f.resource_id,
                action=action,
                phase=phase,
                at=now,
                actor=actor,
                **fields,
            )
        )

    return write


def _outcome(
    sf: StoredFinding, outcome: Outcome, message: str, action: str | None = None
) -> ActionOutcome:
    f = sf.finding
    if action is None:
        a = action_for(f.detector)
        action = a.name if a else None
    return ActionOutcome(
        finding_id=f.finding_id,
        detector=f.detector,
        resource_id=f.resource_id,
        region=f.region,
        action=action,
        outcome=outcome,
        message=message,
        monthly_cost_usd=f.monthly_cost_usd,
    )


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    SNOOZE = "snooze"


UNDECIDED = {State.OPEN, State.PENDING_APPROVAL, State.FAILED}
# Where each decision may come from, and where it leads.
DECISIONS = {
    Decision.APPROVE: (UNDECIDED, State.APPROVED),
    Decision.REJECT: (UNDECIDED | {State.APPROVED}, State.REJECTED),
    Decision.SNOOZE: (UNDECIDED | {State.APPROVED}, State.SNOOZED),
}


def decide_one(
    store: Store,
    finding_id: str,
    decision: Decision,
    *,
    by: str,
    now: datetime,
    snooze_days: int = 7,
) -> StoredFinding:
    """One person's decision on one finding, as one conditional write (StateConflict if the
    finding moved first: a second click, a second approver, a fix that already happened)."""
    allowed, to = DECISIONS[decision]
    extra: dict[str, Any] = {"decided_by": by, "decided_at": now, "error": None}
    if decision is Decision.SNOOZE:
        extra["snooze_until"] = now + timedelta(days=snooze_days)
    return store.transition(finding_id, allowed, to, **extra)


def decide(
    store: Store, finding_ids: Iterable[str], *, approve: bool, by: str, now: datetime
) -> list[tuple[str, StoredFinding | StateConflict]]:
    """Approve or reject several findings (the command line)."""
    decision = Decision.APPROVE if approve else Decision.REJECT
    results: list[tuple[str, StoredFinding | StateConflict]] = []
    for fid in finding_ids:
        try:
            results.append((fid, decide_one(store, fid, decision, by=by, now=now)))
        except StateConflict as err:
            results.append((fid, err))
    return results


# -- the whole cycle ---------------------------------------------------------------------


Dispatch = Callable[[list[StoredFinding]], list[ActionOutcome]]


@dataclass
class Cycle:
    report: SweepReport  # with the actions taken or planned
    stored: dict[str, StoredFinding]  # every reported finding as now stored


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
    _, stored = record(store, policy, report, now)
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
