"""untagged-resource (opt-in with tag_missing): tag the resource govbot:missing-tags=<keys>.

Nothing is deleted. The keys are joined with spaces: SageMaker tag values allow no commas.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from govbot.actions.base import Action, ActionContext, ActionResult, Result, gone
from govbot.actions.registry import register
from govbot.cycle.models import Finding
from govbot.detectors.base import DetectorSettings
from govbot.detectors.untagged_resource import UntaggedResourceDetails
from govbot.kinds import resource_type

MISSING_TAG = "govbot:missing-tags"


@register
class TagMissing(Action):
    name = "tag-missing"
    detector = "untagged-resource"
    permissions = ("ec2:CreateTags", "sagemaker:AddTags", "sagemaker:DescribeNotebookInstance")

    def applies(self, settings: DetectorSettings) -> bool:
        return bool(getattr(settings, "tag_missing", False))

    def describe(self, finding: Finding) -> str:
        return f"tag {finding.resource_id} {MISSING_TAG}={self._value(finding)}"

    @staticmethod
    def _value(finding: Finding) -> str:
        return " ".join(UntaggedResourceDetails.model_validate(finding.details).missing_tags)

    def capture(self, ctx: ActionContext, finding: Finding) -> dict[str, Any]:
        return {"tags": finding.tags}

    def saving(self, finding: Finding) -> float | None:
        return 0.0  # a tag stops no spend: it makes the spend attributable

    def apply(self, ctx: ActionContext, finding: Finding) -> ActionResult:
        tag: Any = {"Key": MISSING_TAG, "Value": self._value(finding)}
        try:
            add = resource_type(finding.resource_type).add_tags
            if add is None:
                raise ValueError(f"govbot cannot tag a {finding.resource_type}")
            add(ctx.clients, finding.region, finding.resource_id, finding.resource_arn, [tag])
        except ClientError as err:
            if gone(finding, err):
                return ActionResult(Result.GONE, f"{finding.resource_id} already gone")
            raise
        return ActionResult(Result.DONE, self.describe(finding).replace("tag ", "tagged ", 1))
