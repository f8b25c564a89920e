"""Slack interactivity (a Lambda Function URL): Approve, Reject and Snooze buttons."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import LambdaFunctionUrlResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from govbot import runtime
from govbot.handlers.slack import SlackApp, raw_body

logger = Logger()
tracer = Tracer()
app = LambdaFunctionUrlResolver()
settings = runtime.Settings.from_env()


@app.post("/slack/actions")
def actions() -> Response[str]:
    event = app.current_event
    body = raw_body(event.body, event.is_base64_encoded)  # None: cannot be Slack's
    status, answer = SlackApp(settings).answer(body, event.headers, datetime.now(UTC))
    return Response(status_code=status, content_type="text/plain", body=answer)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
