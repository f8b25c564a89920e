"""The Slack function's wiring: real credentials, store, queue and Slack clients around
``interactions`` (which holds the logic and is tested without them)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from govbot import queue, runtime
from govbot.contracts import RemediationRequest
from govbot.interactions import Click, handle_click, handle_request
from govbot.notify import slack as slack_notify
from govbot.runtime import Settings

log = logging.getLogger(__name__)


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
