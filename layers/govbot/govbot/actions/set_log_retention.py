"""log-retention-gap: give the log group a retention (older events are then deleted)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from govbot.actions.base import Action, ActionContext, ActionResult, Result, gone
from govbot.actions.registry import register
from govbot.cycle.models import Finding
from govbot.detectors.log_retention_gap import LogRetentionGapDetails


@register
class SetLogRetention(Action):
    name = "set-log-retention"
    detector = "log-retention-gap"
    permissions = ("logs:PutRetentionPolicy",)

    @staticmethod
    def _details(finding: Finding) -> LogRetentionGapDetails:
        return LogRetentionGapDetails.model_validate(finding.details)

    def describe(self, finding: Finding) -> str:
        days = self._details(finding).retention_days
        return f"set retention of {finding.resource_id} to {days} days"

    def capture(self, ctx: ActionContext, finding: Finding) -> dict[str, Any]:
        return {"retention_days": None, "stored_bytes": self._details(finding).stored_bytes}

    def apply(self, ctx: ActionContext, finding: Finding) -> ActionResult:
        days = self._details(finding).retention_days
        try:
            ctx.clients.logs(finding.region).put_retention_policy(
                logGroupName=finding.resource_id, retentionInDays=days
            )
        except ClientError as err:
            if gone(finding, err):
                return ActionResult(Result.GONE, f"log group {finding.resource_id} already gone")
            raise
        return ActionResult(
            Result.DONE,
            f"set retention of {finding.resource_id} to {days} days",
            {"retention_days": days},
        )
