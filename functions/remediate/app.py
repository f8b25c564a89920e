"""Remediation worker: acts on approved findings from SQS, one at a time, idempotently."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from govbot import runtime
from govbot.handlers.remediate import RemediationRecord, WorkerApp

logger = Logger()
tracer = Tracer()
metrics = Metrics()
# Every record failing (one throttled fix) is a partial response too: SQS redelivers those.
processor = BatchProcessor(
    event_type=EventType.SQS, model=RemediationRecord, raise_on_entire_batch_failure=False
)
settings = runtime.Settings.from_env()


@metrics.log_metrics
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if not event.get("Records"):
        return {"batchItemFailures": []}
    worker = WorkerApp(settings, context)
    answer = process_partial_response(
        event=event, record_handler=worker.handle_record, processor=processor, context=context
    )
    records = len(event.get("Records", []))
    failed = len(answer.get("batchItemFailures", []))
    metrics.add_metric(name="RemediationRequests", unit=MetricUnit.Count, value=records)
    metrics.add_metric(name="RemediationRequestsFailed", unit=MetricUnit.Count, value=failed)
    return answer
