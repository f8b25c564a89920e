"""Organisation sweep, step 1: the accounts and regions to sweep."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from govbot import runtime
from govbot.handlers.events import parse_event
from govbot.handlers.plan import PlanEvent, plan_targets

logger = Logger()
tracer = Tracer()
settings = runtime.Settings.from_env()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(raw: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    event = parse_event(PlanEvent, raw, "the plan function")
    planned = plan_targets(settings, event.run_id)
    logger.info("planned", extra={"run_id": event.run_id, "targets": len(planned["targets"])})
    return planned
