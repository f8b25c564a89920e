"""SageMaker training jobs that have run far longer than they should."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field

from govbot.cycle.models import Finding
from govbot.detectors.base import Details, Detector, DetectorSettings, Mode
from govbot.detectors.registry import register
from govbot.inventory import RegionInventory
from govbot.kinds import training_job

EXPECTED_HOURS_TAG = "govbot:expected-hours"


class RunawayTrainingJobSettings(DetectorSettings):
    mode: Mode = Mode.APPROVE
    max_runtime_hours: float = Field(24, gt=0, description="Limit for jobs without the tag.")
    expected_factor: float = Field(
        2, ge=1, description=f"A job tagged {EXPECTED_HOURS_TAG}=N is runaway past factor x N."
    )


def runtime_limit(tags: dict[str, str], settings: RunawayTrainingJobSettings) -> tuple[float, str]:
    """The job's limit in hours and where it comes from; a usable tag replaces the global one."""
    raw = tags.get(EXPECTED_HOURS_TAG, "").strip()
    try:
        expected = float(raw)
    except ValueError:
        expected = 0.0
    if expected > 0:
        return (
            expected * settings.expected_factor,
            f"tag {EXPECTED_HOURS_TAG}={raw} x {settings.expected_factor:g}",
        )
    source = "policy max_runtime_hours"
    if raw:
        source += f" (tag {EXPECTED_HOURS_TAG}={raw!r} is not a positive number)"
    return settings.max_runtime_hours, source


class RunawayTrainingJobDetails(Details):
    started: datetime
    elapsed_hours: float
    limit_hours: float
    limit_source: str
    instance_type: str | None = None
    instance_count: int | None = None
    max_runtime_seconds: int | None = None
    managed_spot: bool = False
    secondary_status: str | None = None


@register
class RunawayTrainingJob(Detector[RunawayTrainingJobSettings]):
    id = "runaway-training-job"
    kinds = (training_job.TYPE,)
    settings_model = RunawayTrainingJobSettings
    details_model = RunawayTrainingJobDetails
    permissions = ()

    def detect(
        self, inv: RegionInventory, settings: RunawayTrainingJobSettings
    ) -> Iterator[Finding]:
        # A job starts after it is created: one created within its limit cannot be over it,
        # so it is not described at all; the others are described together.
        over: list[tuple[Any, dict[str, str], float, str]] = []
        for summary in inv.listed(training_job.KIND):
            tags = training_job.KIND.tags_of(inv, summary)
            limit_hours, limit_source = runtime_limit(tags, settings)
            if inv.older_than(summary["CreationTime"], timedelta(hours=limit_hours)):
                over.append((summary, tags, limit_hours, limit_source))
        training_job.prefetch(inv, (s["TrainingJobName"] for s, *_ in over))
        for summary, tags, limit_hours, limit_source in over:
            limit = timedelta(hours=limit_hours)
            job = training_job.describe(inv, summary["TrainingJobName"])
            if job is None or job["TrainingJobStatus"] != "InProgress":
                continue
            started = job.get("TrainingStartTime")
            if started is None or not inv.older_than(started, limit):
                continue  # still waiting for capacity (not billed) or within its limit
            elapsed_hours = (inv.now - started).total_seconds() / 3600
            cost = training_job.cost(inv, job)
            rc = job.get("ResourceConfig", {})
            yield Finding(
                detector=self.id,
                resource_id=job["TrainingJobName"],
                resource_arn=job["TrainingJobArn"],
                resource_type=training_job.TYPE,
                region=inv.region,
                account_id=inv.account_id,
                monthly_cost_usd=cost.monthly_usd,
                reason=(
                    f"training for {elapsed_hours:.1f} h, over its limit of {limit_hours:g} h "
                    f"({limit_source})"
                ),
                proposed_action="stop the training job (it gets 120 s to save a checkpoint)",
                details=RunawayTrainingJobDetails(
                    started=started,
                    elapsed_hours=round(elapsed_hours, 2),
                    limit_hours=limit_hours,
                    limit_source=limit_source,
                    instance_type=rc.get("InstanceType"),
                    instance_count=rc.get("InstanceCount"),
                    max_runtime_seconds=job.get("StoppingCondition", {}).get("MaxRuntimeInSeconds"),
                    managed_spot=job.get("EnableManagedSpotTraining", False),
                    secondary_status=job.get("SecondaryStatus"),
                    cost_basis=cost.basis,
                ).model_dump(mode="json"),
                tags=tags,
            )
