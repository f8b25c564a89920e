"""Budget breaches and cost anomalies (SNS or EventBridge): an immediate, stricter sweep."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from govbot import runtime
from govbot.handlers.budget import respond

logger = Logger()
tracer = Tracer()
metrics = Metrics()
settings = runtime.Settings.from_env()


@metrics.log_metrics
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    results = respond(settings, event, context)
    for kind in ("breach", "duplicate", "unreadable"):
        count = sum(1 for r in results if kind in r)
        metrics.add_metric(name=f"Alerts{kind.title()}", unit=MetricUnit.Count, value=count)
    logger.info("alerts handled", extra={"results": results})
    return {"results": results}
