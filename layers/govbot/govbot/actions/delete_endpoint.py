"""idle-endpoint: delete the endpoint; its config, model and tags are kept and recorded."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from govbot.actions import register
from govbot.actions.base import Action, ActionContext, ActionResult, Result, error_code
from govbot.models import Finding


@register
class DeleteEndpoint(Action):
    name = "delete-endpoint"
    detector = "idle-endpoint"
    permissions = ("sagemaker:DeleteEndpoint", "sagemaker:ListTags")

    def describe(self, finding: Finding) -> str:
        return f"delete endpoint {finding.resource_id} (config and model kept)"

    def capture(self, ctx: ActionContext, finding: Finding) -> dict[str, Any]:
        sm = ctx.clients.sagemaker(finding.region)
        try:
            desc = sm.describe_endpoint(EndpointName=finding.resource_id)
        except ClientError as err:
            if error_code(err) == "ValidationException":
                return {}
            raise
        tags = sm.list_tags(ResourceArn=desc["EndpointArn"]).get("Tags", [])
        return {
            "endpoint_name": desc["EndpointName"],
            "endpoint_config_name": desc["EndpointConfigName"],
            "endpoint_arn": desc["EndpointArn"],
            "production_variants": desc.get("ProductionVariants", []),
            "tags": tags,
        }

    def apply(self, ctx: ActionContext, finding: Finding) -> ActionResult:
        try:
            ctx.clients.sagemaker(finding.region).delete_endpoint(EndpointName=finding.resource_id)
        except ClientError as err:
            # SageMaker answers ValidationException for an endpoint that does not exist.
            if error_code(err) == "ValidationException":
                return ActionResult(Result.GONE, f"endpoint {finding.resource_id} already gone")
            raise
        return ActionResult(
            Result.DONE,
            f"deleted endpoint {finding.resource_id}; restore with "
            f"`govbot restore endpoint {finding.resource_id} --region {finding.region}`",
        )
