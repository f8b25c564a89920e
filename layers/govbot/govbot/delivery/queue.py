"""Approved fixes travel to the remediation worker through SQS, ten to a call."""

from __future__ import annotations

from collections.abc import Iterable

from govbot.aws import AwsClients
from govbot.cycle.contracts import RemediationRequest

BATCH = 10  # SendMessageBatch takes ten entries
PERMISSIONS = ("sqs:SendMessage",)


def send(
    clients: AwsClients, region: str, queue_url: str, requests: Iterable[RemediationRequest]
) -> int:
    sqs = clients.client("sqs", region)
    pending = list(requests)
    for start in range(0, len(pending), BATCH):
        chunk = pending[start : start + BATCH]
        answer = sqs.send_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(i), "MessageBody": r.model_dump_json()} for i, r in enumerate(chunk)
            ],
        )
        if answer.get("Failed"):
            failed = ", ".join(
                f"{f['Id']}: {f.get('Message', f['Code'])}" for f in answer["Failed"]
            )
            raise RuntimeError(f"could not queue {len(answer['Failed'])} fix(es): {failed}")
    return len(pending)
