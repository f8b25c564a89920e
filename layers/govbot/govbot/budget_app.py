"""The budget function's wiring: read each alert, sweep now with the breach policy, tell."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from govbot import runtime
from govbot.budget import Breach, Unreadable, read_alerts
from govbot.engine import govern
from govbot.nightly import notify, queue_dispatch
from govbot.notify import sns
from govbot.runtime import Settings

log = logging.getLogger(__name__)


def respond(settings: Settings, event: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        _unreadable(settings, alert) if isinstance(alert, Unreadable) else _breach(settings, alert)
        for alert in read_alerts(event)
    ]


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
    store = runtime.store(settings)
    now = datetime.now(UTC)
    key = f"BREACH#{breach.key}"
    if not store.claim_once(key, now, breach.model_dump(mode="json")):
        return {"duplicate": breach.key}  # SNS retried, or it came by SNS and EventBridge
    try:
        policy = runtime.load_policy(settings).breach_policy()
        if breach.detectors:
            policy = policy.only(breach.detectors)
        cycle = govern(
            policy,
            runtime.clients(),
            store,
            now=now,
            dry_run=settings.dry_run,
            actor=f"budget:{breach.title}",
            regions=breach.regions or policy.regions or [settings.region],
            dispatch=queue_dispatch(settings, now),
        )
        errors = notify(settings, policy, cycle.report, cycle.states, breach.headline())
    except Exception:
        store.release(key)  # let the retry do what this delivery could not
        raise
    report = cycle.report
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
