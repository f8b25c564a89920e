"""How the Lambda functions deliver what the engine decides: cleared fixes to the worker's
queue, digests to SNS and Slack, and clients for the account a fix is in (a member account
through its remediation role). Shared by every function; no function module imports another."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import cache

from botocore.exceptions import BotoCoreError, ClientError

from govbot import runtime
from govbot.actions import describe_fix
from govbot.aws import AwsClients
from govbot.cycle import org
from govbot.cycle.contracts import RemediationRequest, State, StoredFinding
from govbot.cycle.engine import Dispatch
from govbot.cycle.models import ActionOutcome, Outcome, SweepError, SweepReport
from govbot.cycle.policy import Policy
from govbot.cycle.remediation import ClientsFor, outcome_of
from govbot.delivery import queue, sns
from govbot.delivery.digest import Digest, build_digest
from govbot.runtime import Settings
from govbot.state.savings import this_month_usd

log = logging.getLogger(__name__)


def acting_clients(settings: Settings, policy: Policy) -> ClientsFor:
    """Clients that change resources in the account a finding is in: the function's own, or
    a member's through the policy's remediation role (with the deployment's ExternalId)."""
    return _clients_for(settings, policy.organization.remediation_role, "remediate")


def reading_clients(settings: Settings, policy: Policy) -> ClientsFor:
    """Clients that read an account: the function's own, or a member's read-only role."""
    return _clients_for(settings, policy.organization.member_role, "read")


def _clients_for(settings: Settings, role_name: str, purpose: str) -> ClientsFor:
    own = runtime.clients()

    @cache
    def for_account(account_id: str) -> AwsClients:
        if account_id == own.account_id(settings.region):
            return own
        return org.member_clients(account_id, role_name, settings.external_id, purpose)

    return for_account


def queue_dispatch(settings: Settings, now: datetime) -> Dispatch | None:
    """Send cleared fixes to the worker's queue; None (act here) when there is no queue."""
    url = settings.remediation_queue_url
    if not url:
        return None

    def to_worker(findings: list[StoredFinding]) -> list[ActionOutcome]:
        queue.send(
            runtime.clients(),
            settings.region,
            url,
            (
                RemediationRequest(
                    finding_id=sf.finding_id,
                    account_id=sf.finding.account_id,
                    region=sf.finding.region,
                    decided_at=sf.decided_at or now,
                    decided_by=sf.decided_by or "policy",
                )
                for sf in findings
            ),
        )
        return [outcome_of(sf, Outcome.QUEUED, describe_fix(sf.finding)) for sf in findings]

    return to_worker


def notify(
    settings: Settings,
    policy: Policy,
    report: SweepReport,
    states: Mapping[str, State],
    headline: str | None = None,
) -> list[SweepError]:
    """Tell people; a channel that fails is reported, never fatal to the sweep."""
    digest = build_digest(
        report, policy, states, headline, saved_this_month=saved_this_month(settings)
    )
    return tell(settings, policy, digest)


def tell(settings: Settings, policy: Policy, digest: Digest) -> list[SweepError]:
    """Send a digest built already (an organisation's, tallied a finding at a time)."""
    if not digest.items and not digest.headline:
        return []
    errors: list[SweepError] = []
    # Imported here: only a run that posts to Slack pays for slack_sdk's import (~35 ms).
    from slack_sdk.errors import SlackApiError, SlackClientError

    from govbot.delivery import slack as slack_notify

    def send(channel: str, deliver: Callable[[], object]) -> None:
        try:
            deliver()
        # slack_sdk raises urllib's errors (OSError) when Slack cannot be reached.
        except (SlackApiError, SlackClientError, OSError, ClientError, BotoCoreError) as err:
            log.exception("%s digest failed", channel)
            errors.append(
                SweepError(
                    region=settings.region,
                    detector=f"notify:{channel}",
                    code=type(err).__name__,
                    message=str(err),
                )
            )

    if settings.sns_topic_arn:
        topic = settings.sns_topic_arn
        send("sns", lambda: sns.publish(runtime.clients(), topic, digest))
    if settings.slack_secret_arn and policy.slack.channel:
        secret, channel = settings.slack_secret_arn, policy.slack.channel

        def to_slack() -> object:
            creds = slack_notify.load_credentials(runtime.clients(), secret)
            client = slack_notify.web_client(creds.bot_token.get_secret_value())
            return slack_notify.post_digest(client, channel, digest, policy.slack)

        send("slack", to_slack)
    return errors


def saved_this_month(settings: Settings) -> float | None:
    """This month's savings for the digest's first line; a digest without it still goes."""
    try:
        now = datetime.now(UTC)
        return this_month_usd(runtime.store(settings).savings(f"{now:%Y-%m}"), now)
    except (ClientError, BotoCoreError, ValueError):
        log.warning("savings unreadable: the digest goes without them", exc_info=True)
        return None
