"""The remediation worker: act on one approved finding from the queue, then say how it went.

Idempotent per decision (Powertools Idempotency on the finding id and decision time) and per
finding (the engine's conditional claim): redelivery, a second message for the same finding or
a finding fixed meanwhile all end with at most one change.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from govbot.actions import describe_fix
from govbot.aws import AwsClients
from govbot.policy import Policy
from govbot.remediation import execute
from govbot.store import State, Store

Respond = Callable[[str, dict[str, Any]], None]  # (response_url, payload)


class SlackContext(BaseModel):
    """Where the decision was made, so the outcome can update the same message."""

    response_url: str | None = None
    blocks: list[dict[str, Any]] = Field(default_factory=list)


class RemediationRequest(BaseModel):
    finding_id: str
    account_id: str | None = None  # a member account's: the worker acts through its role
    decided_at: datetime
    decided_by: str
    slack: SlackContext | None = None


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
        if b.get("block_id") == f"decide:{finding_id}"
        else b
        for b in blocks
    ]


def remediate_request(
    request: RemediationRequest,
    *,
    store: Store,
    policy: Policy,
    clients: AwsClients,
    now: datetime,
    respond: Respond,
    dry_run: bool = False,
) -> dict[str, Any]:
    sf = store.get(request.finding_id)
    if sf is None:
        return {"finding_id": request.finding_id, "outcome": "unknown finding"}
    if sf.state not in (State.APPROVED, State.ACTING):
        # Redelivered, or decided otherwise since: nothing to do, and nothing to retry.
        return {"finding_id": sf.finding_id, "outcome": f"nothing to do: {sf.state.value}"}
    if dry_run:  # a dry-run deployment takes decisions but changes nothing
        return {
            "finding_id": sf.finding_id,
            "outcome": f"dry run: would {describe_fix(sf.finding)}",
        }
    [outcome] = execute(
        store,
        policy,
        clients,
        [sf],
        now=now,
        actor=f"slack:{request.decided_by}",
        account_id=sf.finding.account_id,
    )
    slack = request.slack
    if slack and slack.response_url:
        icon = {"remediated": ":white_check_mark:", "failed": ":x:"}.get(
            outcome.outcome.value, ":information_source:"
        )
        by = f"<@{request.decided_by}>"
        text = f"{icon} {outcome.outcome.value}: {outcome.message} (approved by {by})"
        respond(
            slack.response_url,
            {
                "replace_original": True,
                "text": text,
                "blocks": decision_block(slack.blocks, sf.finding_id, text),
            },
        )
    return outcome.model_dump(mode="json")
