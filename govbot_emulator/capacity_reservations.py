"""EC2 On-Demand Capacity Reservations, which moto does not have, as the EC2 API answers them.

Written from the Amazon EC2 API Reference (CreateCapacityReservation,
DescribeCapacityReservations, CancelCapacityReservation and the CapacityReservation data
type) and botocore's ec2 service model, whose output shapes moto's serializer holds every
answer to:

- a reservation for immediate use is ``active`` from the call, ``open`` and ``unlimited``
  unless asked otherwise; ``AvailableInstanceCount`` is what no instance runs in;
- a commitment (``CommitmentDuration``, seconds) shows as ``CommitmentInfo``; a Capacity
  Block for ML is ``ReservationType`` ``capacity-block`` with an ``EndDate`` (bought with
  PurchaseCapacityBlock, not created: ``add_capacity_block`` stands in for the purchase);
- "You can't modify or cancel a Capacity Block", nor an active one during its commitment
  (the newest reference allows it with a cancellation quote, ApplyCancellationCharges: not
  emulated, and govbot never asks); the reference names no error code for the refusal, so
  EC2's generic ``OperationNotPermitted`` stands in (govbot only needs the call to fail);
  a cancelled one is ``cancelled`` and stays listed, as do expired ones (look-alikes);
- an id it does not know, in CapacityReservationIds or to cancel, is
  ``InvalidCapacityReservationId.NotFound`` (the error the AWS Terraform provider reads).

The CloudWatch side (``AWS/EC2CapacityReservations``: InstanceUtilization, UsedInstanceCount,
AvailableInstanceCount, TotalInstanceCount by ``CapacityReservationId``, "Monitor Capacity
Reservations using CloudWatch metrics" in the EC2 User Guide) is put by
``govbot_emulator.estate.make_reservation_usage``.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from govbot_emulator.moto_extensions import DEFAULT_ACCOUNT, _ec2

PAGE_MAX = 1000  # DescribeCapacityReservations' MaxResults range, 1 to 1000
CANCELLABLE = {"active", "assessing"}


def _reservations(backend: Any) -> dict[str, dict[str, Any]]:
    if not hasattr(backend, "govbot_capacity_reservations"):
        backend.govbot_capacity_reservations = {}
    return backend.govbot_capacity_reservations  # type: ignore[no-any-return]


def _not_found(ident: str) -> Exception:
    from moto.ec2.exceptions import EC2ClientError

    return EC2ClientError(
        "InvalidCapacityReservationId.NotFound",
        f"The capacity reservation ID '{ident}' does not exist",
    )


def install() -> None:
    """Teach moto's EC2 the three calls. Idempotent."""
    from moto.core.responses import ActionResult
    from moto.ec2.exceptions import EC2ClientError, OperationNotPermitted
    from moto.ec2.responses import EC2Response

    if getattr(EC2Response, "govbot_capacity_reservations", False):
        return

    def create(self: Any) -> ActionResult:
        backend = self.ec2_backend
        zone = self._get_param("AvailabilityZone")
        zones = {z.name: z.zone_id for z in backend.describe_availability_zones()}
        if zone not in zones:
            raise EC2ClientError("InvalidParameterValue", f"Invalid availability zone: [{zone}]")
        count = int(self._get_param("InstanceCount"))
        now = datetime.now(UTC)
        rid = f"cr-{secrets.token_hex(9)[:17]}"
        record: dict[str, Any] = {
            "CapacityReservationId": rid,
            "OwnerId": self.current_account,
            "CapacityReservationArn": (
                f"arn:aws:ec2:{self.region}:{self.current_account}:capacity-reservation/{rid}"
            ),
            "AvailabilityZoneId": zones[zone],
            "InstanceType": self._get_param("InstanceType"),
            "InstancePlatform": self._get_param("InstancePlatform"),
            "AvailabilityZone": zone,
            "Tenancy": self._get_param("Tenancy") or "default",
            "TotalInstanceCount": count,
            "AvailableInstanceCount": count,
            "EbsOptimized": str(self._get_param("EbsOptimized", False)).lower() == "true",
            "EphemeralStorage": False,
            "State": "active",
            "StartDate": now,
            "EndDateType": self._get_param("EndDateType") or "unlimited",
            "InstanceMatchCriteria": self._get_param("InstanceMatchCriteria") or "open",
            "CreateDate": now,
            "ReservationType": "default",
            "DeliveryPreference": "fixed",
        }
        if record["EndDateType"] == "limited":
            record["EndDate"] = _parse_time(self._get_param("EndDate"))
        commitment = self._get_param("CommitmentDuration")
        if commitment:
            record["CommitmentInfo"] = {
                "CommittedInstanceCount": count,
                "CommitmentEndDate": now + timedelta(seconds=int(commitment)),
            }
        tags = self._parse_tag_specification().get("capacity-reservation", {})
        record["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
        _reservations(backend)[rid] = record
        return ActionResult({"CapacityReservation": record})

    def describe(self: Any) -> ActionResult:
        known = _reservations(self.ec2_backend)
        ids = self._get_param("CapacityReservationIds", [])
        for ident in ids:
            if ident not in known:
                raise _not_found(ident)
        filters = self._filters_from_querystring()
        found = [
            r
            for r in sorted(known.values(), key=lambda r: r["CreateDate"])
            if (not ids or r["CapacityReservationId"] in ids) and _matches(r, filters)
        ]
        start = int(self._get_param("NextToken") or 0)
        size = int(self._get_param("MaxResults") or PAGE_MAX)
        if not 1 <= size <= PAGE_MAX:
            raise EC2ClientError(
                "InvalidParameterValue", f"MaxResults must be between 1 and {PAGE_MAX}"
            )
        answer: dict[str, Any] = {"CapacityReservations": found[start : start + size]}
        if start + size < len(found):
            answer["NextToken"] = str(start + size)
        return ActionResult(answer)

    def cancel(self: Any) -> ActionResult:
        ident = self._get_param("CapacityReservationId")
        record = _reservations(self.ec2_backend).get(ident)
        if record is None:
            raise _not_found(ident)
        if record["ReservationType"] == "capacity-block":
            raise OperationNotPermitted(f"You can't cancel a Capacity Block ({ident}).")
        commitment = record.get("CommitmentInfo")
        if commitment and commitment["CommitmentEndDate"] > datetime.now(UTC):
            raise OperationNotPermitted(
                f"Capacity Reservation {ident} is within its commitment duration."
            )
        if record["State"] not in CANCELLABLE:
            raise OperationNotPermitted(
                f"Capacity Reservation {ident} is {record['State']} and cannot be cancelled."
            )
        record["State"] = "cancelled"
        record["AvailableInstanceCount"] = 0
        return ActionResult({"Return": True})

    EC2Response.create_capacity_reservation = create  # type: ignore[attr-defined]
    EC2Response.describe_capacity_reservations = describe  # type: ignore[attr-defined]
    EC2Response.cancel_capacity_reservation = cancel  # type: ignore[attr-defined]
    EC2Response.govbot_capacity_reservations = True  # type: ignore[attr-defined]


# The filters DescribeCapacityReservations documents that govbot or its tests use.
FILTERS = {
    "state": "State",
    "instance-type": "InstanceType",
    "availability-zone": "AvailabilityZone",
    "reservation-type": "ReservationType",
}


def _matches(record: dict[str, Any], filters: dict[str, list[str]]) -> bool:
    for name, values in filters.items():
        field = FILTERS.get(name)
        if field is None:
            from moto.ec2.exceptions import EC2ClientError

            raise EC2ClientError("InvalidParameterValue", f"The filter '{name}' is invalid")
        if str(record.get(field)) not in values:
            return False
    return True


def _parse_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)


# -- what only the estate's history can set ------------------------------------------------


def _record(region: str, ident: str, account: str) -> dict[str, Any]:
    return _reservations(_ec2(region, account))[ident]


def set_reservation(
    region: str,
    ident: str,
    account: str = DEFAULT_ACCOUNT,
    *,
    created: datetime | None = None,
    used: int | None = None,
    **fields: Any,
) -> None:
    """A reservation made at ``created`` (a commitment counted from then), ``used`` of its
    instances running in it, and any other field as given (a fleet id, a state)."""
    r = _record(region, ident, account)
    if created is not None:
        was = r["CreateDate"]
        r["CreateDate"] = r["StartDate"] = created.astimezone(UTC)
        info = r.get("CommitmentInfo")
        if info:
            info["CommitmentEndDate"] = r["CreateDate"] + (info["CommitmentEndDate"] - was)
    if used is not None:
        r["AvailableInstanceCount"] = r["TotalInstanceCount"] - used
    r.update(fields)


def add_capacity_block(
    region: str,
    ident: str,
    ends: datetime,
    account: str = DEFAULT_ACCOUNT,
) -> None:
    """Turn a created reservation into a Capacity Block for ML (what PurchaseCapacityBlock
    leaves: ``capacity-block``, a limited end date, a block id)."""
    set_reservation(
        region,
        ident,
        account,
        ReservationType="capacity-block",
        EndDateType="limited",
        EndDate=ends.astimezone(UTC),
        InstanceMatchCriteria="targeted",
        CapacityBlockId=f"cb-{secrets.token_hex(9)[:17]}",
    )
