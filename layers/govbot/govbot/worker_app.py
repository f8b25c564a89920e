"""The remediation worker's wiring: the SQS record model, idempotency on the state table."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Json

from govbot import org, runtime
from govbot.runtime import Settings
from govbot.slack_app import respond
from govbot.worker import RemediationRequest, remediate_request

IDEMPOTENCY_PK = "IDEMPOTENCY#remediate"
# What Powertools Idempotency does to its records in the state table.
IDEMPOTENCY_PERMISSIONS = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
)


class RemediationRecord(SqsRecordModel):
    body: Json[RemediationRequest]


@cache
def _config() -> IdempotencyConfig:
    # One decision is one key: the same approval delivered twice acts once; a later approval
    # of the same finding (after a failure) is a new decision.
    return IdempotencyConfig(
        event_key_jmespath="[finding_id, decided_at]", expires_after_seconds=24 * 3600
    )


@cache
def _persistence(table: str, region: str) -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(
        table_name=table,
        key_attr="pk",
        sort_key_attr="sk",
        static_pk_value=IDEMPOTENCY_PK,
        boto3_client=runtime.clients().client("dynamodb", region),
    )


def _account_of(context: LambdaContext | None) -> str | None:
    arn = getattr(context, "invoked_function_arn", "") or ""
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 else None


class WorkerApp:
    def __init__(self, settings: Settings, context: LambdaContext | None) -> None:
        self.settings = settings
        config = _config()
        if context is not None:
            config.register_lambda_context(context)

        own_account = _account_of(context)

        @idempotent_function(  # type: ignore[untyped-decorator]
            data_keyword_argument="request",
            persistence_store=_persistence(settings.table, settings.region),
            config=config,
        )
        def run(request: RemediationRequest) -> dict[str, Any]:
            policy = runtime.load_policy(settings)
            clients = runtime.clients()
            if request.account_id and own_account and request.account_id != own_account:
                # A member account's resource: act through its remediation role.
                clients = org.member_clients(
                    request.account_id,
                    policy.organization.remediation_role,
                    settings.external_id,
                    "remediate",
                )
            return remediate_request(
                request,
                store=runtime.store(settings),
                policy=policy,
                clients=clients,
                now=datetime.now(UTC),
                respond=respond,
                dry_run=settings.dry_run,
            )

        self._run = run

    def handle_record(self, record: RemediationRecord) -> dict[str, Any]:
        # An exception here fails only this record: SQS retries it, then the DLQ keeps it.
        return self._run(request=record.body)  # type: ignore[no-any-return]
