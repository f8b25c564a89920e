"""idle-provisioned-throughput: delete the provisioned throughput (no commitment term only).

Its name, model, units and tags are recorded; ``govbot restore provisioned-throughput NAME``
buys the same units again without a term (a new ARN: callers that named the old one change).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from govbot.actions.base import Action, ActionContext, ActionResult, Result, gone, restore_hint
from govbot.actions.registry import register
from govbot.aws import error_code
from govbot.cycle.models import Finding
from govbot.cycle.restore import RESTORED_FROM_TAG, RestoreError, Undo
from govbot.detectors.idle_provisioned_throughput import IdleProvisionedThroughputDetails
from govbot.kinds import provisioned_throughput


@register
class DeleteProvisionedThroughput(Action):
    name = "delete-provisioned-throughput"
    detector = "idle-provisioned-throughput"
    undoes = (provisioned_throughput.TYPE,)
    permissions = ("bedrock:DeleteProvisionedModelThroughput",)

    def describe(self, finding: Finding) -> str:
        return f"delete provisioned throughput {finding.resource_id} (units and model recorded)"

    def held(self, finding: Finding) -> str | None:
        d = IdleProvisionedThroughputDetails.model_validate(finding.details)
        if not d.deletable:
            ends = f"{d.commitment_ends:%Y-%m-%d}" if d.commitment_ends else "its end"
            return f"committed ({d.commitment}) until {ends}: billed whatever is done"
        return super().held(finding)

    def capture(self, ctx: ActionContext, finding: Finding) -> dict[str, Any]:
        d = IdleProvisionedThroughputDetails.model_validate(finding.details)
        return {
            "provisioned_model_name": finding.resource_id,
            "provisioned_model_arn": d.provisioned_model_arn,
            "model_arn": d.model_arn,
            "model_units": d.model_units,
            "tags": [{"key": k, "value": v} for k, v in finding.tags.items()],
        }

    def apply(self, ctx: ActionContext, finding: Finding) -> ActionResult:
        d = IdleProvisionedThroughputDetails.model_validate(finding.details)
        try:
            ctx.clients.client("bedrock", finding.region).delete_provisioned_model_throughput(
                provisionedModelId=d.provisioned_model_arn
            )
        except ClientError as err:
            if gone(finding, err):
                return ActionResult(
                    Result.GONE, f"provisioned throughput {finding.resource_id} already gone"
                )
            raise
        return ActionResult(
            Result.DONE,
            f"deleted provisioned throughput {finding.resource_id}; restore with "
            f"{restore_hint(finding)}",
        )

    def undo(self, req: Undo) -> str:
        """Buy the same model units again, without a commitment term (a new ARN)."""
        fix = req.fix(self.name)
        if fix.restored:
            return fix.restored
        done, before = fix.recorded(f"deleting {req.resource_id} in {req.region}")
        was = before.before
        bedrock = req.clients.client("bedrock", req.region)
        try:
            bedrock.get_provisioned_model_throughput(provisionedModelId=req.resource_id)
        except ClientError as err:
            if error_code(err) != "ResourceNotFoundException":
                raise
        else:
            raise RestoreError(f"provisioned throughput {req.resource_id} exists in {req.region}")
        params: dict[str, Any] = {
            "provisionedModelName": req.resource_id,
            "modelId": was["model_arn"],
            "modelUnits": was["model_units"],
        }
        params["tags"] = [
            *(was.get("tags") or []),
            {"key": RESTORED_FROM_TAG, "value": req.resource_id},
        ]
        new_arn = bedrock.create_provisioned_model_throughput(**params)["provisionedModelArn"]
        units = was["model_units"]
        note = f"bought {units} model unit(s) of {req.resource_id} again, no term, as {new_arn}"
        req.mark(done, note)
        return note
