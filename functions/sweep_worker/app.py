"""Organisation sweep, step 2 (one Distributed Map item): one account and region."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from govbot import runtime
from govbot.handlers.events import parse_event
from govbot.handlers.sweep_worker import Target, sweep_target

logger = Logger()
tracer = Tracer()
settings = runtime.Settings.from_env()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(raw: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    event = parse_event(Target, raw, "the sweep worker")
    summary = sweep_target(settings, event)
    logger.info("swept", extra=summary)
    return summary
