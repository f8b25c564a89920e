"""runaway-training-job: stop the job; SageMaker gives it 120 seconds to save a checkpoint."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from govbot.actions.base import Action, ActionContext, ActionResult, Result, gone
from govbot.actions.registry import register
from govbot.cycle.models import Finding
from govbot.detectors.runaway_training_job import RunawayTrainingJobDetails


@register
class StopTrainingJob(Action):
    name = "stop-training-job"
    detector = "runaway-training-job"
    permissions = ("sagemaker:StopTrainingJob",)

    def describe(self, finding: Finding) -> str:
        return f"stop training job {finding.resource_id}"

    def capture(self, ctx: ActionContext, finding: Finding) -> dict[str, Any]:
        d = RunawayTrainingJobDetails.model_validate(finding.details)
        return d.model_dump(
            mode="json",
            include={
                "started",
                "elapsed_hours",
                "limit_hours",
                "instance_type",
                "instance_count",
                "secondary_status",
            },
        )

    def apply(self, ctx: ActionContext, finding: Finding) -> ActionResult:
        try:
            ctx.clients.sagemaker(finding.region).stop_training_job(
                TrainingJobName=finding.resource_id
            )
        except ClientError as err:
            # A job that already ended (or never existed) answers ValidationException.
            if gone(finding, err):
                return ActionResult(Result.GONE, f"training job {finding.resource_id} not running")
            raise
        return ActionResult(
            Result.DONE,
            f"stopped training job {finding.resource_id}; its checkpoints and artifacts stay in S3",
        )
