"""idle-gpu-instance: stop the instance. Its EBS volumes stay, so a start brings it back as it
was (with a new public IP unless it has an Elastic IP); ``govbot restore instance`` starts it.
Instances that cannot come back that way (instance store, Auto Scaling, Spot) are held."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from govbot.actions.base import Action, ActionContext, ActionResult, Result, gone, restore_hint
from govbot.actions.registry import register
from govbot.cycle.models import Finding
from govbot.cycle.restore import Undo, start_again
from govbot.detectors.idle_gpu_instance import IdleGpuInstanceDetails
from govbot.kinds import instance


@register
class StopInstance(Action):
    name = "stop-instance"
    detector = "idle-gpu-instance"
    undoes = (instance.TYPE,)
    permissions = ("ec2:StopInstances",)

    def describe(self, finding: Finding) -> str:
        return f"stop instance {finding.resource_id} (its EBS volumes stay)"

    def held(self, finding: Finding) -> str | None:
        d = IdleGpuInstanceDetails.model_validate(finding.details)
        if not d.stoppable:
            return f"not stopped by govbot: {d.not_stoppable}; left to a person"
        return super().held(finding)

    def capture(self, ctx: ActionContext, finding: Finding) -> dict[str, Any]:
        d = IdleGpuInstanceDetails.model_validate(finding.details)
        return {
            "instance_id": finding.resource_id,
            "state": "running",  # the re-check a moment ago found it running and idle
            "instance_type": d.instance_type,
            "launched": d.launched.isoformat(),
            "judged_by": d.judged_by,
            "peak_percent": d.peak_percent,
        }

    def apply(self, ctx: ActionContext, finding: Finding) -> ActionResult:
        try:
            ctx.clients.ec2(finding.region).stop_instances(InstanceIds=[finding.resource_id])
        except ClientError as err:
            if gone(finding, err):
                return ActionResult(Result.GONE, f"instance {finding.resource_id} already gone")
            raise
        return ActionResult(
            Result.DONE,
            f"stopped instance {finding.resource_id}; restore with {restore_hint(finding)}",
        )

    def undo(self, req: Undo) -> str:
        """Start the instance again, if govbot stopped it and it is still stopped."""
        ec2 = req.clients.ec2(req.region)

        def status() -> str | None:
            found = ec2.describe_instances(
                Filters=[{"Name": "instance-id", "Values": [req.resource_id]}]
            )
            states = [i["State"]["Name"] for r in found["Reservations"] for i in r["Instances"]]
            return states[0] if states and states[0] != "terminated" else None

        return start_again(
            req,
            action=self.name,
            kind="instance",
            status=status,
            start=lambda: ec2.start_instances(InstanceIds=[req.resource_id]),
            stopped=frozenset({"stopped"}),
        )
