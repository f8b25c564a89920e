"""The scheduled sweep as the Lambda runs it: settings from the environment, the policy from
SSM Parameter Store (cached by Powertools Parameters), metrics per detector."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from functools import cache

from aws_lambda_powertools.metrics import Metrics, MetricUnit, single_metric
from aws_lambda_powertools.utilities.parameters import SSMProvider
from pydantic import BaseModel, ConfigDict, Field

from govbot.aws import AwsClients
from govbot.engine import govern
from govbot.models import SweepReport
from govbot.policy import Policy, policy_from_yaml
from govbot.store import DEFAULT_TABLE, Store

POLICY_CACHE_SECONDS = 300


class NothingSweptError(RuntimeError):
    """Every region and detector failed: the invocation fails so alarms and retries see it."""


class SweepSettings(BaseModel):
    """The function's configuration, read from its environment once; bad values fail loudly."""

    model_config = ConfigDict(frozen=True)

    region: str = Field(min_length=1, description="AWS_REGION, the function's own region.")
    policy_parameter: str | None = Field(
        None, description="GOVBOT_POLICY_PARAMETER: SSM parameter holding the policy YAML."
    )
    table: str = Field(DEFAULT_TABLE, min_length=1, description="GOVBOT_TABLE: the state table.")
    dry_run: bool = Field(True, description="DRY_RUN: say what would be done, change nothing.")

    @classmethod
    def from_env(cls) -> SweepSettings:
        env = os.environ
        return cls(
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION", ""),
            policy_parameter=env.get("GOVBOT_POLICY_PARAMETER") or None,
            table=env.get("GOVBOT_TABLE") or DEFAULT_TABLE,
            # Anything but an explicit false keeps the safe default.
            dry_run=env.get("DRY_RUN", "true").strip().lower() not in ("false", "0", "no"),
        )


@cache
def _clients() -> AwsClients:
    # One factory per container: warm invocations reuse clients and the policy cache.
    return AwsClients()


@cache
def _ssm_provider(region: str) -> SSMProvider:
    return SSMProvider(boto3_client=_clients().ssm(region))


def load_policy(settings: SweepSettings) -> Policy:
    """The policy in SSM (re-read at most every 5 minutes), or the defaults."""
    if not settings.policy_parameter:
        return Policy()
    text = _ssm_provider(settings.region).get(
        settings.policy_parameter, max_age=POLICY_CACHE_SECONDS
    )
    return policy_from_yaml(str(text), f"SSM parameter {settings.policy_parameter}")


def nightly_sweep(settings: SweepSettings, account_id: str | None) -> SweepReport:
    """Sweep the policy's regions, store the findings, act on approved ones unless dry-run."""
    policy = load_policy(settings)
    clients = _clients()
    clients.calls.clear()  # count this invocation's calls only
    return govern(
        policy,
        clients,
        Store(clients, settings.region, settings.table),
        now=datetime.now(UTC),
        dry_run=settings.dry_run,
        actor="lambda:sweep",
        regions=policy.regions or [settings.region],
        account_id=account_id,
    )


def record_metrics(metrics: Metrics, report: SweepReport) -> None:
    """Findings and estimated monthly waste per detector, plus sweep-wide totals."""
    for det_id, s in report.summary.by_detector.items():
        for name, unit, value in (
            ("Findings", MetricUnit.Count, s.findings),
            ("EstimatedMonthlyWasteUSD", MetricUnit.NoUnit, s.monthly_cost_usd),
        ):
            with single_metric(name=name, unit=unit, value=value) as metric:
                metric.add_dimension(name="detector", value=det_id)
    metrics.add_metric(name="TotalFindings", unit=MetricUnit.Count, value=report.summary.findings)
    metrics.add_metric(
        name="TotalEstimatedMonthlyWasteUSD",
        unit=MetricUnit.NoUnit,
        value=report.summary.total_monthly_cost_usd,
    )
    metrics.add_metric(name="SweepErrors", unit=MetricUnit.Count, value=len(report.errors))
    metrics.add_metric(name="ApiCalls", unit=MetricUnit.Count, value=sum(report.api_calls.values()))
    for outcome in ("remediated", "failed"):
        count = sum(1 for a in report.actions if a.outcome.value == outcome)
        metrics.add_metric(name=f"Actions{outcome.title()}", unit=MetricUnit.Count, value=count)
