"""Budget breaches and cost anomalies: read the alert, sweep now with the stricter policy,
tell people what was found and done.

Three shapes arrive: AWS Budgets through SNS (plain text: "Budget Name:", "Alert Type:
ACTUAL|FORECASTED", amounts; the subject says "exceeded" even for forecasts), Cost Anomaly
Detection through SNS (JSON, ``dimensionalValue``) and through EventBridge (source ``aws.ce``,
"Anomaly Detected", ``dimensionValue``). The same breach delivered twice acts once; an alert
that cannot be read is kept with its raw text and reported, never dropped.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
from datetime import UTC, datetime
from typing import Any, Literal

from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from govbot import runtime
from govbot.cycle.engine import govern
from govbot.delivery import sns
from govbot.delivery.channels import acting_clients, notify, queue_dispatch
from govbot.detectors import DETECTORS
from govbot.detectors.registry import judging
from govbot.kinds import billed_by
from govbot.runtime import Settings

# Which detectors matter when an alert names a service (anything else: all of them).
AMOUNT = r"\$?\s*([0-9][0-9,]*(?:\.[0-9]+)?)"


class Breach(BaseModel):
    source: Literal["budgets", "anomaly"]
    key: str = Field(description="The same breach, however delivered, has the same key.")
    account_id: str | None = None
    title: str
    alert_type: str | None = None  # ACTUAL or FORECASTED (budgets)
    amount: float | None = None  # actual or forecast spend
    limit: float | None = None  # budgeted amount, or expected spend (anomaly)
    threshold: str | None = None
    regions: list[str] = Field(default_factory=list)
    services: list[str] = Field(default_factory=list)

    @property
    def detectors(self) -> list[str] | None:
        wanted: set[str] = set()
        for service in self.services:
            kinds = billed_by(service)
            if not kinds:
                return None  # a service govbot has no detector for: sweep everything
            wanted |= set(judging(*kinds))
        return [d for d in DETECTORS if d in wanted] or None

    def headline(self) -> str:
        spend = f"${self.amount:,.2f}" if self.amount is not None else "?"
        limit = f"${self.limit:,.2f}" if self.limit is not None else "?"
        if self.source == "budgets":
            kind = (self.alert_type or "").lower() or "actual"
            return f"Budget {self.title}: {kind} ${spend[1:]} against {limit} ({self.threshold})"
        where = ", ".join(self.services + self.regions) or "the account"
        return f"Cost anomaly in {where}: {spend} spent against {limit} expected"


class Unreadable(BaseModel):
    key: str
    why: str
    raw: str


def _key(*parts: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:32]


def _field(text: str, label: str) -> str | None:
    match = re.search(rf"^{re.escape(label)}:\s*(.+?)\s*$", text, re.MULTILINE)
    return match.group(1) if match else None


def _amount(text: str | None) -> float | None:
    match = re.search(AMOUNT, text or "")
    return float(match.group(1).replace(",", "")) if match else None


def parse_budgets_text(subject: str, message: str, sent: datetime | None) -> Breach:
    name = _field(message, "Budget Name")
    alert = (_field(message, "Alert Type") or "").upper()
    if not name or alert not in ("ACTUAL", "FORECASTED"):
        raise ValueError("no 'Budget Name:' and 'Alert Type: ACTUAL|FORECASTED' lines")
    account = re.search(r"AWS Account (\d{12})", message)
    threshold = _field(message, "Alert Threshold")
    day = f"{sent:%Y-%m-%d}" if sent else ""
    return Breach(
        source="budgets",
        # Budgets alerts once per threshold and period: one breach a day at most.
        key=f"budgets-{_key(account and account.group(1), name, alert, threshold, day)}",
        account_id=account.group(1) if account else None,
        title=name,
        alert_type=alert,
        amount=_amount(_field(message, f"{alert} Amount")),
        limit=_amount(_field(message, "Budgeted Amount")),
        threshold=threshold,
    )


def parse_anomaly(detail: Any) -> Breach:
    if not isinstance(detail, dict):
        raise ValueError("the anomaly detail is not an object")
    anomaly_id = detail.get("anomalyId")
    if not anomaly_id:
        raise ValueError("no anomalyId")
    causes = [c for c in detail.get("rootCauses") or [] if isinstance(c, dict)]
    # SNS spells it dimensionalValue, EventBridge dimensionValue.
    dimension = detail.get("dimensionalValue") or detail.get("dimensionValue")
    services = sorted(
        {c["service"] for c in causes if c.get("service")} or ({dimension} if dimension else set())
    )
    impact = detail.get("impact") or {}
    return Breach(
        source="anomaly",
        key=f"anomaly-{anomaly_id}",
        account_id=detail.get("accountId"),
        title=detail.get("monitorName") or "cost anomaly",
        amount=impact.get("totalActualSpend"),
        limit=impact.get("totalExpectedSpend"),
        regions=sorted({c["region"] for c in causes if c.get("region")}),
        services=services,
    )


def read_alerts(event: Any) -> list[Breach | Unreadable]:
    """Every alert in a Lambda event: SNS records, or one EventBridge event. Whatever else
    arrives (a JSON string, a list, a record of another shape) is kept as unreadable."""
    if isinstance(event, str | bytes):
        with contextlib.suppress(ValueError):  # not JSON: kept as unreadable below
            event = json.loads(event)
    if not isinstance(event, dict):
        raw = event if isinstance(event, str) else json.dumps(event, default=str)
        return [Unreadable(key=_key(raw), why="the event is not a JSON object", raw=raw[:20000])]
    if event.get("source") == "aws.ce" and event.get("detail-type") == "Anomaly Detected":
        return [
            _safely(
                json.dumps(event, default=str), lambda: parse_anomaly(event.get("detail") or {})
            )
        ]
    alerts: list[Breach | Unreadable] = []
    records = event.get("Records")
    if not isinstance(records, list):
        return [
            Unreadable(
                key=_key(json.dumps(event, sort_keys=True)),
                why="neither SNS records nor a Cost Anomaly event",
                raw=json.dumps(event, default=str)[:20000],
            )
        ]
    for record in records:
        sns = record.get("Sns") if isinstance(record, dict) else None
        if not isinstance(sns, dict):
            raw = json.dumps(record, default=str)
            alerts.append(Unreadable(key=_key(raw), why="an SNS record without Sns", raw=raw))
            continue
        message, subject = str(sns.get("Message", "")), str(sns.get("Subject") or "")
        sent = sns.get("Timestamp")
        alerts.append(_safely(message, lambda m=message, s=subject, t=sent: _sns(s, m, t)))
    return alerts


def _sns(subject: str, message: str, timestamp: str | None) -> Breach:
    try:
        body = json.loads(message)
    except ValueError:
        sent = _when(timestamp)
        return parse_budgets_text(subject, message, sent)
    if not isinstance(body, dict):
        raise ValueError("a JSON message that is not an object")
    return parse_anomaly(body)


def _when(timestamp: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(timestamp).replace("Z", "+00:00")) if timestamp else None
    except ValueError:
        return None  # the alert is still read; only its day is unknown


def _safely(raw: str, parse: Any) -> Breach | Unreadable:
    try:
        return parse()  # type: ignore[no-any-return]
    except (ValueError, TypeError, KeyError, AttributeError) as err:
        return Unreadable(key=_key(raw), why=str(err), raw=raw[:20000])


# -- the function's wiring ------------------------------------------------------------
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
