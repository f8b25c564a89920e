"""EBS snapshots govbot took before deleting a volume (tagged with their keep date)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govbot.aws import partition
from govbot.inventory import every
from govbot.kinds.base import EC2_BILLING, ResourceType, TagsInListing, pick

if TYPE_CHECKING:
    from govbot.inventory import RegionInventory

TYPE = "AWS::EC2::Snapshot"
PAGE = 1000  # DescribeSnapshots' documented maximum
EXPIRES_TAG = "govbot:expires-on"


def _read(inv: RegionInventory, ids: list[str] | None = None) -> list[Any]:
    """govbot's snapshots, 1,000 a page; scoped, by id (a filter, so one deleted since is
    simply absent)."""
    filters: list[Any] = [{"Name": "tag-key", "Values": [EXPIRES_TAG]}]
    if ids is not None:
        filters.append({"Name": "snapshot-id", "Values": ids})
    return every(
        inv.clients.ec2(inv.region),
        "describe_snapshots",
        "Snapshots",
        PAGE,
        OwnerIds=["self"],
        Filters=filters,
    )


def arn(inv: RegionInventory, snapshot_id: str) -> str:
    # Snapshot ARNs carry no account.
    return f"arn:{partition(inv.region)}:ec2:{inv.region}::snapshot/{snapshot_id}"


KIND = ResourceType(
    service="ec2",
    type=TYPE,
    kind="snapshot",
    list_all=_read,
    by_ids=_read,
    reads=("ec2:DescribeSnapshots",),
    id_of=pick("SnapshotId"),
    arn_of=lambda inv, s: arn(inv, s["SnapshotId"]),
    tags=TagsInListing(),
    billed_as=EC2_BILLING,
    gone_codes=frozenset({"InvalidSnapshot.NotFound"}),
)
