"""Real-time: judge the one resource an EventBridge event names, within seconds."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from govbot import runtime
from govbot.handlers.realtime import judge

logger = Logger()
tracer = Tracer()
metrics = Metrics()
settings = runtime.Settings.from_env()


@metrics.log_metrics
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    judgement = judge(settings, event)
    if judgement.ignored:
        # Acknowledged, never retried: the reason is in the log.
        logger.info(
            "event not used", extra={"event_type": judgement.event, "why": judgement.ignored}
        )
    else:
        logger.info("event judged", extra=judgement.model_dump(mode="json", exclude={"findings"}))
    metrics.add_metric(
        name="EventsJudged", unit=MetricUnit.Count, value=0 if judgement.ignored else 1
    )
    metrics.add_metric(
        name="RealtimeFindings", unit=MetricUnit.Count, value=len(judgement.findings)
    )
    return judgement.model_dump(mode="json")
