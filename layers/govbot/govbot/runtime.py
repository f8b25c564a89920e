"""What every govbot Lambda function shares: settings from its environment (read once, bad
values fail loudly), one client factory per container, the policy from SSM, the state table."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.parameters import SSMProvider
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from govbot.aws import AwsClients
from govbot.cycle.policy import Policy, PolicyError, policy_from_yaml
from govbot.state import migrations
from govbot.state.store import DEFAULT_TABLE, Store

POLICY_CACHE_SECONDS = 300
# What Powertools Idempotency does to its records in the state table.
IDEMPOTENCY_PERMISSIONS = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
)


class Settings(BaseModel):
    # It holds the ExternalId: an invalid setting names the field, never the value.
    model_config = ConfigDict(frozen=True, hide_input_in_errors=True)

    region: str = Field(min_length=1, description="AWS_REGION, the function's own region.")
    policy_parameter: str | None = Field(
        None, description="GOVBOT_POLICY_PARAMETER: SSM parameter holding the policy YAML."
    )
    table: str = Field(DEFAULT_TABLE, min_length=1, description="GOVBOT_TABLE: the state table.")
    dry_run: bool = Field(True, description="DRY_RUN: say what would be done, change nothing.")
    remediation_queue_url: str | None = Field(
        None, description="REMEDIATION_QUEUE_URL: approved fixes go to the worker through it."
    )
    sns_topic_arn: str | None = Field(None, description="SNS_TOPIC_ARN: one message a sweep.")
    external_id: str | None = Field(
        None, description="GOVBOT_EXTERNAL_ID: what member roles ask of the fan-out."
    )
    slack_secret_arn: str | None = Field(
        None, description="SLACK_SECRET_ARN: JSON secret with bot_token and signing_secret."
    )
    exempt_tag: str | None = Field(
        None, description="GOVBOT_EXEMPT_TAG: the stack's ExemptTagKey, which IAM's deny names."
    )

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        return cls(
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION", ""),
            policy_parameter=env.get("GOVBOT_POLICY_PARAMETER") or None,
            table=env.get("GOVBOT_TABLE") or DEFAULT_TABLE,
            # Anything but an explicit false keeps the safe default.
            dry_run=env.get("DRY_RUN", "true").strip().lower() not in ("false", "0", "no"),
            remediation_queue_url=env.get("REMEDIATION_QUEUE_URL") or None,
            sns_topic_arn=env.get("SNS_TOPIC_ARN") or None,
            slack_secret_arn=env.get("SLACK_SECRET_ARN") or None,
            external_id=env.get("GOVBOT_EXTERNAL_ID") or None,
            exempt_tag=env.get("GOVBOT_EXEMPT_TAG") or None,
        )


@cache
def clients() -> AwsClients:
    # One factory per container: warm invocations reuse clients and caches.
    return AwsClients()


@cache
def _ssm_provider(region: str) -> SSMProvider:
    return SSMProvider(boto3_client=clients().ssm(region))


def load_policy(settings: Settings) -> Policy:
    """The policy in SSM (re-read at most every 5 minutes), or the defaults; its exempt tag is
    the stack's (the one IAM's deny names)."""
    if not settings.policy_parameter:
        return with_exempt_tag(Policy(), settings.exempt_tag)
    source = f"SSM parameter {settings.policy_parameter}"
    text = _ssm_provider(settings.region).get(
        settings.policy_parameter, max_age=POLICY_CACHE_SECONDS
    )
    return with_exempt_tag(policy_from_yaml(str(text), source), settings.exempt_tag, source)


def with_exempt_tag(policy: Policy, stack_tag: str | None, source: str = "policy") -> Policy:
    """The policy with the stack's exempt tag key (ExemptTagKey). One that names another key is
    refused: IAM's NeverTouchExempt deny names the stack's, and the two must not differ."""
    if not stack_tag:
        return policy
    if "exempt_tag" in policy.model_fields_set and policy.exempt_tag != stack_tag:
        raise PolicyError(
            f"{source}: exempt_tag is {policy.exempt_tag!r} but the stack's ExemptTagKey is "
            f"{stack_tag!r}: set one key, in the stack (IAM's deny names it)"
        )
    return policy.model_copy(update={"exempt_tag": stack_tag})


def store(settings: Settings) -> Store:
    """The state table, brought up to this govbot's schema on the container's first use (a
    table a newer govbot wrote is refused: SchemaError says what to do)."""
    migrations.upgraded_once(settings.table, settings.region, clients())
    return Store(clients(), settings.region, settings.table)


def idempotency_store(settings: Settings, name: str) -> DynamoDBPersistenceLayer:
    """Powertools Idempotency records in the state table, under ``IDEMPOTENCY#<name>``."""
    return _idempotency_store(settings.table, settings.region, name)


@cache
def _idempotency_store(table: str, region: str, name: str) -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(
        table_name=table,
        key_attr="pk",
        sort_key_attr="sk",
        static_pk_value=f"IDEMPOTENCY#{name}",
        boto3_client=clients().client("dynamodb", region),
    )


def idempotent(
    settings: Settings,
    name: str,
    *,
    data: str,
    key: str,
    days: float,
    context: LambdaContext | None,
    response_hook: Any = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Powertools' idempotent_function on the state table: ``key`` (JMESPath over the
    ``data`` argument) names one piece of work, done once for ``days``. With the Lambda
    context, a run that dies holds its key only until its own deadline, so a retry then does
    the work instead of calling it a duplicate."""
    config = IdempotencyConfig(
        event_key_jmespath=key,
        expires_after_seconds=int(days * 24 * 3600),
        response_hook=response_hook,
    )
    if context is not None:
        config.register_lambda_context(context)
    return idempotent_function(  # type: ignore[no-any-return]
        data_keyword_argument=data,
        persistence_store=idempotency_store(settings, name),
        config=config,
    )


def reset() -> None:
    """Forget cached clients and providers (a fresh container; tests use it)."""
    clients.cache_clear()
    _ssm_provider.cache_clear()
    _idempotency_store.cache_clear()
    migrations.upgraded_once.cache_clear()
