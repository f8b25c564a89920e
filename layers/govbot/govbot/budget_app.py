"""The budget function's wiring: read each alert, sweep now with the breach policy, tell."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from govbot import runtime
from govbot.budget import Breach, Unreadable, read_alerts
from govbot.delivery import acting_clients, notify, queue_dispatch
from govbot.engine import govern
from govbot.notify import sns
from govbot.runtime import Settings

log = logging.getLogger(__name__)


IDEMPOTENCY_DAYS = 7  # a breach redelivered within a week is the same breach


def respond(
    settings: Settings, event: dict[str, Any], context: LambdaContext | None = None
) -> list[dict[str, Any]]:
    handle = _handler(settings, context)
    return [
        _unreadable(settings, alert) if isinstance(alert, Unreadable) else handle(breach=alert)
        for alert in read_alerts(event)
    ]


def _as_duplicate(response: Any, _record: DataRecord) -> Any:
    """A breach handled before is answered as a duplicate (what was done is in the log)."""
    return {"duplicate": response.get("breach")}


def _handler(settings: Settings, context: LambdaContext | None) -> Any:
    # Handled once per breach key: an SNS retry or the same anomaly by SNS and EventBridge does
    # nothing twice. A delivery that fails releases its key; one that times out holds it only
    # until the invocation's own deadline (Powertools' in-progress expiry), so a retry after a
    # timeout handles the breach instead of calling it a duplicate.
    @runtime.idempotent(
        settings,
        "budget",
        data="breach",
        key="key",
        days=IDEMPOTENCY_DAYS,
        context=context,
        response_hook=_as_duplicate,
    )
    def handle(breach: Breach) -> dict[str, Any]:
        return _breach(settings, breach)

    return handle


def _unreadable(settings: Settings, alert: Unreadable) -> dict[str, Any]:
    now = datetime.now(UTC)
    runtime.store(settings).claim_once(
        f"UNREADABLE#{alert.key}", now, {"why": alert.why, "raw": alert.raw}
    )
    log.error("could not read a budget or anomaly alert: %s", alert.why, extra={"raw": alert.raw})
    if settings.sns_topic_arn:
        runtime.clients().client("sns", settings.sns_topic_arn.split(":")[3]).publish(
            TopicArn=settings.sns_topic_arn,
            Subject="govbot could not read a budget alert",
            Message=f"govbot could not read this alert ({alert.why}); nothing was done.\n\n"
            f"{alert.raw}"[: sns.BUDGET],
        )
    return {"unreadable": alert.why, "key": alert.key}


def _breach(settings: Settings, breach: Breach) -> dict[str, Any]:
    now = datetime.now(UTC)
    policy = runtime.load_policy(settings).breach_policy()
    if breach.detectors:
        policy = policy.only(breach.detectors)
    governed = govern(
        policy,
        runtime.clients(),
        runtime.store(settings),
        now=now,
        dry_run=settings.dry_run,
        actor=f"budget:{breach.title}",
        regions=breach.regions or policy.regions or [settings.region],
        dispatch=queue_dispatch(settings, now),
        clients_for=acting_clients(settings, policy),
    )
    errors = notify(settings, policy, governed.report, governed.states, breach.headline())
    report = governed.report
    return {
        "breach": breach.key,
        "headline": breach.headline(),
        "regions": report.summary.regions,
        "detectors": list(report.summary.by_detector),
        "findings": report.summary.findings,
        "monthly_cost_usd": report.summary.total_monthly_cost_usd,
        "actions": [a.model_dump(mode="json") for a in report.actions],
        "errors": [e.model_dump() for e in report.errors + errors],
    }
