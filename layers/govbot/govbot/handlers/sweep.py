"""The scheduled sweep as the Lambda runs it: sweep, store, queue the cleared fixes for the
worker (or act, without a queue), then one SNS message and one Slack digest."""

from __future__ import annotations

from datetime import UTC, datetime

from aws_lambda_powertools.metrics import Metrics, MetricUnit, single_metric

from govbot import runtime
from govbot.cycle.engine import govern
from govbot.cycle.models import Outcome, SweepReport
from govbot.delivery.channels import acting_clients, notify, queue_dispatch
from govbot.runtime import Settings


class NothingSweptError(RuntimeError):
    """Every region and detector failed: the invocation fails so alarms and retries see it."""


def nightly_sweep(settings: Settings, account_id: str | None) -> SweepReport:
    policy = runtime.load_policy(settings)
    clients = runtime.clients()
    clients.calls.clear()  # count this invocation's calls only
    now = datetime.now(UTC)

    cycle = govern(
        policy,
        clients,
        runtime.store(settings),
        now=now,
        dry_run=settings.dry_run,
        actor="lambda:sweep",
        regions=policy.regions or [settings.region],
        account_id=account_id,
        dispatch=queue_dispatch(settings, now),
        clients_for=acting_clients(settings, policy),
    )
    errors = notify(settings, policy, cycle.report, cycle.states)
    return cycle.report.model_copy(
        update={
            "errors": cycle.report.errors + errors,
            "api_calls": dict(sorted(clients.calls.items())),
        }
    )


# What a detector's dollar figure is published as: only waste is "waste".
COST_METRICS = {
    "waste": "EstimatedMonthlyWasteUSD",
    "unattributed": "UnattributedMonthlyUSD",
    "per_run": "SavingPerRunUSD",
}


def record_metrics(metrics: Metrics, report: SweepReport) -> None:
    """Findings and their figure per detector (waste, untagged spend or a per-run saving, each
    under its own name), plus sweep-wide totals."""
    for det_id, s in report.summary.by_detector.items():
        for name, unit, value in (
            ("Findings", MetricUnit.Count, s.findings),
            (COST_METRICS[s.cost_kind], MetricUnit.NoUnit, s.monthly_cost_usd),
        ):
            with single_metric(name=name, unit=unit, value=value) as metric:
                metric.add_dimension(name="detector", value=det_id)
    metrics.add_metric(name="TotalFindings", unit=MetricUnit.Count, value=report.summary.findings)
    metrics.add_metric(
        name="TotalEstimatedMonthlyWasteUSD",
        unit=MetricUnit.NoUnit,
        value=report.summary.total_monthly_cost_usd,
    )
    metrics.add_metric(
        name="TotalUnattributedMonthlyUSD",
        unit=MetricUnit.NoUnit,
        value=report.summary.unattributed_monthly_usd,
    )
    metrics.add_metric(name="SweepErrors", unit=MetricUnit.Count, value=len(report.errors))
    metrics.add_metric(name="ApiCalls", unit=MetricUnit.Count, value=sum(report.api_calls.values()))
    for outcome in (Outcome.REMEDIATED, Outcome.FAILED, Outcome.QUEUED):
        count = sum(1 for a in report.actions if a.outcome is outcome)
        name = f"Actions{outcome.value.split()[0].title()}"
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=count)
