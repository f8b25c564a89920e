"""OpenSearch Serverless and Bedrock Knowledge Bases where moto's answers differ from AWS's.

From the OpenSearch Serverless API Reference (CreateCollection, BatchGetCollection and the
CollectionDetail data type): a collection encrypted with an AWS owned key (the encryption
policy's ``"AWSOwnedKey": true``) answers ``kmsKeyArn`` "auto"; moto fails to create one.
What only the estate's history can set (when a collection was made) is set here too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from govbot_emulator.moto_extensions import DEFAULT_ACCOUNT


def install() -> None:
    """Idempotent."""
    from moto.opensearchserverless.models import Collection

    original = Collection.__init__
    if getattr(original, "govbot", False):
        return

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        policy = kwargs.get("policy")
        if isinstance(policy, dict) and "KmsARN" not in policy:
            kwargs["policy"] = {**policy, "KmsARN": "auto"}
        original(self, *args, **kwargs)

    init.govbot = True  # type: ignore[attr-defined]
    Collection.__init__ = init  # type: ignore[method-assign]


def set_collection_created(
    region: str, collection_id: str, created: datetime, account: str = DEFAULT_ACCOUNT
) -> None:
    from moto.opensearchserverless.models import opensearchserverless_backends

    collection = opensearchserverless_backends[account][region].collections[collection_id]
    collection.created_date = collection.last_modified_date = int(
        created.astimezone(UTC).timestamp() * 1000
    )
