"""idle-vector-collection: delete an OpenSearch Serverless collection, only where the policy
allows it (``allow_delete``), by approval, and never one a knowledge base uses.

It cannot be undone: the index and its documents go with it, and rebuilding them needs the
source data, which govbot does not have. The approval button says so before anyone clicks.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from govbot.actions.base import Action, ActionContext, ActionResult, Result, gone
from govbot.actions.registry import register
from govbot.cycle.models import Finding
from govbot.detectors.base import DetectorSettings
from govbot.detectors.idle_vector_collection import IdleVectorCollectionDetails


@register
class DeleteSearchCollection(Action):
    name = "delete-search-collection"
    detector = "idle-vector-collection"
    permissions = ("aoss:DeleteCollection",)

    def applies(self, settings: DetectorSettings) -> bool:
        return bool(getattr(settings, "allow_delete", False))

    def describe(self, finding: Finding) -> str:
        return (
            f"delete collection {finding.resource_id}: this cannot be undone, its index and "
            "documents are lost (rebuilding needs the source data)"
        )

    def held(self, finding: Finding) -> str | None:
        d = IdleVectorCollectionDetails.model_validate(finding.details)
        return d.kept_because or super().held(finding)

    def capture(self, ctx: ActionContext, finding: Finding) -> dict[str, Any]:
        d = IdleVectorCollectionDetails.model_validate(finding.details)
        return {
            "collection_arn": d.collection_arn,
            "name": d.collection_name,
            "type": d.collection_type,
            "standby_replicas": d.standby_replicas,
            "tags": finding.tags,
        }

    def apply(self, ctx: ActionContext, finding: Finding) -> ActionResult:
        try:
            ctx.clients.client("opensearchserverless", finding.region).delete_collection(
                id=finding.resource_id
            )
        except ClientError as err:
            if gone(finding, err):
                return ActionResult(Result.GONE, f"collection {finding.resource_id} already gone")
            raise
        name = IdleVectorCollectionDetails.model_validate(finding.details).collection_name
        return ActionResult(
            Result.DONE,
            f"deleted collection {name} ({finding.resource_id}); it cannot be restored",
        )
