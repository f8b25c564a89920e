"""The contracts every part of govbot shares: a finding's state and its stored record, the
audit record, the message that carries an approved fix to the worker, and the Slack reply that
replaces a finding's buttons. Entry modules import these from here, never from each other."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from govbot.cycle.models import Finding


class State(StrEnum):
    OPEN = "open"  # stored (report) or told (notify)
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"  # to be acted on (by a person, or by policy in auto mode)
    ACTING = "acting"  # claimed by a run; its lease lets a later run resume after a crash
    REJECTED = "rejected"
    REMEDIATED = "remediated"  # govbot made the change
    FAILED = "failed"
    SNOOZED = "snoozed"
    RESOLVED = "resolved"  # no longer qualifies, or gone without govbot's doing


# States a finding seen again keeps; from the others it opens anew.
STICKY = {
    State.OPEN,
    State.PENDING_APPROVAL,
    State.APPROVED,
    State.ACTING,
    State.REJECTED,
    State.FAILED,
    State.SNOOZED,
}
# States a finding leaves for RESOLVED when its detector no longer reports it.
RESOLVABLE = {State.OPEN, State.PENDING_APPROVAL, State.APPROVED, State.FAILED}


class StoredFinding(BaseModel):
    finding: Finding
    state: State
    first_seen: datetime
    last_seen: datetime
    version: int = 1
    decided_by: str | None = None
    decided_at: datetime | None = None
    note: str | None = None
    progress: dict[str, Any] = Field(default_factory=dict)
    lease_until: datetime | None = None
    snooze_until: datetime | None = None
    error: str | None = None

    @property
    def finding_id(self) -> str:
        return self.finding.finding_id

    def due(self, now: datetime) -> bool:
        """Cleared by a decision and waiting for a run: approved, or claimed by a run whose
        lease ran out (it died; the next run resumes it)."""
        return self.state is State.APPROVED or (
            self.state is State.ACTING and self.lease_until is not None and self.lease_until <= now
        )


class AuditRecord(BaseModel):
    finding_id: str
    account_id: str
    region: str
    resource_type: str
    resource_id: str
    action: str
    phase: str  # "before" (written before the change), "done", "failed", "restored"
    at: datetime
    actor: str
    before: dict[str, Any] = Field(default_factory=dict)
    after: dict[str, Any] = Field(default_factory=dict)
    message: str = ""


class Saving(BaseModel):
    """What one fix stopped: a monthly rate of spend, net of what the fix adds, from the
    moment it was made until a restore undoes it."""

    finding_id: str
    detector: str
    action: str
    account_id: str
    region: str
    resource_type: str
    resource_id: str
    at: datetime
    monthly_usd: float | None  # None: the fix's saving could not be priced
    team: str | None = None
    restored_at: datetime | None = None

    def accrued_usd(self, now: datetime, hours_per_month: float = 730) -> float:
        """Spend avoided so far: the monthly rate over the time the fix has held."""
        end = min(now, self.restored_at) if self.restored_at else now
        hours = max(0.0, (end - self.at).total_seconds() / 3600)
        return round((self.monthly_usd or 0.0) * hours / hours_per_month, 2)


# -- the worker's queue message -----------------------------------------------------------


class SlackContext(BaseModel):
    """Where the decision was made, so the outcome can update the same message."""

    response_url: str | None = None
    blocks: list[dict[str, Any]] = Field(default_factory=list)


class RemediationRequest(BaseModel):
    """One approved fix on its way to the worker. The account and region travel with it so
    the worker acts where the resource is (a member account through its remediation role);
    the worker checks them against the stored finding before anything else."""

    finding_id: str
    account_id: str
    region: str
    decided_at: datetime
    decided_by: str
    slack: SlackContext | None = None


# -- the Slack reply ----------------------------------------------------------------------

Respond = Callable[[str, dict[str, Any]], None]  # (response_url, payload)


def decision_block(
    blocks: list[dict[str, Any]], finding_id: str, text: str
) -> list[dict[str, Any]]:
    """The message's blocks with the finding's buttons replaced by a line of text."""
    return [
        {
            "type": "context",
            "block_id": f"decide:{finding_id}",
            "elements": [{"type": "mrkdwn", "text": text[:3000]}],
        }
        if isinstance(b, dict) and b.get("block_id") == f"decide:{finding_id}"
        else b
        for b in blocks
    ]
