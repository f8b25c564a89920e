"""EC2 instances (pending to stopped: terminated ones bill nothing)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govbot.kinds.base import (
    EC2_BILLING,
    ResourceType,
    RestoreCommand,
    TagsInListing,
    ec2_tags,
    pick,
)
from govbot.pricing.pricer import Cost

if TYPE_CHECKING:
    from mypy_boto3_ec2.type_defs import InstanceTypeDef

    from govbot.inventory import RegionInventory

TYPE = "AWS::EC2::Instance"
PAGE = 1000  # DescribeInstances' documented maximum
STATES = ["pending", "running", "stopping", "stopped"]


def _read(inv: RegionInventory, ids: list[str] | None = None) -> list[InstanceTypeDef]:
    filters: list[Any] = [{"Name": "instance-state-name", "Values": STATES}]
    if ids is not None:
        filters.append({"Name": "instance-id", "Values": ids})
    paginator = inv.clients.ec2(inv.region).get_paginator("describe_instances")
    return [
        i
        for page in paginator.paginate(Filters=filters, PaginationConfig={"PageSize": PAGE})
        for r in page["Reservations"]
        for i in r["Instances"]
    ]


def _running_cost(inv: RegionInventory, i: InstanceTypeDef) -> Cost:
    state = i["State"]["Name"]
    if state not in ("pending", "running"):
        return Cost(0.0, f"instance {state}: no instance charges")
    return inv.pricer.instances("ec2_hourly", i["InstanceType"], 1, inv.region)


KIND = ResourceType(
    service="ec2",
    type=TYPE,
    kind="instance",
    aliases=("ec2-instance",),
    list_all=_read,
    by_ids=_read,
    reads=("ec2:DescribeInstances",),
    id_of=pick("InstanceId"),
    arn_of=lambda inv, i: inv.arn("ec2", f"instance/{i['InstanceId']}"),
    tags=TagsInListing(),
    billed_as=EC2_BILLING,
    gone_codes=frozenset({"InvalidInstanceID.NotFound"}),
    add_tags=ec2_tags,
    running_cost=_running_cost,
    restore=RestoreCommand(
        "INSTANCE_ID",
        "Id of the stopped instance.",
        "Start an instance govbot stopped (its EBS volumes were kept).",
    ),
)
