"""unused-capacity-reservation: cancel a wholly unused On-Demand Capacity Reservation.

What it reserved (type, platform, zone, tenancy, count, matching, end date, tags) is recorded;
``govbot restore capacity-reservation ID`` asks EC2 for the same capacity again under a new id,
which EC2 grants only if it has the capacity then.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from govbot.actions.base import Action, ActionContext, ActionResult, Result, gone, restore_hint
from govbot.actions.registry import register
from govbot.cycle.models import Finding
from govbot.cycle.restore import RestoreError, Undo, restored_from
from govbot.detectors.unused_capacity_reservation import UnusedCapacityReservationDetails
from govbot.kinds import capacity_reservation


@register
class CancelCapacityReservation(Action):
    name = "cancel-capacity-reservation"
    detector = "unused-capacity-reservation"
    undoes = (capacity_reservation.TYPE,)
    permissions = ("ec2:CancelCapacityReservation",)

    def describe(self, finding: Finding) -> str:
        d = UnusedCapacityReservationDetails.model_validate(finding.details)
        return (
            f"cancel capacity reservation {finding.resource_id} ({d.total_instances} x "
            f"{d.instance_type}; the capacity may not come back)"
        )

    def held(self, finding: Finding) -> str | None:
        d = UnusedCapacityReservationDetails.model_validate(finding.details)
        return d.kept_because or super().held(finding)

    def capture(self, ctx: ActionContext, finding: Finding) -> dict[str, Any]:
        d = UnusedCapacityReservationDetails.model_validate(finding.details)
        return {
            "capacity_reservation_arn": d.capacity_reservation_arn,
            "instance_type": d.instance_type,
            "instance_platform": d.instance_platform,
            "availability_zone": d.availability_zone,
            "tenancy": d.tenancy,
            "instance_count": d.total_instances,
            "instance_match_criteria": d.instance_match_criteria,
            "ebs_optimized": d.ebs_optimized,
            "end_date_type": d.end_date_type,
            "end_date": d.end_date.isoformat() if d.end_date else None,
            "tags": [{"Key": k, "Value": v} for k, v in finding.tags.items()],
        }

    def apply(self, ctx: ActionContext, finding: Finding) -> ActionResult:
        try:
            ctx.clients.ec2(finding.region).cancel_capacity_reservation(
                CapacityReservationId=finding.resource_id
            )
        except ClientError as err:
            if gone(finding, err):
                return ActionResult(
                    Result.GONE, f"capacity reservation {finding.resource_id} already gone"
                )
            raise
        return ActionResult(
            Result.DONE,
            f"cancelled capacity reservation {finding.resource_id}; reserve it again with "
            f"{restore_hint(finding)}",
        )

    def undo(self, req: Undo) -> str:
        """Reserve the same capacity again: a new reservation, if EC2 has the capacity."""
        fix = req.fix(self.name)
        if fix.restored:
            return fix.restored
        done, before = fix.recorded(f"cancelling {req.resource_id} in {req.region}")
        was = before.before
        params: dict[str, Any] = {
            "InstanceType": was["instance_type"],
            "InstancePlatform": was["instance_platform"],
            "AvailabilityZone": was["availability_zone"],
            "Tenancy": was["tenancy"],
            "InstanceCount": was["instance_count"],
            "InstanceMatchCriteria": was["instance_match_criteria"],
            "EbsOptimized": was["ebs_optimized"],
        }
        if was["end_date_type"] == "limited" and was["end_date"]:
            ends = datetime.fromisoformat(was["end_date"])
            if ends <= req.now:
                raise RestoreError(
                    f"capacity reservation {req.resource_id} would have ended "
                    f"{ends:%Y-%m-%d %H:%M}: nothing to reserve again"
                )
            params.update(EndDateType="limited", EndDate=ends)
        tags = [*(was.get("tags") or []), restored_from(req.resource_id)]
        params["TagSpecifications"] = [{"ResourceType": "capacity-reservation", "Tags": tags}]
        try:
            created = req.clients.ec2(req.region).create_capacity_reservation(**params)
        except ClientError as err:
            raise RestoreError(
                f"EC2 would not reserve {was['instance_count']} x {was['instance_type']} in "
                f"{was['availability_zone']} again: {err}"
            ) from None
        new_id = created["CapacityReservation"]["CapacityReservationId"]
        note = (
            f"reserved {was['instance_count']} x {was['instance_type']} in "
            f"{was['availability_zone']} again as {new_id} (was {req.resource_id})"
        )
        req.mark(done, note)
        return note
