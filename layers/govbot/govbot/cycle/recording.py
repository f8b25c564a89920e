"""Recording a sweep's findings: the first state by mode, and what a later sweep changes.

report/notify -> open, approve -> pending_approval, auto -> approved. Seen again, a finding
keeps its state (a decision sticks), except that one waiting is taken when the policy turns its
detector auto, and a resolved, remediated or expired-snooze one opens a new cycle. Findings a
detector no longer reports, in a region it swept without error, are resolved.
"""

from __future__ import annotations

from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from govbot.cycle.contracts import RESOLVABLE, STICKY, State, StoredFinding
from govbot.cycle.models import WASTE_SINCE, Finding, SweepReport
from govbot.cycle.policy import Policy
from govbot.detectors import Mode
from govbot.state.store import Store, quietly

WRITERS = 16  # concurrent DynamoDB writes of one sweep's recording

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
    swept = [
        unit
        for unit in sorted(units)
        # A unit that failed says nothing about what was fixed.
        if (unit[1], unit[2]) not in failed and (unit[1], None) not in failed
    ]
    # Each finding is its own item and its own conditional write: the writes of a sweep go
    # side by side, WRITERS at a time.
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        in_scope = dict(zip(swept, pool.map(lambda u: store.in_scope(*u), swept), strict=True))
        seen: list[tuple[Finding, StoredFinding | None, State]] = []
        gone: list[StoredFinding] = []
        for unit in swept:
            stored = {sf.finding_id: sf for sf in in_scope[unit]}
            initial = INITIAL_STATE[policy.settings(unit[2]).mode]
            seen += [(f, stored.pop(f.finding_id, None), initial) for f in by_unit.get(unit, [])]
            gone += stored.values()
        recorded = pool.map(lambda s: _record_one(store, s[1], s[0], s[2], now), seen)
        written.update((sf.finding_id, sf) for sf in recorded)
        # One write per region says its swept units were seen now (findings are written only
        # when they change): a finding's last sighting is the later of its own write and this.
        marks: dict[tuple[str, str], list[str]] = defaultdict(list)
        for account, region, detector in swept:
            marks[(account, region)].append(detector)
        list(pool.map(lambda w: quietly(store.mark_swept, *w, marks[w], now), marks))
        written.update((sf.finding_id, sf) for sf in gone if sf.state is State.ACTING)
        list(pool.map(lambda sf: _resolve(store, sf, now), gone))
    return written


def _resolve(store: Store, gone: StoredFinding, now: datetime) -> None:
    """A finding its detector no longer reports: resolved, unless a run is acting on it."""
    if gone.state in RESOLVABLE:
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


def _same_to_a_reader(old: Finding, new: Finding) -> bool:
    """Whether a finding seen again changed in anything people or the engine read from the
    store: its cost, reason, tags or proposed fix (details are read fresh by the re-check)."""
    return (old.monthly_cost_usd, old.reason, old.tags, old.proposed_action) == (
        new.monthly_cost_usd,
        new.reason,
        new.tags,
        new.proposed_action,
    )


def _seen_again(
    old: StoredFinding | None, f: Finding, initial: State, now: datetime
) -> StoredFinding | None:
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
        if _same_to_a_reader(old.finding, f):
            return None  # nothing to write: the unit's sweep mark says it was seen now
        return old.model_copy(update={"finding": f, "last_seen": now})
    # Resolved, remediated or a snooze that ran out: a new cycle for the same resource.
    return fresh
