"""EBS volumes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govbot.inventory import every
from govbot.kinds.base import (
    EC2_BILLING,
    CloudTrailCall,
    ResourceType,
    RestoreCommand,
    TagsInListing,
    ec2_tags,
    pick,
)
from govbot.pricing.pricer import Cost

if TYPE_CHECKING:
    from mypy_boto3_ec2.type_defs import VolumeTypeDef

    from govbot.inventory import RegionInventory

TYPE = "AWS::EC2::Volume"
PAGE = 500  # DescribeVolumes' documented maximum


def _list_all(inv: RegionInventory) -> list[VolumeTypeDef]:
    return every(inv.clients.ec2(inv.region), "describe_volumes", "Volumes", PAGE)


def _by_ids(inv: RegionInventory, ids: list[str]) -> list[VolumeTypeDef]:
    # A filter, not VolumeIds: a volume gone since the sweep is simply absent.
    filters: Any = [{"Name": "volume-id", "Values": ids}]
    return every(inv.clients.ec2(inv.region), "describe_volumes", "Volumes", PAGE, Filters=filters)


def cost(inv: RegionInventory, v: VolumeTypeDef) -> Cost:
    return inv.pricer.ebs_volume(
        v["VolumeType"], v["Size"], inv.region, v.get("Iops"), v.get("Throughput")
    )


KIND = ResourceType(
    service="ec2",
    type=TYPE,
    kind="volume",
    aliases=("ebs-volume",),
    list_all=_list_all,
    by_ids=_by_ids,
    reads=("ec2:DescribeVolumes",),
    id_of=pick("VolumeId"),
    arn_of=lambda inv, v: inv.arn("ec2", f"volume/{v['VolumeId']}"),
    tags=TagsInListing(),
    billed_as=EC2_BILLING,
    gone_codes=frozenset({"InvalidVolume.NotFound"}),
    add_tags=ec2_tags,
    running_cost=cost,
    cloudtrail={
        "ec2:CreateVolume": CloudTrailCall(
            (("response", "volumeId"),), ("untagged-resource",), clock="created"
        ),
        "ec2:DetachVolume": CloudTrailCall(
            (("request", "volumeId"), ("response", "volumeId")), clock="detached"
        ),
    },
    restore=RestoreCommand(
        "VOLUME_ID",
        "Id of the deleted volume.",
        "Create a volume from the snapshot taken before deletion: same AZ, type and tags.",
    ),
)
