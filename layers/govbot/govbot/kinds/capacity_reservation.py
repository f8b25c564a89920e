"""EC2 On-Demand Capacity Reservations (and Capacity Blocks for ML, which EC2 lists with them).

A reservation bills every reserved instance at the On-Demand rate whether or not an instance
runs in it; what runs in it bills as the instance. Cancelled and expired ones stay listed for a
while and bill nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govbot.kinds.base import (
    EC2_BILLING,
    ResourceType,
    RestoreCommand,
    TagsInListing,
    all_or_each,
    listed_arn,
    pick,
)
from govbot.pricing.pricer import Cost

if TYPE_CHECKING:
    from govbot.inventory import RegionInventory

TYPE = "AWS::EC2::CapacityReservation"
PAGE = 1000  # DescribeCapacityReservations' documented maximum
GONE = frozenset({"InvalidCapacityReservationId.NotFound"})
# The platform whose price the Price List query reads (operatingSystem Linux, no licence).
PRICED_PLATFORM = "Linux/UNIX"


def _read(inv: RegionInventory, **kw: Any) -> list[Any]:
    paginator = inv.clients.ec2(inv.region).get_paginator("describe_capacity_reservations")
    return [
        r
        for page in paginator.paginate(**kw, PaginationConfig={"PageSize": PAGE})
        for r in page["CapacityReservations"]
    ]


def _list_all(inv: RegionInventory) -> list[Any]:
    return _read(inv)


def _by_ids(inv: RegionInventory, ids: list[str]) -> list[Any]:
    return all_or_each(lambda some: _read(inv, CapacityReservationIds=some), GONE, ids)


def billing(r: Any) -> bool:
    """Active: billed for every reserved instance (cancelled, expired and the rest: not)."""
    return bool(r["State"] == "active")


def hourly_cost(inv: RegionInventory, r: Any, instances: int) -> Cost:
    """``instances`` of the reservation at their On-Demand rate (Linux/UNIX, shared tenancy,
    the prices govbot reads); another platform or dedicated tenancy gets no figure."""
    platform, tenancy = r.get("InstancePlatform"), r.get("Tenancy", "default")
    if platform != PRICED_PLATFORM or tenancy != "default":
        return Cost(
            None,
            f"no price for {platform} on {tenancy} tenancy: govbot reads Linux/UNIX "
            "shared-tenancy On-Demand prices only",
        )
    return inv.pricer.instances("ec2_hourly", r["InstanceType"], instances, inv.region)


def _running_cost(inv: RegionInventory, r: Any) -> Cost:
    if not billing(r):
        return Cost(0.0, f"reservation {r['State']}: no charges")
    return hourly_cost(inv, r, r["TotalInstanceCount"])


KIND = ResourceType(
    service="ec2",
    type=TYPE,
    kind="capacity-reservation",
    list_all=_list_all,
    by_ids=_by_ids,
    reads=("ec2:DescribeCapacityReservations",),
    id_of=pick("CapacityReservationId"),
    arn_of=listed_arn("CapacityReservationArn"),
    tags=TagsInListing(),
    billed_as=EC2_BILLING,
    gone_codes=GONE,
    running_cost=_running_cost,
    # "Monitor Capacity Reservation underutilization" (EC2 User Guide): below 20 % use over
    # 24 hours for a new reservation, and a 7-day summary naming several.
    health={
        "AWS_EC2_ODCR_UNDERUTILIZATION_NOTIFICATION": ("unused-capacity-reservation",),
        "AWS_EC2_ODCR_UNDERUTILIZATION_NOTIFICATION_SUMMARY": ("unused-capacity-reservation",),
    },
    alive=billing,
    restore=RestoreCommand(
        "RESERVATION_ID",
        "Id of the cancelled Capacity Reservation.",
        "Reserve the same capacity again (a new id, if EC2 has the capacity to give).",
    ),
)
