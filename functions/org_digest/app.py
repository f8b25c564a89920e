"""Organisation sweep, step 3: one digest for the whole organisation."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from govbot import runtime
from govbot.handlers.events import parse_event
from govbot.handlers.org_digest import DigestEvent, organisation_digest

logger = Logger()
tracer = Tracer()
settings = runtime.Settings.from_env()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(raw: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    event = parse_event(DigestEvent, raw, "the organisation digest")
    digest = organisation_digest(settings, event.regions, event.results)
    logger.info("organisation digest", extra=digest)
    return digest
