"""The scheduled sweep as the Lambda runs it: sweep, store, queue the cleared fixes for the
worker (or act, without a queue), then one SNS message and one Slack digest."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from aws_lambda_powertools.metrics import Metrics, MetricUnit, single_metric
from botocore.exceptions import BotoCoreError, ClientError

from govbot import queue, runtime
from govbot.actions import describe_fix
from govbot.engine import Dispatch, govern
from govbot.models import ActionOutcome, Outcome, SweepError, SweepReport
from govbot.notify import sns
from govbot.notify.digest import build_digest
from govbot.policy import Policy
from govbot.remediation import outcome_of
from govbot.runtime import Settings
from govbot.store import State, StoredFinding
from govbot.worker import RemediationRequest

log = logging.getLogger(__name__)


class NothingSweptError(RuntimeError):
    """Every region and detector failed: the invocation fails so alarms and retries see it."""


def nightly_sweep(settings: Settings, account_id: str | None) -> SweepReport:
    policy = runtime.load_policy(settings)
    clients = runtime.clients()
    clients.calls.clear()  # count this invocation's calls only
    now = datetime.now(UTC)

    cycle = govern(
        policy,
        clients,
        runtime.store(settings),
        now=now,
        dry_run=settings.dry_run,
        actor="lambda:sweep",
        regions=policy.regions or [settings.region],
        account_id=account_id,
        dispatch=queue_dispatch(settings, now),
    )
    errors = notify(settings, policy, cycle.report, cycle.states)
    return cycle.report.model_copy(
        update={
            "errors": cycle.report.errors + errors,
            "api_calls": dict(sorted(clients.calls.items())),
        }
    )


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
    digest = build_digest(report, policy, states, headline)
    if not digest.items and not headline:
        return []
    errors: list[SweepError] = []
    # Imported here: only a run that posts to Slack pays for slack_sdk's import (~35 ms).
    from slack_sdk.errors import SlackApiError, SlackClientError

    from govbot.notify import slack as slack_notify

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


def record_metrics(metrics: Metrics, report: SweepReport) -> None:
    """Findings and estimated monthly waste per detector, plus sweep-wide totals."""
    for det_id, s in report.summary.by_detector.items():
        for name, unit, value in (
            ("Findings", MetricUnit.Count, s.findings),
            ("EstimatedMonthlyWasteUSD", MetricUnit.NoUnit, s.monthly_cost_usd),
        ):
            with single_metric(name=name, unit=unit, value=value) as metric:
                metric.add_dimension(name="detector", value=det_id)
    metrics.add_metric(name="TotalFindings", unit=MetricUnit.Count, value=report.summary.findings)
    metrics.add_metric(
        name="TotalEstimatedMonthlyWasteUSD",
        unit=MetricUnit.NoUnit,
        value=report.summary.total_monthly_cost_usd,
    )
    metrics.add_metric(name="SweepErrors", unit=MetricUnit.Count, value=len(report.errors))
    metrics.add_metric(name="ApiCalls", unit=MetricUnit.Count, value=sum(report.api_calls.values()))
    for outcome in (Outcome.REMEDIATED, Outcome.FAILED, Outcome.QUEUED):
        count = sum(1 for a in report.actions if a.outcome is outcome)
        name = f"Actions{outcome.value.split()[0].title()}"
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=count)
