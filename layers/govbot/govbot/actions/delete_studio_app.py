"""idle-studio-app: delete the Studio app. Its instance stops billing; the space's storage (or
the user's home directory) stays, so opening the space starts the app again with the files as
they were. The app's spec is recorded; ``govbot restore studio-app ID`` creates it again."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from govbot.actions.base import (
    Action,
    ActionContext,
    ActionResult,
    Result,
    exempt_now,
    gone,
    restore_hint,
)
from govbot.actions.registry import register
from govbot.aws import error_code
from govbot.cycle.models import Finding
from govbot.cycle.restore import RestoreError, Undo, restored_from
from govbot.detectors.idle_studio_app import IdleStudioAppDetails
from govbot.kinds import studio


@register
class DeleteStudioApp(Action):
    name = "delete-studio-app"
    detector = "idle-studio-app"
    undoes = (studio.APP,)
    # ListTags: the exemption (the app's own or its space's or user profile's), asked again
    # right before the deletion.
    permissions = ("sagemaker:DeleteApp", "sagemaker:ListTags")

    def describe(self, finding: Finding) -> str:
        d = IdleStudioAppDetails.model_validate(finding.details)
        if d.app_type == "Canvas":
            return f"log {d.owner} out of Canvas (its models and datasets stay)"
        return f"delete {d.app_type} app {d.app_name} of {d.owner} (its storage stays)"

    def capture(self, ctx: ActionContext, finding: Finding) -> dict[str, Any]:
        d = IdleStudioAppDetails.model_validate(finding.details)
        return {
            **studio.app_key(finding.resource_id),
            "resource_spec": d.resource_spec,
            "last_activity": d.last_activity.isoformat(),
        }

    def apply(self, ctx: ActionContext, finding: Finding) -> ActionResult:
        owner = studio.owner_arn(finding.resource_id, finding.region, finding.account_id)
        why = exempt_now(ctx, finding.region, owner, finding.resource_arn)
        if why:
            return ActionResult(Result.EXEMPT, f"left alone: {why}")
        try:
            ctx.clients.sagemaker(finding.region).delete_app(**studio.app_key(finding.resource_id))  # type: ignore[arg-type]
        except ClientError as err:
            # SageMaker answers ResourceNotFound, or ValidationException for an app deleted.
            if gone(finding, err):
                return ActionResult(Result.GONE, f"app {finding.resource_id} already deleted")
            raise
        return ActionResult(
            Result.DONE,
            f"deleted Studio app {finding.resource_id}; restore with {restore_hint(finding)}",
        )

    def undo(self, req: Undo) -> str:
        """Create the app again with the spec recorded (image, instance type, lifecycle config),
        unless one of its name already runs (a person opened the space meanwhile)."""
        fix = req.fix(self.name)
        if fix.restored:
            return fix.restored
        done, before = fix.recorded(f"deleting Studio app {req.resource_id} in {req.region}")
        key = studio.app_key(req.resource_id)
        sm = req.clients.sagemaker(req.region)
        try:
            status = sm.describe_app(**key)["Status"]  # type: ignore[arg-type]
        except ClientError as err:
            if error_code(err) not in ("ResourceNotFound", "ValidationException"):
                raise
            status = "Deleted"
        if status not in ("Deleted", "Failed"):
            raise RestoreError(f"Studio app {req.resource_id} is {status}: nothing to restore")
        spec = before.before["resource_spec"]
        tags = [restored_from(req.resource_id)]
        # A Canvas app may record no spec: CreateApp takes none then.
        with_spec = {"ResourceSpec": spec} if spec else {}
        sm.create_app(**key, **with_spec, Tags=tags)  # type: ignore[arg-type]
        on = spec.get("InstanceType") or "its default workspace"
        note = f"created Studio app {req.resource_id} again on {on}"
        req.mark(done, note)
        return note
