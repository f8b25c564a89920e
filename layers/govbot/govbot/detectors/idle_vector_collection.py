"""OpenSearch Serverless search and vector search collections no one searches or indexes into.

Idle: no ``SearchRequestRate`` and no ``IngestionRequestRate`` (``AWS/AOSS``, by ClientId,
CollectionId and CollectionName) over the window, while ``ActiveCollection`` (emitted every
minute from creation until deletion, "Monitoring OpenSearch Serverless with Amazon
CloudWatch") shows the metrics are there to read; without it, not judged. Priced by its share
of the OCU minimum of the collections it shares OCUs with. The reason names the Bedrock
Knowledge Bases that store their vectors in it.

No fix by default: deleting loses the index, and rebuilding it needs the source data. With
``allow_delete`` the policy may offer DeleteCollection, by approval only, and never for a
collection a knowledge base uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import Field, model_validator

from govbot.cycle.models import Finding, Undecided
from govbot.detectors.base import Details, Detector, DetectorSettings, Mode
from govbot.detectors.registry import register
from govbot.inventory import MetricQuery, RegionInventory, whole
from govbot.kinds import search_collection as collection

NAMESPACE = "AWS/AOSS"
REQUESTS = ("SearchRequestRate", "IngestionRequestRate")
KB_PAGE = 1000  # ListKnowledgeBases' documented maximum


class IdleVectorCollectionSettings(DetectorSettings):
    mode: Mode = Mode.NOTIFY
    idle_days: float = Field(
        14, gt=0, description="No search and no indexing requests for this long."
    )
    allow_delete: bool = Field(
        default=False,
        description="Offer DeleteCollection, by approval only (the index is lost).",
    )

    @model_validator(mode="after")
    def _approval_only(self) -> IdleVectorCollectionSettings:
        if self.mode is Mode.AUTO:
            raise ValueError(
                "deleting a collection loses its index: mode auto is not allowed here "
                "(use approve with allow_delete: true)"
            )
        return self


class IdleVectorCollectionDetails(Details):
    collection_arn: str
    collection_name: str
    collection_type: str  # SEARCH | VECTORSEARCH
    standby_replicas: str
    created: datetime
    knowledge_bases: list[str] = Field(default_factory=list)  # "name (id)"
    kept_because: str | None = None


@register
class IdleVectorCollection(Detector[IdleVectorCollectionSettings]):
    id = "idle-vector-collection"
    kinds = (collection.TYPE,)
    settings_model = IdleVectorCollectionSettings
    details_model = IdleVectorCollectionDetails
    permissions = (
        "cloudwatch:GetMetricData",
        "bedrock:ListKnowledgeBases",
        "bedrock:GetKnowledgeBase",
    )

    def detect(
        self, inv: RegionInventory, settings: IdleVectorCollectionSettings
    ) -> Iterator[Finding | Undecided]:
        window = timedelta(days=settings.idle_days)
        candidates = [
            c
            for c in inv.listed(collection.KIND)
            if c.get("status") == "ACTIVE" and inv.older_than(_created(c), window)
        ]
        if not candidates:
            return
        queries = [
            MetricQuery(NAMESPACE, metric, _dimensions(inv, c), stat, whole(window))
            for c in candidates
            for metric, stat in (("ActiveCollection", "Maximum"), *((r, "Sum") for r in REQUESTS))
        ]
        values = inv.metric_values(queries, window)
        step = 1 + len(REQUESTS)
        for i, c in enumerate(candidates):
            active, *requests = values[i * step : (i + 1) * step]
            if not active:
                yield self.cannot_judge(
                    inv,
                    collection.TYPE,
                    c["id"],
                    f"no {NAMESPACE} ActiveCollection in the last {settings.idle_days:g} days",
                )
            elif not any(sum(r) > 0 for r in requests):
                yield self._finding(inv, c, settings)

    def _finding(
        self, inv: RegionInventory, c: Any, settings: IdleVectorCollectionSettings
    ) -> Finding:
        cost = collection.ocu_share(inv, c)
        bases = knowledge_bases(inv).get(c["arn"], [])
        used = (
            f"; Bedrock knowledge base(s) {', '.join(bases)} store vectors in it" if bases else ""
        )
        kept = f"knowledge base(s) {', '.join(bases)} use it: delete them first" if bases else None
        return Finding(
            detector=self.id,
            resource_id=c["id"],
            resource_arn=c["arn"],
            resource_type=collection.TYPE,
            region=inv.region,
            account_id=inv.account_id,
            monthly_cost_usd=cost.monthly_usd,
            reason=(
                f"{c['type'].lower()} collection {c['name']} with no search and no indexing "
                f"requests in the last {settings.idle_days:g} days{used}"
            ),
            proposed_action=(
                "none by default: deleting it loses the index (rebuilding needs the source "
                "data); delete it by hand, or let the policy offer it (allow_delete), if "
                "nothing will use it"
            ),
            details=IdleVectorCollectionDetails(
                collection_arn=c["arn"],
                collection_name=c["name"],
                collection_type=c["type"],
                standby_replicas=c.get("standbyReplicas", "ENABLED"),
                created=_created(c),
                knowledge_bases=bases,
                kept_because=kept,
                cost_basis=cost.basis,
            ).model_dump(mode="json"),
            tags=collection.KIND.tags_of(inv, c),
        )


def _created(c: Any) -> datetime:
    return datetime.fromtimestamp(int(c["createdDate"]) / 1000, UTC)  # epoch milliseconds


def _dimensions(inv: RegionInventory, c: Any) -> tuple[tuple[str, str], ...]:
    return (
        ("ClientId", inv.account_id),
        ("CollectionId", c["id"]),
        ("CollectionName", c["name"]),
    )


def knowledge_bases(inv: RegionInventory) -> dict[str, list[str]]:
    """The Bedrock knowledge bases of the region by the collection ARN they store vectors in:
    ListKnowledgeBases, then GetKnowledgeBase for each (the listing does not say where a
    knowledge base keeps its vectors), once per sweep."""

    def read() -> dict[str, list[str]]:
        # botocore's data names no region for bedrock-agent: Bedrock's regions stand for it.
        if not inv.clients.offers("bedrock", inv.region):
            return {}
        agent = inv.clients.client("bedrock-agent", inv.region)
        found: dict[str, list[str]] = {}
        pages = agent.get_paginator("list_knowledge_bases").paginate(
            PaginationConfig={"PageSize": KB_PAGE}
        )
        for page in pages:
            for kb in page["knowledgeBaseSummaries"]:
                got = agent.get_knowledge_base(knowledgeBaseId=kb["knowledgeBaseId"])
                storage = got["knowledgeBase"].get("storageConfiguration") or {}
                arn = (storage.get("opensearchServerlessConfiguration") or {}).get("collectionArn")
                if arn:
                    found.setdefault(arn, []).append(f"{kb['name']} ({kb['knowledgeBaseId']})")
        return found

    return inv.once(("knowledge-bases",), read)
