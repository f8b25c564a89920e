"""Make one AWS operation fail, in one region, as AWS would answer it.

A botocore ``before-call`` handler that returns a response short-circuits the HTTP call, so the
client raises the same ClientError it would raise for a real AccessDenied or throttling answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from govbot.aws import AwsClients


def fail_operation(
    clients: AwsClients,
    service: str,
    operation: str,
    region: str,
    code: str,
    status: int = 400,
    patience: Any = None,
    *,
    times: int | None = None,
    when: Callable[[dict[str, Any]], bool] | None = None,
) -> dict[str, int]:
    """``times``: only the first calls fail (None: all); ``when``: only calls whose request
    body it accepts. Returns the count of calls made, failed or not."""
    client = clients.client(service, region, patience)
    made = {"calls": 0}

    def answer(params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]] | None:
        made["calls"] += 1
        if times is not None and made["calls"] > times:
            return None
        if when is not None and not when(params.get("body") or {}):
            return None
        http = type("Http", (), {"status_code": status, "headers": {}})()
        return http, {
            "Error": {"Code": code, "Message": f"injected {code} for {operation}"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }

    client.meta.events.register(
        f"before-call.{client.meta.service_model.service_id.hyphenize()}.{operation}", answer
    )
    return made
