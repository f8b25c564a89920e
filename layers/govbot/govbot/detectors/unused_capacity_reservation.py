"""EC2 On-Demand Capacity Reservations holding capacity no instance used.

A reservation bills each reserved instance at the On-Demand rate, used or not. The listing's
``AvailableInstanceCount`` says what is unused now; the busiest hour of ``UsedInstanceCount``
(``AWS/EC2CapacityReservations``, by ``CapacityReservationId``) over the window says what was
never used in it, and only that is priced. No reading at all: not judged.

Only a wholly unused reservation is cancelled (approval by default): one partly used keeps its
running instances' reservation and is reported with the size to shrink it to. Capacity Blocks
for ML cannot be cancelled, a commitment runs until its end date, and a fleet's reservations
are the fleet's to change: those are reported, never cancelled, with their end date.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field

from govbot.cycle.models import Finding, Undecided
from govbot.detectors.base import Details, Detector, DetectorSettings, Mode
from govbot.detectors.registry import register
from govbot.inventory import MetricQuery, RegionInventory
from govbot.kinds import capacity_reservation
from govbot.kinds.capacity_reservation import hourly_cost

NAMESPACE = "AWS/EC2CapacityReservations"
HOUR = 3600


class UnusedCapacityReservationSettings(DetectorSettings):
    mode: Mode = Mode.APPROVE
    idle_hours: float = Field(
        24, gt=0, description="Reserved instances no instance used for this long."
    )


class UnusedCapacityReservationDetails(Details):
    capacity_reservation_arn: str
    instance_type: str
    instance_platform: str
    availability_zone: str
    tenancy: str
    total_instances: int
    unused_instances: int  # never used in the window: what is priced
    peak_used: int  # the busiest hour's instances in use
    instance_match_criteria: str
    ebs_optimized: bool
    end_date_type: str
    end_date: datetime | None = None
    reservation_type: str  # default | capacity-block
    fleet_id: str | None = None
    commitment_ends: datetime | None = None
    # Why it is not cancelled (None: it may be, after approval).
    kept_because: str | None = None


@register
class UnusedCapacityReservation(Detector[UnusedCapacityReservationSettings]):
    id = "unused-capacity-reservation"
    kinds = (capacity_reservation.TYPE,)
    settings_model = UnusedCapacityReservationSettings
    details_model = UnusedCapacityReservationDetails
    permissions = ("cloudwatch:GetMetricData",)

    def detect(
        self, inv: RegionInventory, settings: UnusedCapacityReservationSettings
    ) -> Iterator[Finding | Undecided]:
        window = timedelta(hours=settings.idle_hours)
        candidates = [
            r
            for r in inv.listed(capacity_reservation.KIND)
            if capacity_reservation.billing(r)
            and r["AvailableInstanceCount"] > 0
            and inv.older_than(r["StartDate"], window)
        ]
        if not candidates:
            return
        # Each candidate's busiest hour, all in GetMetricData batches of 500.
        queries = [
            MetricQuery(
                NAMESPACE,
                "UsedInstanceCount",
                (("CapacityReservationId", r["CapacityReservationId"]),),
                "Maximum",
                HOUR,
            )
            for r in candidates
        ]
        for r, values in zip(candidates, inv.metric_values(queries, window), strict=True):
            rid = r["CapacityReservationId"]
            if not values:
                yield self.cannot_judge(
                    inv,
                    capacity_reservation.TYPE,
                    rid,
                    f"no {NAMESPACE} UsedInstanceCount in the last {settings.idle_hours:g} h",
                )
                continue
            peak = int(max(values))
            if peak < r["TotalInstanceCount"]:
                yield self._finding(inv, r, peak, settings)

    def _finding(
        self,
        inv: RegionInventory,
        r: Any,
        peak: int,
        settings: UnusedCapacityReservationSettings,
    ) -> Finding:
        total, rtype = r["TotalInstanceCount"], r["InstanceType"]
        unused = total - peak
        cost = hourly_cost(inv, r, unused)
        commitment = (r.get("CommitmentInfo") or {}).get("CommitmentEndDate")
        committed = commitment if commitment is not None and commitment > inv.now else None
        ends = r.get("EndDate")
        fleet = r.get("CapacityReservationFleetId")
        block = r.get("ReservationType") == "capacity-block"
        if block:
            until = f", ends {ends:%Y-%m-%d %H:%M} UTC" if ends else ""
            kept: str | None = f"a Capacity Block for ML cannot be cancelled{until}"
        elif committed is not None:
            kept = f"committed until {committed:%Y-%m-%d}: billed whatever is done"
        elif fleet:
            kept = f"part of Capacity Reservation Fleet {fleet}: change the fleet's capacity"
        elif peak > 0:
            kept = (
                f"{peak} instance(s) run in it: shrink it to {peak} "
                "(modify-capacity-reservation) rather than cancel it"
            )
        else:
            kept = None
        return Finding(
            detector=self.id,
            resource_id=r["CapacityReservationId"],
            resource_arn=r["CapacityReservationArn"],
            resource_type=capacity_reservation.TYPE,
            region=inv.region,
            account_id=inv.account_id,
            monthly_cost_usd=cost.monthly_usd,
            reason=(
                f"{unused} of {total} x {rtype} reserved in {r['AvailabilityZone']} unused "
                f"for the last {settings.idle_hours:g} h"
                + (f" (at most {peak} in use)" if peak else "")
            ),
            proposed_action=(
                f"none: {kept}"
                if kept
                else "cancel the reservation (EC2 releases the capacity at once; reserving "
                "it again needs EC2 to have it)"
            ),
            details=UnusedCapacityReservationDetails(
                capacity_reservation_arn=r["CapacityReservationArn"],
                instance_type=rtype,
                instance_platform=r["InstancePlatform"],
                availability_zone=r["AvailabilityZone"],
                tenancy=r.get("Tenancy", "default"),
                total_instances=total,
                unused_instances=unused,
                peak_used=peak,
                instance_match_criteria=r.get("InstanceMatchCriteria", "open"),
                ebs_optimized=bool(r.get("EbsOptimized", False)),
                end_date_type=r.get("EndDateType", "unlimited"),
                end_date=ends,
                reservation_type=r.get("ReservationType", "default"),
                fleet_id=fleet,
                commitment_ends=committed,
                kept_because=kept,
                cost_basis=cost.basis,
            ).model_dump(mode="json"),
            tags=capacity_reservation.KIND.tags_of(inv, r),
        )
