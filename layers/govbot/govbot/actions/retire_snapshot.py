"""expired-snapshot: move govbot's own expired snapshot to the archive tier, or delete it."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from govbot.actions.base import Action, ActionContext, ActionResult, Result, gone
from govbot.actions.registry import register
from govbot.cycle.models import Finding
from govbot.detectors.expired_snapshot import ExpiredSnapshotDetails


@register
class RetireSnapshot(Action):
    name = "retire-snapshot"
    detector = "expired-snapshot"
    permissions = ("ec2:ModifySnapshotTier", "ec2:DeleteSnapshot")

    def describe(self, finding: Finding) -> str:
        d = ExpiredSnapshotDetails.model_validate(finding.details)
        if d.retire == "archive":
            return f"move snapshot {finding.resource_id} to the archive tier"
        return f"delete snapshot {finding.resource_id}"

    def capture(self, ctx: ActionContext, finding: Finding) -> dict[str, Any]:
        d = ExpiredSnapshotDetails.model_validate(finding.details)
        return {
            "snapshot_id": finding.resource_id,
            "source_volume": d.source_volume,
            "size_gib": d.size_gib,
            "storage_tier": d.storage_tier,
            "tags": finding.tags,
        }

    def apply(self, ctx: ActionContext, finding: Finding) -> ActionResult:
        d = ExpiredSnapshotDetails.model_validate(finding.details)
        ec2 = ctx.clients.ec2(finding.region)
        try:
            if d.retire == "archive":
                ec2.modify_snapshot_tier(SnapshotId=finding.resource_id, StorageTier="archive")
                done = f"moved snapshot {finding.resource_id} to the archive tier"
            else:
                ec2.delete_snapshot(SnapshotId=finding.resource_id)
                done = f"deleted snapshot {finding.resource_id}"
        except ClientError as err:
            if gone(finding, err):
                return ActionResult(Result.GONE, f"snapshot {finding.resource_id} already gone")
            raise
        return ActionResult(Result.DONE, done)
