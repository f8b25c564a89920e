"""orphaned-volume: snapshot the volume, and delete it only once the snapshot is completed.

The snapshot id is saved the moment it exists, so a run that dies before the delete is
finished by the next one, which never takes a second snapshot. A snapshot still pending is
left to a later run rather than waited on.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError

from govbot.actions.base import Action, ActionContext, ActionResult, Result, gone, restore_hint
from govbot.actions.registry import register
from govbot.cycle.models import Finding
from govbot.cycle.restore import Undo, restored_from, user_tags
from govbot.detectors.expired_snapshot import EXPIRES_TAG, SOURCE_TAG
from govbot.detectors.orphaned_volume import OrphanedVolumeDetails
from govbot.kinds import volume


@register
class SnapshotThenDeleteVolume(Action):
    name = "snapshot-then-delete-volume"
    detector = "orphaned-volume"
    undoes = (volume.TYPE,)
    permissions = (
        "ec2:CreateSnapshot",
        "ec2:CreateTags",
        "ec2:DescribeSnapshots",
        "ec2:DeleteVolume",
    )

    def describe(self, finding: Finding) -> str:
        return f"snapshot volume {finding.resource_id}, then delete it"

    def capture(self, ctx: ActionContext, finding: Finding) -> dict[str, Any]:
        d = OrphanedVolumeDetails.model_validate(finding.details)
        return {
            "volume_id": finding.resource_id,
            "availability_zone": d.availability_zone,
            "volume_type": d.volume_type,
            "size_gib": d.size_gib,
            "iops": d.iops,
            "throughput": d.throughput,
            "encrypted": d.encrypted,
            "tags": finding.tags,
        }

    def apply(self, ctx: ActionContext, finding: Finding) -> ActionResult:
        ec2 = ctx.clients.ec2(finding.region)
        vid = finding.resource_id
        snapshot_id = ctx.progress.get("snapshot_id")
        if snapshot_id is None:
            keep = OrphanedVolumeDetails.model_validate(finding.details).snapshot_retention_days
            expires = ctx.now + timedelta(days=keep)  # then expired-snapshot retires it
            tags: list[Any] = [
                {"Key": k, "Value": v}
                for k, v in finding.tags.items()
                if not k.startswith("aws:")  # reserved; AWS refuses to copy them
            ] + [
                {"Key": SOURCE_TAG, "Value": vid},
                {"Key": EXPIRES_TAG, "Value": f"{expires:%Y-%m-%d}"},
            ]
            try:
                snapshot = ec2.create_snapshot(
                    VolumeId=vid,
                    Description=f"govbot: {vid} before deletion ({finding.finding_id})",
                    TagSpecifications=[{"ResourceType": "snapshot", "Tags": tags}],
                )
            except ClientError as err:
                if gone(finding, err):
                    return ActionResult(Result.GONE, f"volume {vid} already gone")
                raise
            snapshot_id = snapshot["SnapshotId"]
            ctx.save_progress({"snapshot_id": snapshot_id})

        state = ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"][0]["State"]
        if state == "error":
            raise RuntimeError(f"snapshot {snapshot_id} of {vid} failed; the volume is kept")
        if state != "completed":
            return ActionResult(
                Result.PENDING,
                f"snapshot {snapshot_id} of {vid} is {state}; a later run deletes the volume",
                {"snapshot_id": snapshot_id},
            )
        try:
            ec2.delete_volume(VolumeId=vid)
        except ClientError as err:
            if not gone(finding, err):
                raise
        d = OrphanedVolumeDetails.model_validate(finding.details)
        saved = (
            f"; saves ${d.net_monthly_saving_usd:,.2f}/month net of the snapshot"
            if d.net_monthly_saving_usd is not None
            else ""
        )
        return ActionResult(
            Result.DONE,
            f"deleted volume {vid} after snapshot {snapshot_id}{saved}; restore with "
            f"{restore_hint(finding)}",
            {"snapshot_id": snapshot_id},
        )

    def undo(self, req: Undo) -> str:
        """Create a volume from the snapshot taken before the deletion: same AZ, type,
        performance and tags, and govbot's restored-from tag."""
        volume_id = req.resource_id
        fix = req.fix(self.name)
        if fix.restored:
            return fix.restored
        done, before = fix.recorded(f"deleting volume {volume_id} in {req.region}")
        snapshot_id = done.after["snapshot_id"]
        was = before.before
        ec2 = req.clients.ec2(req.region)
        params: dict[str, Any] = {
            "SnapshotId": snapshot_id,
            "AvailabilityZone": was["availability_zone"],
            "VolumeType": was["volume_type"],
            "TagSpecifications": [
                {
                    "ResourceType": "volume",
                    "Tags": [*user_tags(was["tags"]), restored_from(volume_id)],
                }
            ],
        }
        if was["volume_type"] in ("io1", "io2", "gp3") and was.get("iops"):
            params["Iops"] = was["iops"]
        if was["volume_type"] == "gp3" and was.get("throughput"):
            params["Throughput"] = was["throughput"]
        new_id: str = ec2.create_volume(**params)["VolumeId"]
        note = f"restored volume {volume_id} as {new_id} from snapshot {snapshot_id}"
        req.mark(done, note)
        return note
