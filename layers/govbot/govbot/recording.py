"""Recording a sweep's findings: the first state by mode, and what a later sweep changes.

report/notify -> open, approve -> pending_approval, auto -> approved. Seen again, a finding
keeps its state (a decision sticks), except that one waiting is taken when the policy turns its
detector auto, and a resolved, remediated or expired-snooze one opens a new cycle. Findings a
detector no longer reports, in a region it swept without error, are resolved.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from govbot.contracts import RESOLVABLE, STICKY, State, StoredFinding
from govbot.detectors import Mode
from govbot.models import WASTE_SINCE, Finding, SweepReport
from govbot.policy import Policy
from govbot.store import Store, quietly

INITIAL_STATE = {
    Mode.REPORT: State.OPEN,
    Mode.NOTIFY: State.OPEN,
    Mode.APPROVE: State.PENDING_APPROVAL,
    Mode.AUTO: State.APPROVED,
}


# -- recording ---------------------------------------------------------------------------


def record(
    store: Store, policy: Policy, report: SweepReport, now: datetime
) -> dict[str, StoredFinding]:
    """Store a sweep's findings and resolve what its detectors no longer report. Returns what
    this cycle considers, by id: every reported finding as now stored, and any finding in the
    swept scope that a run left acting (the resource may be gone; its lease decides)."""
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
                store, stored.pop(f.finding_id, None), f, INITIAL_STATE[mode], now
            )
        for gone in stored.values():
            if gone.state is State.ACTING:
                written[gone.finding_id] = gone
            elif gone.state in RESOLVABLE:
                quietly(
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
    return written


def record_some(
    store: Store, policy: Policy, findings: list[Finding], now: datetime
) -> dict[str, StoredFinding]:
    """Store findings about a few resources (an event's), resolving nothing else."""
    return {
        f.finding_id: _record_one(
            store,
            store.get(f.finding_id),
            f,
            INITIAL_STATE[policy.settings(f.detector).mode],
            now,
        )
        for f in findings
    }


def _record_one(
    store: Store,
    old: StoredFinding | None,
    f: Finding,
    initial: State,
    now: datetime,
) -> StoredFinding:
    """Store one finding as seen now; a write that loses a race is re-applied to the winner."""
    stored = store.update(
        f.finding_id,
        lambda current: _seen_again(current, f, initial, now),
        current=old,
        missing=old is None,
    )
    assert stored is not None
    return stored


def _seen_again(
    old: StoredFinding | None, f: Finding, initial: State, now: datetime
) -> StoredFinding:
    auto: dict[str, Any] = (
        {"decided_by": "policy:auto", "decided_at": now} if initial is State.APPROVED else {}
    )
    began = f.details.get(WASTE_SINCE)
    first_seen = min(now, datetime.fromisoformat(began)) if began else now
    fresh = StoredFinding(finding=f, state=initial, first_seen=first_seen, last_seen=now, **auto)
    if old is None:
        return fresh
    if initial is State.APPROVED and old.state in (State.OPEN, State.PENDING_APPROVAL):
        # The policy now says auto (a budget breach's overlay, or a changed policy): the
        # finding no longer waits for a person. Rejected, snoozed or failed ones still do.
        return old.model_copy(update={"finding": f, "last_seen": now, "state": initial, **auto})
    snooze_over = old.state is State.SNOOZED and old.snooze_until and old.snooze_until <= now
    if old.state in STICKY and not snooze_over:
        return old.model_copy(update={"finding": f, "last_seen": now})
    # Resolved, remediated or a snooze that ran out: a new cycle for the same resource.
    return fresh
