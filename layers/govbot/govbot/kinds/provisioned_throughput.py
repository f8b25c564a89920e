"""Bedrock provisioned model throughput (model units bought by the hour or for a term)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from govbot.inventory import every
from govbot.kinds.base import ResourceType, RestoreCommand, TagsPerResource, listed_arn, pick

if TYPE_CHECKING:
    from govbot.inventory import RegionInventory

TYPE = "AWS::Bedrock::ProvisionedModelThroughput"
PAGE = 1000  # ListProvisionedModelThroughputs' documented maximum
GONE = frozenset({"ResourceNotFoundException"})


def _list_all(inv: RegionInventory) -> list[Any]:
    """1,000 a page (where Bedrock is not offered the kind is not listed: ``service``)."""
    return every(
        inv.clients.client("bedrock", inv.region),
        "list_provisioned_model_throughputs",
        "provisionedModelSummaries",
        PAGE,
    )


def _by_ids(inv: RegionInventory, names: list[str]) -> list[Any]:
    bedrock = inv.clients.client("bedrock", inv.region)
    found = []
    for name in names:
        try:
            found.append(bedrock.get_provisioned_model_throughput(provisionedModelId=name))
        except ClientError as err:
            if not KIND.is_gone(err):
                raise
    return found


def _tags(inv: RegionInventory, arn: str) -> dict[str, str]:
    """One call each (asked only for the few found idle)."""

    def read() -> dict[str, str]:
        bedrock = inv.clients.client("bedrock", inv.region)
        answer = bedrock.list_tags_for_resource(resourceARN=arn)
        return {t["key"]: t.get("value", "") for t in answer.get("tags", [])}

    return inv.once(("bedrock-tags", arn), read)


KIND = ResourceType(
    service="bedrock",
    type=TYPE,
    kind="provisioned-throughput",
    list_all=_list_all,
    by_ids=_by_ids,
    reads=("bedrock:ListProvisionedModelThroughputs", "bedrock:GetProvisionedModelThroughput"),
    id_of=pick("provisionedModelName"),
    arn_of=listed_arn("provisionedModelArn"),
    tags=TagsPerResource(_tags, ("bedrock:ListTagsForResource",)),
    billed_as=("bedrock",),
    gone_codes=GONE,
    restore=RestoreCommand(
        "NAME",
        "Provisioned throughput name.",
        "Buy the model units govbot deleted again, without a term (a new ARN).",
    ),
)
