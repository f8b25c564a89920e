"""overprovisioned-endpoint: set each variant's instance count to what its peak needs
(UpdateEndpointWeightsAndCapacities: the endpoint keeps serving while it scales in). The counts
before are recorded; ``govbot restore endpoint NAME`` sets them back."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from govbot.actions.base import Action, ActionContext, ActionResult, Result, gone, restore_hint
from govbot.actions.registry import register
from govbot.aws import error_code
from govbot.cycle.models import Finding
from govbot.cycle.restore import RestoreError, Undo
from govbot.detectors.overprovisioned_endpoint import OverprovisionedEndpointDetails
from govbot.kinds import endpoint


@register
class ResizeEndpoint(Action):
    name = "resize-endpoint"
    detector = "overprovisioned-endpoint"
    undoes = (endpoint.TYPE,)
    permissions = ("sagemaker:UpdateEndpointWeightsAndCapacities",)

    @staticmethod
    def _details(finding: Finding) -> OverprovisionedEndpointDetails:
        return OverprovisionedEndpointDetails.model_validate(finding.details)

    def describe(self, finding: Finding) -> str:
        sizes = ", ".join(
            f"{v.variant_name} {v.current} -> {v.desired}" for v in self._details(finding).variants
        )
        return f"scale endpoint {finding.resource_id} in: {sizes} instances"

    def capture(self, ctx: ActionContext, finding: Finding) -> dict[str, Any]:
        return {
            "variants": [
                {"variant_name": v.variant_name, "instance_count": v.current}
                for v in self._details(finding).variants
            ]
        }

    def apply(self, ctx: ActionContext, finding: Finding) -> ActionResult:
        variants = self._details(finding).variants
        try:
            ctx.clients.sagemaker(finding.region).update_endpoint_weights_and_capacities(
                EndpointName=finding.resource_id,
                DesiredWeightsAndCapacities=[
                    {"VariantName": v.variant_name, "DesiredInstanceCount": v.desired}
                    for v in variants
                ],
            )
        except ClientError as err:
            if gone(finding, err):
                return ActionResult(Result.GONE, f"endpoint {finding.resource_id} gone")
            raise
        sizes = ", ".join(f"{v.variant_name} to {v.desired}" for v in variants)
        return ActionResult(
            Result.DONE,
            f"scaled endpoint {finding.resource_id} in ({sizes} instances); restore with "
            f"{restore_hint(finding)}",
            {"variants": {v.variant_name: v.desired for v in variants}},
        )

    def undo(self, req: Undo) -> str:
        """Set the variants govbot scaled in back to the instance counts recorded before."""
        name = req.resource_id
        fix = req.fix(self.name)
        if fix.restored:
            return fix.restored
        done, before = fix.recorded(f"scaling endpoint {name} in {req.region}")
        sm = req.clients.sagemaker(req.region)
        try:
            status = sm.describe_endpoint(EndpointName=name)["EndpointStatus"]
        except ClientError as err:
            if error_code(err) != "ValidationException":
                raise
            raise RestoreError(f"endpoint {name} no longer exists in {req.region}") from None
        if status != "InService":
            raise RestoreError(f"endpoint {name} is {status}: try again once it is InService")
        wanted = before.before["variants"]
        sm.update_endpoint_weights_and_capacities(
            EndpointName=name,
            DesiredWeightsAndCapacities=[
                {"VariantName": v["variant_name"], "DesiredInstanceCount": v["instance_count"]}
                for v in wanted
            ],
        )
        sizes = ", ".join(f"{v['variant_name']} to {v['instance_count']}" for v in wanted)
        note = f"set endpoint {name} back to {sizes} instances"
        req.mark(done, note)
        return note
