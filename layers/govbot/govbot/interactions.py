"""Slack interactivity: a button click becomes a decision, or a clear refusal.

Order of checks: the signature (slack_sdk's verifier over the raw body: v0 HMAC-SHA256, and a
timestamp within five minutes), the payload, the clicking user (an approver), then the
decision itself as one conditional write. Only an approval is queued for the worker, carrying
nothing but the finding id and the decision; the rest is read from the store.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.signature import Clock, SignatureVerifier

from govbot.actions import describe_fix
from govbot.contracts import RemediationRequest, Respond, SlackContext, decision_block
from govbot.decisions import Decision, decide_one
from govbot.notify.slack import ACTION_IDS
from govbot.policy import Policy
from govbot.store import StateConflict, Store

DECISION_OF = {action_id: Decision(name) for name, action_id in ACTION_IDS.items()}
PAST = {Decision.APPROVE: "Approved", Decision.REJECT: "Rejected", Decision.SNOOZE: "Snoozed"}


class BadRequest(ValueError):
    """A request that is signed but not a govbot button click."""


@dataclass
class Click:
    user_id: str
    decision: Decision
    finding_id: str
    response_url: str | None
    blocks: list[dict[str, Any]] = field(default_factory=list)


def verify(
    body: str, headers: Mapping[str, str], signing_secret: str, clock: Clock | None = None
) -> bool:
    lower = {k.lower(): v for k, v in headers.items()}
    verifier = SignatureVerifier(signing_secret, clock or Clock())
    return verifier.is_valid(
        body, lower.get("x-slack-request-timestamp"), lower.get("x-slack-signature")
    )


def parse_click(body: str) -> Click:
    try:
        payload = json.loads(parse_qs(body, strict_parsing=True)["payload"][0])
        if payload.get("type") != "block_actions":
            raise BadRequest(f"not a button click: {payload.get('type')!r}")
        action = payload["actions"][0]
        decision = DECISION_OF[action["action_id"]]
        return Click(
            user_id=payload["user"]["id"],
            decision=decision,
            finding_id=str(action["value"]),
            response_url=payload.get("response_url"),
            blocks=payload.get("message", {}).get("blocks", []),
        )
    except BadRequest:
        raise
    except (KeyError, IndexError, ValueError, TypeError) as err:
        raise BadRequest(f"not a govbot button click: {err!r}") from err


def ephemeral(text: str) -> dict[str, Any]:
    return {"response_type": "ephemeral", "replace_original": False, "text": text}


def handle_click(
    click: Click,
    *,
    store: Store,
    policy: Policy,
    approver: Callable[[str], bool],
    enqueue: Callable[[RemediationRequest], None],
    respond: Respond,
    now: datetime,
) -> str:
    """Apply one click; returns what the user was told."""
    url = click.response_url

    def reply(payload: dict[str, Any]) -> None:
        if url:
            respond(url, payload)

    if not approver(click.user_id):
        text = "You are not allowed to decide govbot findings; ask one of its approvers."
        reply(ephemeral(text))
        return text
    try:
        decided = decide_one(
            store,
            click.finding_id,
            click.decision,
            by=click.user_id,
            now=now,
            snooze_days=policy.slack.snooze_days,
        )
    except StateConflict as refused:
        current = refused.found  # as read when the decision was refused: no second read
        if current is None:
            text = "That finding is not in govbot's records."
        else:
            who = f" by <@{current.decided_by}>" if current.decided_by else ""
            text = f"Nothing changed: this finding is already {current.state.value}{who}."
        reply(ephemeral(text))
        return text
    f = decided.finding
    if click.decision is Decision.APPROVE:
        enqueue(
            RemediationRequest(
                finding_id=f.finding_id,
                account_id=f.account_id,
                region=f.region,
                decided_at=now,
                decided_by=click.user_id,
                slack=SlackContext(response_url=click.response_url, blocks=click.blocks),
            )
        )
        text = f":hourglass_flowing_sand: Approved by <@{click.user_id}>: {describe_fix(f)}…"
    elif click.decision is Decision.SNOOZE:
        until = decided.snooze_until
        text = f":zzz: Snoozed by <@{click.user_id}> until {until:%Y-%m-%d}" if until else "Snoozed"
    else:
        text = f":no_entry_sign: Rejected by <@{click.user_id}>: govbot will leave it alone."
    reply(
        {
            "replace_original": True,
            "text": text,
            "blocks": decision_block(click.blocks, f.finding_id, text),
        }
        if click.blocks
        else {"replace_original": False, "text": text}
    )
    return text


def handle_request(
    body: str,
    headers: Mapping[str, str],
    *,
    signing_secret: str,
    handle: Callable[[Click], str],
    clock: Clock | None = None,
) -> tuple[int, str]:
    """HTTP status and body for Slack. Anything not correctly signed is 401 and changes
    nothing; a signed request that is not a govbot click is 400."""
    if not verify(body, headers, signing_secret, clock):
        return 401, "invalid signature"
    try:
        click = parse_click(body)
    except BadRequest as err:
        return 400, str(err)
    handle(click)
    return 200, ""  # Slack wants a quick empty 200; the user was answered via response_url
