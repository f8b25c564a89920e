"""The remediation worker's wiring: the SQS record model, idempotency on the state table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Json

from govbot import runtime
from govbot.contracts import RemediationRequest
from govbot.delivery import acting_clients
from govbot.engine import Cycle
from govbot.notify.slack import respond
from govbot.runtime import Settings
from govbot.worker import remediate_request


class RemediationRecord(SqsRecordModel):
    body: Json[RemediationRequest]


class WorkerApp:
    def __init__(self, settings: Settings, context: LambdaContext | None) -> None:
        self.settings = settings

        # One decision is one key: the same approval delivered twice acts once; a later
        # approval of the same finding (after a failure) is a new decision.
        @runtime.idempotent(
            settings,
            "remediate",
            data="request",
            key="[finding_id, decided_at]",
            days=1,
            context=context,
        )
        def run(request: RemediationRequest) -> dict[str, Any]:
            policy = runtime.load_policy(settings)
            cycle = Cycle(
                policy=policy,
                store=runtime.store(settings),
                now=datetime.now(UTC),
                dry_run=settings.dry_run,  # a dry-run deployment takes decisions, changes nothing
                actor=f"slack:{request.decided_by}",
                clients_for=acting_clients(settings, policy),
            )
            return remediate_request(request, cycle=cycle, respond=respond)

        self._run = run

    def handle_record(self, record: RemediationRecord) -> dict[str, Any]:
        # An exception here fails only this record: SQS retries it, then the DLQ keeps it.
        return self._run(request=record.body)  # type: ignore[no-any-return]
