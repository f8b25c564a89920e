"""idle-lustre-filesystem: delete a persistent, unlinked Lustre file system with a final backup.

FSx takes the final backup as it deletes (DeleteFileSystem, SkipFinalBackup false), tagged
with the file system's tags and ``govbot:source-file-system``; its id is saved the moment
FSx answers. ``govbot restore lustre-filesystem ID`` creates a file system from that backup
in the same subnets (a new id and mount name: clients mount the new one).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from govbot.actions.base import Action, ActionContext, ActionResult, Result, gone, restore_hint
from govbot.actions.registry import register
from govbot.cycle.models import Finding
from govbot.cycle.restore import RestoreError, Undo, restored_from
from govbot.detectors.idle_lustre_filesystem import IdleLustreFilesystemDetails
from govbot.kinds import lustre_filesystem as lustre

SOURCE_TAG = "govbot:source-file-system"


@register
class DeleteLustreFilesystem(Action):
    name = "delete-lustre-filesystem"
    detector = "idle-lustre-filesystem"
    undoes = (lustre.TYPE,)
    permissions = ("fsx:DeleteFileSystem", "fsx:CreateBackup", "fsx:TagResource")

    def describe(self, finding: Finding) -> str:
        return f"delete Lustre file system {finding.resource_id} with a final backup"

    def held(self, finding: Finding) -> str | None:
        d = IdleLustreFilesystemDetails.model_validate(finding.details)
        return d.kept_because or super().held(finding)

    def capture(self, ctx: ActionContext, finding: Finding) -> dict[str, Any]:
        d = IdleLustreFilesystemDetails.model_validate(finding.details)
        return {
            "file_system_arn": d.file_system_arn,
            "deployment_type": d.deployment_type,
            "storage_type": d.storage_type,
            "storage_capacity_gib": d.storage_capacity_gib,
            "per_unit_storage_throughput": d.per_unit_storage_throughput,
            "subnet_ids": d.subnet_ids,
            "tags": [{"Key": k, "Value": v} for k, v in finding.tags.items()],
        }

    def apply(self, ctx: ActionContext, finding: Finding) -> ActionResult:
        fid = finding.resource_id
        backup_id = ctx.progress.get("final_backup_id")
        if backup_id is None:
            tags: list[Any] = [
                {"Key": k, "Value": v}
                for k, v in finding.tags.items()
                if not k.startswith("aws:")  # reserved; AWS refuses to copy them
            ] + [{"Key": SOURCE_TAG, "Value": fid}]
            try:
                answer = ctx.clients.client("fsx", finding.region).delete_file_system(
                    FileSystemId=fid,
                    LustreConfiguration={"SkipFinalBackup": False, "FinalBackupTags": tags},
                )
            except ClientError as err:
                if gone(finding, err):
                    return ActionResult(Result.GONE, f"Lustre file system {fid} already gone")
                raise
            backup_id = answer["LustreResponse"]["FinalBackupId"]
            ctx.save_progress({"final_backup_id": backup_id})
        return ActionResult(
            Result.DONE,
            f"deleted Lustre file system {fid} after final backup {backup_id}; restore with "
            f"{restore_hint(finding)}",
            {"final_backup_id": backup_id},
        )

    def undo(self, req: Undo) -> str:
        """A file system from the final backup, in the same subnets, with its tags."""
        fix = req.fix(self.name)
        if fix.restored:
            return fix.restored
        done, before = fix.recorded(f"deleting file system {req.resource_id} in {req.region}")
        was = before.before
        backup_id = done.after.get("final_backup_id")
        if not backup_id:
            raise RestoreError(f"no final backup of {req.resource_id} was recorded")
        fsx = req.clients.client("fsx", req.region)
        try:
            created = fsx.create_file_system_from_backup(
                BackupId=backup_id,
                SubnetIds=was["subnet_ids"],
                Tags=[
                    *(t for t in was.get("tags") or [] if t["Key"] != SOURCE_TAG),
                    restored_from(req.resource_id),
                ],
            )["FileSystem"]
        except ClientError as err:
            raise RestoreError(
                f"FSx would not create {req.resource_id} again from backup {backup_id}: {err}"
            ) from None
        mount = created["LustreConfiguration"]["MountName"]
        note = (
            f"created Lustre file system {created['FileSystemId']} from final backup "
            f"{backup_id} of {req.resource_id} (mount name {mount})"
        )
        req.mark(done, note)
        return note
