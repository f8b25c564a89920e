"""OpenSearch Serverless collections of the search and vector search types (the stores behind
Bedrock Knowledge Bases and RAG prototypes); time series collections are not judged.

OpenSearch Serverless bills OpenSearch Compute Units (OCUs) by the hour, at least 2 for the
collections that share an encryption key (1 for indexing, 1 for search, each with a standby),
or 1 where standby replicas are off, whether or not any request comes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govbot.kinds.base import ResourceType, TagsPerResource, listed_arn, pick
from govbot.pricing.pricer import Cost

if TYPE_CHECKING:
    from govbot.inventory import RegionInventory

TYPE = "AWS::OpenSearchServerless::Collection"
JUDGED = frozenset({"SEARCH", "VECTORSEARCH"})
PAGE = 100  # ListCollections' and BatchGetCollection's documented maximum
GONE = frozenset({"ResourceNotFoundException"})


def _client(inv: RegionInventory) -> Any:
    return inv.clients.client("opensearchserverless", inv.region)


def _details(inv: RegionInventory, ids: list[str]) -> list[Any]:
    """BatchGetCollection, 100 ids a call: what a listing's summary lacks (type, standby,
    dates). Ids not found come back as errors, so a gone one is simply absent."""
    found = []
    for start in range(0, len(ids), PAGE):
        answer = _client(inv).batch_get_collection(ids=ids[start : start + PAGE])
        found += [c for c in answer["collectionDetails"] if c.get("type") in JUDGED]
    return found


def _list_all(inv: RegionInventory) -> list[Any]:
    ids: list[str] = []
    ask: dict[str, Any] = {"maxResults": PAGE}
    while True:  # botocore has no paginator for ListCollections: nextToken by hand
        page = _client(inv).list_collections(**ask)
        ids += [c["id"] for c in page["collectionSummaries"]]
        if not page.get("nextToken"):
            break
        ask["nextToken"] = page["nextToken"]
    return _details(inv, ids)


def _tags(inv: RegionInventory, arn: str) -> dict[str, str]:
    """One call each (asked only for the few found idle)."""

    def read() -> dict[str, str]:
        answer = _client(inv).list_tags_for_resource(resourceArn=arn)
        return {t["key"]: t.get("value", "") for t in answer.get("tags", [])}

    return inv.once(("aoss-tags", arn), read)


def sharing(c: Any) -> tuple[str, str]:
    """What a collection shares its OCUs with: its collection group, or its encryption key;
    and whether standby replicas are on (the minimum doubles)."""
    return str(c.get("collectionGroupName") or c.get("kmsKeyArn") or "auto"), str(
        c.get("standbyReplicas", "ENABLED")
    )


def ocu_share(inv: RegionInventory, c: Any) -> Cost:
    """The collection's share of the OCU minimum of the collections it shares OCUs with."""
    group = sharing(c)
    peers = [p for p in inv.listed(KIND) if p.get("status") == "ACTIVE" and sharing(p) == group]
    return inv.pricer.ocu_minimum(group[1] == "ENABLED", max(1, len(peers)), inv.region)


def _running_cost(inv: RegionInventory, c: Any) -> Cost:
    if c.get("status") != "ACTIVE":
        return Cost(0.0, f"collection {c.get('status')}: no OCUs")
    return ocu_share(inv, c)


KIND = ResourceType(
    service="opensearchserverless",
    type=TYPE,
    kind="search-collection",
    list_all=_list_all,
    by_ids=_details,
    reads=("aoss:ListCollections", "aoss:BatchGetCollection"),
    id_of=pick("id"),
    arn_of=listed_arn("arn"),
    tags=TagsPerResource(_tags, ("aoss:ListTagsForResource",)),
    billed_as=("opensearch",),
    gone_codes=GONE,
    running_cost=_running_cost,
    alive=lambda c: c.get("status") in ("ACTIVE", "CREATING", "UPDATING"),
)
