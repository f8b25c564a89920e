"""Remediation: the safety rails, once, in this order.

``plan``: dry run (say, change nothing), the policy asks for a fix at all, grace period (first
seen long enough ago), blast radius (at most ``max_actions_per_run`` per detector, costliest
first). ``execute``: re-check (the same detector on just those resources: gone counts as done,
no longer qualifying or newly exempt means no action), claim (a conditional write, so one run
acts once), audit the before-state, act, record.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from govbot.actions import ActionContext, Result, action_for, describe_fix
from govbot.aws import AwsClients
from govbot.detectors import DETECTORS
from govbot.exemptions import exemption
from govbot.inventory import RegionInventory
from govbot.models import ActionOutcome, Finding, Outcome
from govbot.policy import Policy
from govbot.pricing import Pricer
from govbot.store import AuditRecord, State, StateConflict, Store, StoredFinding, quietly

LEASE = timedelta(minutes=15)  # a claim older than this belongs to a run that died


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
            result.outcomes.append(outcome_of(sf, Outcome.NO_ACTION, "the policy asks for no fix"))
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
            return [outcome_of(sf, Outcome.FAILED, f"re-check failed: {err}") for sf in batch]
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

    def act_on_one(self, sf: StoredFinding, current: Finding) -> ActionOutcome:
        action = action_for(current.detector)
        assert action is not None  # checked when the batch was made
        try:
            latest = self.store.claim(sf, now=self.now, lease=LEASE, finding=current)
        except StateConflict as err:
            return outcome_of(sf, Outcome.TAKEN, str(err))
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
            quietly(
                self.store.transition,
                sf.finding_id,
                {State.ACTING},
                State.FAILED,
                error=str(err),
                lease_until=None,
            )
            return outcome_of(sf, Outcome.FAILED, str(err), action.name)

        pending = result.result is Result.PENDING
        if not pending:
            audit("done", after=result.after, message=result.message)
        quietly(
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
        return outcome_of(sf, outcome, result.message, action.name)


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
            found |= {g["logGroupName"] for g in inv.log_groups}
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
        action=action,
        outcome=outcome,
        message=message,
        monthly_cost_usd=f.monthly_cost_usd,
    )
