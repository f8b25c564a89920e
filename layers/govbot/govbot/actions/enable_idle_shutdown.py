"""studio-idle-shutdown-off: turn idle shutdown on with the policy's timeout, in the domain's
defaults, the user profile or the space found. Everything else in the app type's settings is
kept, and the settings as they were are recorded; ``govbot restore studio-domain ID`` (or
studio-user-profile, studio-space) puts them back."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from govbot.actions.base import Action, ActionContext, ActionResult, Result, gone, restore_hint
from govbot.actions.registry import register
from govbot.cycle.models import Finding
from govbot.cycle.restore import Undo
from govbot.detectors.studio_idle_shutdown_off import StudioIdleShutdownOffDetails
from govbot.kinds import studio


@register
class EnableIdleShutdown(Action):
    name = "enable-idle-shutdown"
    detector = "studio-idle-shutdown-off"
    undoes = tuple(studio.SCOPES)
    permissions = (
        "sagemaker:UpdateDomain",
        "sagemaker:UpdateUserProfile",
        "sagemaker:UpdateSpace",
    )

    @staticmethod
    def _details(finding: Finding) -> StudioIdleShutdownOffDetails:
        return StudioIdleShutdownOffDetails.model_validate(finding.details)

    def describe(self, finding: Finding) -> str:
        d = self._details(finding)
        return (
            f"shut idle {' and '.join(d.gaps)} apps of Studio {d.scope} {finding.resource_id} "
            f"down after {d.timeout_minutes} minutes"
        )

    def capture(self, ctx: ActionContext, finding: Finding) -> dict[str, Any]:
        d = self._details(finding)
        return {
            "settings_key": studio.SCOPES[finding.resource_type].settings_key,
            "before": d.blocks,  # absent: the level above decided
            "gaps": d.gaps,
        }

    def apply(self, ctx: ActionContext, finding: Finding) -> ActionResult:
        d = self._details(finding)
        rtype = finding.resource_type
        settings = {
            f"{t}AppSettings": studio.with_shutdown(d.blocks, t, rtype, d.timeout_minutes)
            for t in d.gaps
        }
        try:
            studio.update_settings(
                ctx.clients.sagemaker(finding.region), rtype, finding.resource_id, settings
            )
        except ClientError as err:
            if gone(finding, err):
                return ActionResult(Result.GONE, f"Studio {d.scope} {finding.resource_id} gone")
            raise
        return ActionResult(
            Result.DONE,
            f"Studio {d.scope} {finding.resource_id}: idle {' and '.join(d.gaps)} apps now shut "
            f"down after {d.timeout_minutes} minutes; restore with {restore_hint(finding)}",
            {"timeout_minutes": d.timeout_minutes},
        )

    def undo(self, req: Undo) -> str:
        """Put a Studio domain's, user profile's or space's idle-shutdown settings back as
        they were before govbot turned it on (a domain that never had any gets it off)."""
        scope = studio.SCOPES[req.rtype]
        fix = req.fix(self.name)
        if fix.restored:
            return fix.restored
        done, before = fix.recorded(
            f"changing Studio {scope.kind} {req.resource_id} in {req.region}"
        )
        was = before.before["before"]
        settings = {
            f"{t}AppSettings": was.get(f"{t}AppSettings")
            or {"AppLifecycleManagement": {"IdleSettings": {"LifecycleManagement": "DISABLED"}}}
            for t in before.before["gaps"]
        }
        studio.update_settings(
            req.clients.sagemaker(req.region), req.rtype, req.resource_id, settings
        )
        note = (
            f"put the idle shutdown of {' and '.join(before.before['gaps'])} apps of Studio "
            f"{scope.kind} {req.resource_id} back as it was"
        )
        req.mark(done, note)
        return note
