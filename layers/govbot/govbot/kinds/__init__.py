"""The kinds of resource govbot judges: one module each, registered here.

Everything govbot knows about a kind lives in its module (see kinds/base.py for what a kind
declares). What needs "which kind is this" or "which kinds does this service bill" asks here.
"""

from __future__ import annotations

from govbot.kinds import (
    capacity_reservation,
    endpoint,
    instance,
    log_group,
    lustre_filesystem,
    notebook,
    provisioned_throughput,
    search_collection,
    snapshot,
    studio,
    training_job,
    volume,
)
from govbot.kinds.base import CloudTrailCall, ResourceType, RestoreCommand

RESOURCE_TYPES: dict[str, ResourceType] = {
    rt.type: rt
    for rt in (
        endpoint.KIND,
        training_job.KIND,
        notebook.KIND,
        studio.APP_KIND,
        studio.DOMAIN_KIND,
        studio.USER_PROFILE_KIND,
        studio.SPACE_KIND,
        volume.KIND,
        snapshot.KIND,
        instance.KIND,
        provisioned_throughput.KIND,
        capacity_reservation.KIND,
        lustre_filesystem.KIND,
        search_collection.KIND,
        log_group.KIND,
    )
}


def resource_type(type_name: str) -> ResourceType:
    try:
        return RESOURCE_TYPES[type_name]
    except KeyError:
        raise ValueError(f"govbot knows no resource type {type_name!r}") from None


def by_kind(word: str) -> ResourceType:
    """The kind a word names: its command-line word, or a word earlier policies used."""
    for rt in RESOURCE_TYPES.values():
        if word == rt.kind or word in rt.aliases:
            return rt
    known = ", ".join(rt.kind for rt in RESOURCE_TYPES.values())
    raise ValueError(f"no resource kind {word!r}; known: {known}")


def cloudtrail_call(event: str) -> tuple[ResourceType, CloudTrailCall] | None:
    """The resource type and rule for a CloudTrail call ("service:EventName"), if any."""
    for rt in RESOURCE_TYPES.values():
        if event in rt.cloudtrail:
            return rt, rt.cloudtrail[event]
    return None


def health_event(code: str) -> tuple[ResourceType, tuple[str, ...]] | None:
    """The resource type an AWS Health event type names, and the detectors that judge it."""
    for rt in RESOURCE_TYPES.values():
        if code in rt.health:
            return rt, rt.health[code]
    return None


def billed_by(service: str) -> set[str]:
    """The resource kinds a Cost Explorer service name bills (empty: none govbot knows)."""
    name = service.lower()
    return {rt.type for rt in RESOURCE_TYPES.values() if any(b in name for b in rt.billed_as)}


__all__ = [
    "RESOURCE_TYPES",
    "CloudTrailCall",
    "ResourceType",
    "RestoreCommand",
    "billed_by",
    "by_kind",
    "cloudtrail_call",
    "health_event",
    "resource_type",
]
