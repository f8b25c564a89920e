"""People's decisions on findings: approve, reject, snooze; each one conditional write."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from govbot.cycle.contracts import State, StoredFinding
from govbot.state.store import Store


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
    snooze_until: datetime | None = None,
) -> StoredFinding:
    """One person's decision on one finding, as one conditional write (StateConflict if the
    finding moved first: a second click, a second approver, a fix that already happened)."""
    allowed, to = DECISIONS[decision]
    extra: dict[str, Any] = {"decided_by": by, "decided_at": now, "error": None}
    if decision is Decision.SNOOZE:
        extra["snooze_until"] = snooze_until or now + timedelta(days=snooze_days)
    return store.transition(finding_id, allowed, to, **extra)


# A decision taken back: the finding waits again as its policy mode says (auto findings wait
# for approval here; the next sweep under auto takes them, as it takes any waiting one).
REOPENABLE = {State.REJECTED, State.SNOOZED, State.FAILED}


def reopen(
    store: Store, finding_id: str, *, waiting: State, by: str, now: datetime
) -> StoredFinding:
    """Take back a rejection or a snooze (or a failure): the finding waits again."""
    return store.transition(
        finding_id,
        REOPENABLE,
        waiting,
        decided_by=by,
        decided_at=now,
        snooze_until=None,
        error=None,
        note=f"reopened by {by}",
    )
