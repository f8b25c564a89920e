"""Make one AWS operation fail, in one region, as AWS would answer it.

A botocore ``before-call`` handler that returns a response short-circuits the HTTP call, so the
client raises the same ClientError it would raise for a real AccessDenied or throttling answer.
"""

from __future__ import annotations

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
) -> None:
    client = clients.client(service, region, patience)

    def answer(**_: Any) -> tuple[Any, dict[str, Any]]:
        http = type("Http", (), {"status_code": status, "headers": {}})()
        return http, {
            "Error": {"Code": code, "Message": f"injected {code} for {operation}"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }

    client.meta.events.register(
        f"before-call.{client.meta.service_model.service_id.hyphenize()}.{operation}", answer
    )
