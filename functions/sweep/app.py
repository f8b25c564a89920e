"""Nightly sweep: runs every enabled detector in the policy's regions and reports waste."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from govbot.handlers.events import ScheduledEvent, parse_event
from govbot.handlers.sweep import NothingSweptError, nightly_sweep, record_metrics
from govbot.runtime import Settings

logger = Logger()
tracer = Tracer()
metrics = Metrics()
settings = Settings.from_env()


@metrics.log_metrics
@tracer.capture_lambda_handler
@logger.inject_lambda_context
def handler(raw: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    event = parse_event(ScheduledEvent, raw, "the sweep function")
    report = nightly_sweep(settings, account_id=event.account)
    record_metrics(metrics, report)
    logger.info(
        "sweep finished",
        extra={
            "summary": report.summary.model_dump(mode="json"),
            "errors": [e.model_dump() for e in report.errors],
            "api_calls": report.api_calls,
            "findings": [
                f.model_dump(
                    mode="json",
                    include={
                        "finding_id",
                        "detector",
                        "resource_id",
                        "region",
                        "monthly_cost_usd",
                        "reason",
                    },
                )
                for f in report.findings
            ],
        },
    )
    if report.nothing_swept:
        raise NothingSweptError(
            f"nothing could be swept: {report.errors[0].code}: {report.errors[0].message}"
        )
    # The whole report: read by `sam local invoke`, the demo and a Step Functions caller.
    return report.model_dump(mode="json")
