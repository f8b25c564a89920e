"""Slack interactivity: a button click becomes a decision, or a clear refusal.

Order of checks: the signature (slack_sdk's verifier over the raw body: v0 HMAC-SHA256, and a
timestamp within five minutes), the payload, the clicking user (an approver), then the
decision itself as one conditional write. Only an approval is queued for the worker, carrying
nothing but the finding id and the decision; the rest is read from the store.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs

from pydantic import BaseModel, Field, ValidationError, field_validator
from slack_sdk.signature import Clock, SignatureVerifier

from govbot import runtime
from govbot.actions import describe_fix
from govbot.cycle.contracts import RemediationRequest, Respond, SlackContext, decision_block
from govbot.cycle.decisions import Decision, decide_one
from govbot.cycle.policy import Policy
from govbot.delivery import queue
from govbot.delivery import slack as slack_notify
from govbot.delivery.mrkdwn import escape, mention
from govbot.delivery.slack import ACTION_IDS, reply_url_allowed
from govbot.runtime import Settings
from govbot.state.store import StateConflict, Store

log = logging.getLogger(__name__)

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


def raw_body(body: str | None, base64_encoded: bool) -> str | None:
    """The request body as Slack signed it, or None when it cannot be what Slack sent (not
    base64 where it says so, not UTF-8): such a request is unauthenticated, never parsed."""
    if body is None:
        return ""
    if not base64_encoded:
        return body
    try:
        return base64.b64decode(body, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None


# Slack's verifier accepts a request up to five minutes old; its key is kept past that.
REPLAY_WINDOW = timedelta(minutes=10)


def verify(
    body: str, headers: Mapping[str, str], signing_secret: str, clock: Clock | None = None
) -> bool:
    """slack_sdk's verifier, behind checks that keep malformed headers from raising in it
    (a timestamp that is not a whole number, a signature that is not ASCII)."""
    lower = {str(k).lower(): v for k, v in headers.items()}
    timestamp, signature = lower.get("x-slack-request-timestamp"), lower.get("x-slack-signature")
    if not isinstance(timestamp, str) or not (timestamp.isascii() and timestamp.isdigit()):
        return False
    if not isinstance(signature, str) or not signature.isascii():
        return False
    verifier = SignatureVerifier(signing_secret, clock or Clock())
    try:
        return verifier.is_valid(body, timestamp, signature)
    except (ValueError, TypeError):
        return False


class _User(BaseModel):
    id: Annotated[str, Field(min_length=1, max_length=64)]


class _Button(BaseModel):
    action_id: str
    value: Annotated[str, Field(min_length=1, max_length=200)]


class _Message(BaseModel):
    blocks: list[dict[str, Any]] = Field(default_factory=list, max_length=50)


class _BlockActions(BaseModel):
    """The parts of Slack's block_actions payload a decision needs, each of its type."""

    type: Literal["block_actions"]
    user: _User
    actions: Annotated[list[_Button], Field(min_length=1)]
    response_url: str | None = None
    message: _Message | None = None

    @field_validator("response_url")
    @classmethod
    def _slacks_own(cls, url: str | None) -> str | None:
        # Slack sends https://hooks.slack.com/...: a reply to anywhere else is never made.
        if url is not None and not reply_url_allowed(url):
            raise ValueError("response_url is not Slack's (https://hooks.slack.com/)")
        return url


def parse_click(body: str) -> Click:
    """A govbot button click from a signed request body; BadRequest says what is wrong."""
    try:
        form = parse_qs(body, strict_parsing=True)
    except ValueError as err:
        raise BadRequest("the body is not a form") from err
    if len(form.get("payload", [])) != 1:
        raise BadRequest("the form has no single 'payload' field")
    try:
        payload = _BlockActions.model_validate_json(form["payload"][0])
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "payload"
        raise BadRequest(f"not a govbot button click: {where}: {first['msg']}") from err
    action = payload.actions[0]
    decision = DECISION_OF.get(action.action_id)
    if decision is None:
        raise BadRequest(f"not a govbot button: {action.action_id[:60]!r}")
    return Click(
        user_id=payload.user.id,
        decision=decision,
        finding_id=action.value,
        response_url=payload.response_url,
        blocks=payload.message.blocks if payload.message else [],
    )


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
        # The decision stands whatever happens to the reply: a response_url that refuses or
        # hangs is logged, never turned into an error for a click that worked.
        if not url:
            return
        try:
            respond(url, payload)
        except Exception:
            log.warning("could not update the Slack message through response_url", exc_info=True)

    try:
        allowed = approver(click.user_id)
    except Exception:  # Slack's API down or refusing: decide nothing, say so
        log.exception("could not check whether %s is an approver", click.user_id)
        text = "govbot could not check its approvers just now; nothing changed. Try again."
        reply(ephemeral(text))
        return text
    if not allowed:
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
            who = f" by {mention(current.decided_by)}" if current.decided_by else ""
            text = f"Nothing changed: this finding is already {current.state.value}{who}."
        reply(ephemeral(text))
        return text
    f = decided.finding
    if click.decision is Decision.APPROVE:
        by = mention(click.user_id)
        text = f":hourglass_flowing_sand: Approved by {by}: {escape(describe_fix(f))}…"
        try:
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
        except Exception:
            # The approval is stored: the next sweep's cycle acts on it under the same rails.
            log.exception("could not queue the approved fix of %s", f.finding_id)
            text = (
                f":hourglass_flowing_sand: Approved by {by}: {escape(describe_fix(f))} "
                "with the next sweep (the worker's queue could not be reached)."
            )
    elif click.decision is Decision.SNOOZE:
        until = decided.snooze_until
        by = mention(click.user_id)
        text = f":zzz: Snoozed by {by} until {until:%Y-%m-%d}" if until else "Snoozed"
    else:
        text = f":no_entry_sign: Rejected by {mention(click.user_id)}: govbot will leave it alone."
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
    body: str | None,
    headers: Mapping[str, str],
    *,
    signing_secret: str,
    handle: Callable[[Click], str],
    once: Callable[[str, datetime], bool] | None = None,
    clock: Clock | None = None,
) -> tuple[int, str]:
    """HTTP status and body for Slack. Anything not correctly signed is 401 and changes
    nothing; a signed request that is not a govbot click is 400; a signed click seen before
    (the same timestamp and signature, replayed within Slack's five minutes) is answered
    "already handled" and changes nothing. ``body`` is None when it could not be decoded (see
    ``raw_body``); ``once`` records a request's key until a time, False if it was recorded."""
    if body is None or not verify(body, headers, signing_secret, clock):
        return 401, "invalid signature"
    try:
        click = parse_click(body)
    except BadRequest as err:
        return 400, str(err)
    lower = {str(k).lower(): v for k, v in headers.items()}
    sent = int(lower["x-slack-request-timestamp"])
    if once is not None and not once(
        f"slack#{sent}#{lower['x-slack-signature']}",
        datetime.fromtimestamp(sent, UTC) + REPLAY_WINDOW,
    ):
        log.warning("a Slack request seen before was refused (replayed)")
        return 200, "already handled"
    handle(click)
    return 200, ""  # Slack wants a quick empty 200; the user was answered via response_url


# -- the function's wiring ------------------------------------------------------------
class SlackApp:
    def __init__(self, settings: Settings) -> None:
        if not settings.slack_secret_arn:
            raise RuntimeError("SLACK_SECRET_ARN is not set: the Slack function has no secret")
        self.settings = settings

    def answer(
        self, body: str | None, headers: Mapping[str, str], now: datetime
    ) -> tuple[int, str]:
        try:
            creds = slack_notify.load_credentials(
                runtime.clients(), str(self.settings.slack_secret_arn)
            )
            # The policy and Slack client are read only for correctly signed requests.
            return handle_request(
                body,
                headers,
                signing_secret=creds.signing_secret.get_secret_value(),
                handle=lambda click: self._decide(click, creds.bot_token.get_secret_value(), now),
                once=runtime.store(self.settings).accept_once,
            )
        except Exception:
            # An AWS service down (the secret, the table): a deliberate answer, not a crash.
            # Nothing is stored before these can fail, so the user can simply click again.
            log.exception("could not handle a Slack request")
            return 503, "govbot could not handle this click just now; nothing changed"

    def _decide(self, click: Click, token: str, now: datetime) -> str:
        policy = runtime.load_policy(self.settings)
        # One second for the approver lookup: the whole click must be answered within three.
        client = slack_notify.web_client(token, timeout=1)

        def enqueue(request: RemediationRequest) -> None:
            if not self.settings.remediation_queue_url:
                raise RuntimeError("REMEDIATION_QUEUE_URL is not set")
            queue.send(
                runtime.clients(),
                self.settings.region,
                self.settings.remediation_queue_url,
                [request],
            )

        return handle_click(
            click,
            store=runtime.store(self.settings),
            policy=policy,
            approver=lambda user: slack_notify.is_approver(client, user, policy.slack.approvers),
            enqueue=enqueue,
            respond=slack_notify.respond,
            now=now,
        )
