"""Build Slack requests as Slack sends them: a block_actions payload, signed, in a Lambda
Function URL event."""

from __future__ import annotations

import base64
import json
import time
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from tests.conftest import PUBLIC_EVENTS, load_event

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # Slack's documented example secret


def click_payload(
    finding_id: str,
    action_id: str,
    user: str,
    response_url: str,
    blocks: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The published bolt-python block_actions payload, pointed at one finding's button."""
    published = PUBLIC_EVENTS / "slack-block-actions-payload_bolt-python-test.json"
    payload = json.loads(published.read_text())
    payload["user"]["id"] = user
    payload["response_url"] = response_url
    payload["actions"][0].update(
        action_id=action_id, value=finding_id, block_id=f"decide:{finding_id}"
    )
    if blocks is not None:
        payload["message"] = {"ts": "111.222", "blocks": blocks}
    return payload


def form_body(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


def signed_headers(
    body: str, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": ts,
        "x-slack-signature": SignatureVerifier(secret).generate_signature(timestamp=ts, body=body),
    }


def function_url_event(body: str, headers: dict[str, str], encode: bool = False) -> dict[str, Any]:
    event = load_event("slack-block-actions-function-url.json")
    event["headers"] = {**event["headers"], **headers}
    event["body"] = base64.b64encode(body.encode()).decode() if encode else body
    event["isBase64Encoded"] = encode
    return event
