"""ML resources nobody can attribute: a required cost-allocation tag is missing or empty."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from govbot.cycle.models import Finding
from govbot.detectors.base import Details, Detector, DetectorSettings, Mode
from govbot.detectors.registry import register
from govbot.inventory import RegionInventory
from govbot.kinds import by_kind, endpoint, instance, notebook, training_job, volume
from govbot.kinds.base import ResourceType
from govbot.pricing.pricer import Cost

# The kinds whose own spend a missing tag leaves unattributed (each prices what it runs).
CANDIDATES: tuple[ResourceType, ...] = (
    endpoint.KIND,
    notebook.KIND,
    training_job.KIND,
    volume.KIND,
    instance.KIND,
)


def _checked(word: str) -> str:
    """A kind this detector checks, by its word (or the word an earlier policy used), kept
    as the kind's own word."""
    allowed = ", ".join(k.kind for k in CANDIDATES)
    try:
        kind = by_kind(word)
    except ValueError:
        kind = None
    if kind is None or kind not in CANDIDATES:
        raise ValueError(f"{word!r} is not a kind checked for tags; choose from {allowed}")
    return kind.kind


class UntaggedResourceSettings(DetectorSettings):
    mode: Mode = Mode.NOTIFY
    required_tags: list[str] = Field(
        default_factory=lambda: ["cost-center", "project", "environment"], min_length=1
    )
    resource_kinds: list[Annotated[str, AfterValidator(_checked)]] = Field(
        default_factory=lambda: [k.kind for k in CANDIDATES],
        description="Kinds checked, by their command-line word (endpoint, volume ...).",
    )
    tag_missing: bool = Field(
        default=False, description="Fix = tag the resource govbot:missing-tags=<keys>."
    )


class UntaggedResourceDetails(Details):
    missing_tags: list[str]
    kind: str


@register
class UntaggedResource(Detector[UntaggedResourceSettings]):
    id = "untagged-resource"
    kinds = tuple(k.type for k in CANDIDATES)
    settings_model = UntaggedResourceSettings
    cost_kind = "unattributed"
    details_model = UntaggedResourceDetails
    # Beyond the kinds' reads: what pricing an endpoint needs.
    permissions = ("sagemaker:DescribeEndpointConfig",)

    def detect(self, inv: RegionInventory, settings: UntaggedResourceSettings) -> Iterator[Finding]:
        untagged: list[tuple[ResourceType, Any, dict[str, str], list[str]]] = []
        for word in settings.resource_kinds:
            kind = by_kind(word)
            for item in inv.listed(kind):
                tags = kind.tags_of(inv, item)
                missing = [k for k in settings.required_tags if not tags.get(k, "").strip()]
                if missing:
                    untagged.append((kind, item, tags, missing))
        # Pricing some kinds takes describes: all of a kind's at once.
        for kind in CANDIDATES:
            items = [item for k, item, _, _ in untagged if k is kind]
            if items and kind.prefetch:
                kind.prefetch(inv, items)
        for kind, item, tags, missing in untagged:
            cost = (
                kind.running_cost(inv, item)
                if kind.running_cost
                else Cost(None, f"govbot does not price a {kind.kind}")
            )
            yield Finding(
                detector=self.id,
                resource_id=kind.id_of(item),
                resource_arn=kind.arn_of(inv, item),
                resource_type=kind.type,
                region=inv.region,
                account_id=inv.account_id,
                monthly_cost_usd=cost.monthly_usd,
                cost_kind=self.cost_kind,
                reason=f"missing required tag(s): {', '.join(missing)}",
                proposed_action="ask the owner to tag it (its spend cannot be attributed)",
                details=UntaggedResourceDetails(
                    missing_tags=missing,
                    kind=kind.kind,
                    cost_basis=f"unattributed spend: {cost.basis}",
                ).model_dump(mode="json"),
                tags=tags,
            )
