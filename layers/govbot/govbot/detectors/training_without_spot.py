"""Advice: long GPU training jobs that use neither managed spot training nor checkpoints.

Judged in seconds when CloudTrail reports CreateTrainingJob, and by the sweep for jobs created
lately that the event missed. There is no fix: a running job's spot setting cannot be changed,
so people are told what spot would save on the next run of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

from pydantic import Field

from govbot.cycle.models import Finding
from govbot.detectors.base import Details, Detector, DetectorSettings, Mode
from govbot.detectors.registry import register
from govbot.inventory import RegionInventory
from govbot.kinds import training_job

# SageMaker's GPU and accelerator training instances.
ACCELERATED = re.compile(r"^ml\.(p|g|trn|dl)\d")


class TrainingWithoutSpotSettings(DetectorSettings):
    mode: Mode = Mode.NOTIFY
    min_runtime_hours: float = Field(
        4, gt=0, description="Only jobs allowed to run at least this long (MaxRuntimeInSeconds)."
    )
    spot_saving_percent: float = Field(
        70, gt=0, lt=100, description="What managed spot training usually saves off on demand."
    )
    recent_hours: float = Field(
        24, gt=0, description="The sweep judges jobs in progress created this recently."
    )


class TrainingWithoutSpotDetails(Details):
    instance_type: str
    instance_count: int
    max_runtime_hours: float
    on_demand_monthly_usd: float | None
    # What one full run would cost on demand, and what spot would save of it.
    run_on_demand_usd: float | None
    run_spot_saving_usd: float | None


@register
class TrainingWithoutSpot(Detector[TrainingWithoutSpotSettings]):
    id = "training-without-spot"
    kinds = (training_job.TYPE,)
    settings_model = TrainingWithoutSpotSettings
    cost_kind = "per_run"
    details_model = TrainingWithoutSpotDetails
    permissions = ()

    def detect(
        self, inv: RegionInventory, settings: TrainingWithoutSpotSettings
    ) -> Iterator[Finding]:
        recent = [
            s
            for s in inv.listed(training_job.KIND)
            if not inv.older_than(s["CreationTime"], timedelta(hours=settings.recent_hours))
        ]
        training_job.prefetch(inv, (s["TrainingJobName"] for s in recent))
        for summary in recent:
            job = training_job.describe(inv, summary["TrainingJobName"])
            if job is None or job.get("EnableManagedSpotTraining") or job.get("CheckpointConfig"):
                continue
            rc = job.get("ResourceConfig", {})
            instance_type, count = rc.get("InstanceType", ""), rc.get("InstanceCount", 1)
            if not ACCELERATED.match(instance_type):
                continue
            seconds = job.get("StoppingCondition", {}).get("MaxRuntimeInSeconds", 0)
            hours = seconds / 3600
            if hours < settings.min_runtime_hours:
                continue
            cost = training_job.cost(inv, job)
            share = settings.spot_saving_percent / 100
            per_run = (
                cost.monthly_usd / inv.pricer.table.hours_per_month * hours
                if cost.monthly_usd is not None
                else None
            )
            yield Finding(
                detector=self.id,
                resource_id=job["TrainingJobName"],
                resource_arn=job["TrainingJobArn"],
                resource_type=training_job.TYPE,
                region=inv.region,
                account_id=inv.account_id,
                # What spot would save on one full run (advice: nothing is stopped).
                monthly_cost_usd=round(per_run * share, 2) if per_run is not None else None,
                cost_kind=self.cost_kind,
                reason=(
                    f"{count} x {instance_type} for up to {hours:g} h on demand, without "
                    "managed spot training or checkpoints"
                    + (
                        f": spot would save about ${per_run * share:,.0f} of a full run's "
                        f"${per_run:,.0f}"
                        if per_run is not None
                        else ""
                    )
                ),
                proposed_action=(
                    "none (advice): run it next time with EnableManagedSpotTraining, "
                    "MaxWaitTimeInSeconds and a CheckpointConfig"
                ),
                details=TrainingWithoutSpotDetails(
                    instance_type=instance_type,
                    instance_count=count,
                    max_runtime_hours=round(hours, 2),
                    on_demand_monthly_usd=cost.monthly_usd,
                    run_on_demand_usd=round(per_run, 2) if per_run is not None else None,
                    run_spot_saving_usd=round(per_run * share, 2) if per_run is not None else None,
                    cost_basis=f"{cost.basis}; spot saving assumed "
                    f"{settings.spot_saving_percent:g}% (policy spot_saving_percent)",
                ).model_dump(mode="json"),
                tags=training_job.KIND.tags_of(inv, job),
            )
