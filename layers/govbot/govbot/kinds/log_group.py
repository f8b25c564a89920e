"""CloudWatch Logs log groups."""

from __future__ import annotations

from typing import TYPE_CHECKING

from govbot.inventory import every
from govbot.kinds.base import CloudTrailCall, ResourceType, TagIndex, pick

if TYPE_CHECKING:
    from mypy_boto3_logs.type_defs import LogGroupTypeDef

    from govbot.inventory import RegionInventory

TYPE = "AWS::Logs::LogGroup"
PAGE = 50  # DescribeLogGroups' documented maximum


def _list_all(inv: RegionInventory) -> list[LogGroupTypeDef]:
    return every(inv.clients.logs(inv.region), "describe_log_groups", "logGroups", PAGE)


def _by_ids(inv: RegionInventory, names: list[str]) -> list[LogGroupTypeDef]:
    # By prefix, keeping the exact name: one name may prefix others.
    logs = inv.clients.logs(inv.region)
    return [
        g
        for name in names
        for g in logs.describe_log_groups(logGroupNamePrefix=name, limit=PAGE)["logGroups"]
        if g["logGroupName"] == name
    ]


def arn(group: LogGroupTypeDef) -> str:
    # describe_log_groups gives ``arn`` ending in ":*"; newer answers add ``logGroupArn``.
    return group.get("logGroupArn") or group["arn"].removesuffix(":*")


KIND = ResourceType(
    service="logs",
    type=TYPE,
    kind="log-group",
    list_all=_list_all,
    by_ids=_by_ids,
    reads=("logs:DescribeLogGroups",),
    id_of=pick("logGroupName"),
    arn_of=lambda _inv, g: arn(g),
    tags=TagIndex("logs", ("logs",)),
    billed_as=("cloudwatch",),
    gone_codes=frozenset({"ResourceNotFoundException"}),
    cloudtrail={
        "logs:CreateLogGroup": CloudTrailCall(
            (("request", "logGroupName"),), ("log-retention-gap", "untagged-resource")
        )
    },
)
