"""idle-endpoint: delete the endpoint; its config, model and tags are kept and recorded."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from govbot.actions import register
from govbot.actions.base import Action, ActionContext, ActionResult, Result, gone, restore_hint
from govbot.detectors.idle_endpoint import IdleEndpointDetails
from govbot.models import Finding


@register
class DeleteEndpoint(Action):
    name = "delete-endpoint"
    detector = "idle-endpoint"
    permissions = ("sagemaker:DeleteEndpoint",)

    def describe(self, finding: Finding) -> str:
        return f"delete endpoint {finding.resource_id} (config and model kept)"

    def capture(self, ctx: ActionContext, finding: Finding) -> dict[str, Any]:
        # The finding was re-checked seconds ago: its config name, variants and tags are the
        # endpoint's current ones, so recording them costs no further call.
        d = IdleEndpointDetails.model_validate(finding.details)
        return {
            "endpoint_name": finding.resource_id,
            "endpoint_config_name": d.endpoint_config_name,
            "endpoint_arn": finding.resource_arn,
            "variants": [v.model_dump() for v in d.variants],
            "tags": [{"Key": k, "Value": v} for k, v in finding.tags.items()],
        }

    def apply(self, ctx: ActionContext, finding: Finding) -> ActionResult:
        try:
            ctx.clients.sagemaker(finding.region).delete_endpoint(EndpointName=finding.resource_id)
        except ClientError as err:
            if gone(finding, err):
                return ActionResult(Result.GONE, f"endpoint {finding.resource_id} already gone")
            raise
        return ActionResult(
            Result.DONE,
            f"deleted endpoint {finding.resource_id}; restore with {restore_hint(finding)}",
        )
