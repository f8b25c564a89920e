"""idle-notebook: stop the notebook instance. Its ML storage volume (the files) stays, so a
start brings it back as it was; ``govbot restore notebook`` starts it."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from govbot.actions.base import Action, ActionContext, ActionResult, Result, gone, restore_hint
from govbot.actions.registry import register
from govbot.aws import error_code
from govbot.cycle.models import Finding
from govbot.cycle.restore import Undo, start_again
from govbot.detectors.idle_notebook import IdleNotebookDetails
from govbot.kinds import notebook


@register
class StopNotebook(Action):
    name = "stop-notebook"
    detector = "idle-notebook"
    undoes = (notebook.TYPE,)
    permissions = ("sagemaker:StopNotebookInstance",)

    def describe(self, finding: Finding) -> str:
        return f"stop notebook instance {finding.resource_id} (its storage stays)"

    def capture(self, ctx: ActionContext, finding: Finding) -> dict[str, Any]:
        d = IdleNotebookDetails.model_validate(finding.details)
        return {
            "notebook_instance_name": finding.resource_id,
            "status": "InService",  # the re-check a moment ago found it in service
            "instance_type": d.instance_type,
            "last_used": d.last_used.isoformat(),
            "last_used_source": d.last_used_source,
        }

    def apply(self, ctx: ActionContext, finding: Finding) -> ActionResult:
        try:
            ctx.clients.sagemaker(finding.region).stop_notebook_instance(
                NotebookInstanceName=finding.resource_id
            )
        except ClientError as err:
            # SageMaker answers ValidationException for a notebook gone or no longer in service.
            if gone(finding, err):
                return ActionResult(
                    Result.GONE, f"notebook instance {finding.resource_id} not in service"
                )
            raise
        return ActionResult(
            Result.DONE,
            f"stopped notebook instance {finding.resource_id}; restore with "
            f"{restore_hint(finding)}",
        )

    def undo(self, req: Undo) -> str:
        """Start the notebook instance again, if govbot stopped it and it is still stopped."""
        sm = req.clients.sagemaker(req.region)

        def status() -> str | None:
            try:
                found = sm.describe_notebook_instance(NotebookInstanceName=req.resource_id)
            except ClientError as err:
                if error_code(err) != "ValidationException":
                    raise
                return None
            return found["NotebookInstanceStatus"]

        return start_again(
            req,
            action=self.name,
            kind="notebook instance",
            status=status,
            start=lambda: sm.start_notebook_instance(NotebookInstanceName=req.resource_id),
            stopped=frozenset({"Stopped"}),
        )
