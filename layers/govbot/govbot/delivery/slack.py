"""Slack: the Block Kit digest with Approve / Reject / Snooze, credentials, and approvers.

Limits respected: 50 blocks a message (the rest go to the thread), 3,000 characters a text
block. A button carries only the finding id; everything else is read from the store.
"""

from __future__ import annotations

import os
import time
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from aws_lambda_powertools.utilities.parameters import SecretsProvider
from pydantic import BaseModel, ConfigDict, SecretStr
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from govbot.actions import describe_fix
from govbot.aws import AwsClients
from govbot.cycle.models import cost_text, money
from govbot.cycle.policy import SlackSettings
from govbot.delivery.digest import Digest, Told
from govbot.delivery.mrkdwn import escape, mention

MAX_BLOCKS = 50
MAX_TEXT = 3000
HEAD_BLOCKS = 3  # header, summary, divider
SECRET_CACHE_SECONDS = 300
GROUP_CACHE_SECONDS = 300
ACTION_IDS = {"approve": "govbot_approve", "reject": "govbot_reject", "snooze": "govbot_snooze"}
# The bot scope of each Slack Web API method govbot calls: what docs/slack-app-manifest.yaml
# asks for, and nothing more (a test finds every call and holds the manifest to this).
SCOPES: dict[str, str | None] = {
    "chat.postMessage": "chat:write",
    "usergroups.users.list": "usergroups:read",
    "auth.test": None,  # any token may ask who it is
    "conversations.info": "channels:read",  # govbot doctor: is the bot in its channel?
}


class SlackCredentials(BaseModel):
    # A secret with a misspelt key must not put the token into the error, nor so the logs.
    model_config = ConfigDict(hide_input_in_errors=True)

    bot_token: SecretStr
    signing_secret: SecretStr


@cache
def _secrets(clients: AwsClients, region: str) -> SecretsProvider:
    return SecretsProvider(boto3_client=clients.client("secretsmanager", region))


def load_credentials(clients: AwsClients, secret_arn: str) -> SlackCredentials:
    """The bot token and signing secret, from one JSON secret, cached for five minutes."""
    region = secret_arn.split(":")[3]
    raw = _secrets(clients, region).get(secret_arn, transform="json", max_age=SECRET_CACHE_SECONDS)
    return SlackCredentials.model_validate(raw)


def web_client(token: str, timeout: int = 5) -> WebClient:
    # SLACK_API_URL points slack_sdk at a stand-in (the demo's, or a test's) instead of Slack.
    base_url = os.environ.get("SLACK_API_URL") or WebClient.BASE_URL
    return WebClient(token=token, base_url=base_url, timeout=timeout)


# -- the digest ---------------------------------------------------------------------------


def _clip(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def _mention(t: Told, slack: SlackSettings) -> str:
    owner = t.finding.tags.get(slack.owner_tag, "")
    user = slack.owners.get(owner)
    return f" · owner {mention(user)}" if user else (f" · owner {escape(owner)}" if owner else "")


def finding_blocks(t: Told, slack: SlackSettings) -> list[dict[str, Any]]:
    f = t.finding
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "block_id": f"finding:{f.finding_id}",
            "text": {
                "type": "mrkdwn",
                "text": _clip(
                    f"*{cost_text(f.monthly_cost_usd, f.cost_kind)}* · `{f.detector}` · "
                    f"*{escape(f.resource_id)}* "
                    f"({escape(f.region)}){_mention(t, slack)}\n{escape(f.reason)}"
                ),
            },
        }
    ]
    if t.awaits_approval:
        fix = describe_fix(f)
        blocks.append(
            {
                "type": "actions",
                "block_id": f"decide:{f.finding_id}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": ACTION_IDS["approve"],
                        "text": {"type": "plain_text", "text": "Approve"},
                        "style": "primary",
                        "value": f.finding_id,
                        "confirm": {
                            "title": {"type": "plain_text", "text": "Approve the fix?"},
                            "text": {
                                "type": "mrkdwn",
                                "text": _clip(f"govbot will {escape(fix)}."),
                            },
                            "confirm": {"type": "plain_text", "text": "Approve"},
                            "deny": {"type": "plain_text", "text": "Cancel"},
                        },
                    },
                    {
                        "type": "button",
                        "action_id": ACTION_IDS["reject"],
                        "text": {"type": "plain_text", "text": "Reject"},
                        "style": "danger",
                        "value": f.finding_id,
                    },
                    {
                        "type": "button",
                        "action_id": ACTION_IDS["snooze"],
                        "text": {"type": "plain_text", "text": f"Snooze {slack.snooze_days} days"},
                        "value": f.finding_id,
                    },
                ],
            }
        )
    return blocks


def digest_messages(digest: Digest, slack: SlackSettings) -> list[list[dict[str, Any]]]:
    """The digest as messages of at most 50 blocks: the first to the channel, the rest to its
    thread. A finding's section and buttons always travel together."""
    summary = "\n".join(
        f"• `{det}`: {s.findings} finding(s), {cost_text(s.monthly_cost_usd, s.cost_kind)}"
        for det, s in digest.by_detector.items()
    )
    waiting = digest.awaiting_approval
    # Under a budget alert's title, the savings lead the text instead.
    saved = f"*{digest.savings_line}*\n" if digest.headline and digest.savings_line else ""
    head: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": digest.title[:150],
            },
        },
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": _clip(
                    saved
                    + f"{money(digest.total_monthly_cost_usd)}/month of waste · "
                    + (
                        f"{money(digest.unattributed_monthly_usd)}/month untagged (unattributed, "
                        "not waste) · "
                        if digest.unattributed_monthly_usd
                        else ""
                    )
                    + f"Account {escape(digest.account_id)} · "
                    f"{escape(', '.join(digest.regions))} · "
                    f"{digest.findings} finding(s), {waiting} awaiting approval, "
                    f"costliest first\n{summary}"
                    + (f"\n_Note: {escape(digest.pricing_note)}_" if digest.pricing_note else "")
                ),
            },
        },
        {"type": "divider"},
    ]
    if digest.done:
        head.insert(
            2,
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": _clip(
                        "*What govbot did*\n"
                        + "\n".join(f"• {escape(line)}" for line in digest.done)
                    ),
                },
            },
        )
    messages, current = [], head
    more = digest.findings - len(digest.items)
    tail = (
        [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"… and {more:,} more finding(s): `govbot findings` lists them all",
                },
            }
        ]
        if more > 0
        else []
    )
    for blocks in [*(finding_blocks(t, slack) for t in digest.items), tail]:
        if len(current) + len(blocks) > MAX_BLOCKS:
            messages.append(current)
            current = []
        current = current + blocks
    messages.append(current)
    return messages


def post_digest(client: WebClient, channel: str, digest: Digest, slack: SlackSettings) -> str:
    """Post the digest; returns the message ts (its thread holds what did not fit)."""
    fallback = escape(digest.title)  # a message's text is mrkdwn too (a budget's name in it)
    first, *rest = digest_messages(digest, slack)
    ts = str(client.chat_postMessage(channel=channel, text=fallback, blocks=first)["ts"])
    for blocks in rest:
        client.chat_postMessage(channel=channel, thread_ts=ts, text=fallback, blocks=blocks)
    return ts


# -- replies to a click --------------------------------------------------------------------


SLACK_REPLIES = "hooks.slack.com"
# Set only by the demo and the tests, whose Slack stand-in listens on loopback.
LOOPBACK_SETTING = "GOVBOT_ALLOW_LOOPBACK_SLACK"


def reply_url_allowed(url: str) -> bool:
    """Slack's response_url is https://hooks.slack.com/…; a reply goes nowhere else (not the
    Lambda runtime API on localhost, not a host a queue message names)."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        return False
    if parts.scheme == "https" and parts.hostname == SLACK_REPLIES and parts.port is None:
        return True
    return (
        os.environ.get(LOOPBACK_SETTING) == "1"
        and parts.scheme in ("http", "https")
        and parts.hostname in ("127.0.0.1", "localhost", "::1")
    )


def respond(response_url: str, payload: dict[str, Any]) -> None:
    """Update or answer through a click's response_url (slack_sdk's webhook client); an
    address that is not Slack's is refused before any request is made."""
    if not reply_url_allowed(response_url):
        raise ValueError(f"refused to reply to {response_url[:80]!r}: not https://{SLACK_REPLIES}/")
    # One second and no retry (slack_sdk's default retries a refused connection after a
    # backoff): the click's answer must reach Slack within its three.
    WebhookClient(response_url, timeout=1, retry_handlers=[]).send_dict(payload)


# -- approvers ----------------------------------------------------------------------------

_groups: dict[str, tuple[float, set[str]]] = {}


def is_approver(client: WebClient, user_id: str, approvers: list[str]) -> bool:
    """A listed user, or a member of a listed user group (resolved and cached five minutes)."""
    # Only a user id (U…, W…) matches by name; a group id counts through its members only.
    if user_id[:1] in ("U", "W") and user_id in approvers:
        return True
    for group in (a for a in approvers if a.startswith("S")):
        cached = _groups.get(group)
        # Never "fresh" by default: monotonic time can be below the cache age on a new host.
        if cached is None or time.monotonic() - cached[0] > GROUP_CACHE_SECONDS:
            members = set(client.usergroups_users_list(usergroup=group)["users"])
            _groups[group] = (time.monotonic(), members)
        else:
            members = cached[1]
        if user_id in members:
            return True
    return False
