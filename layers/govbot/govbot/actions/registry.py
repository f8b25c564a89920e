"""The action registry itself: the actions register here (their package imports them)."""

from __future__ import annotations

from datetime import datetime

from govbot.actions.base import Action
from govbot.aws import AwsClients
from govbot.cycle.models import Finding
from govbot.cycle.restore import RestoreError, Undo, latest_fix
from govbot.state.store import Store

ACTIONS: dict[str, type[Action]] = {}


def register(cls: type[Action]) -> type[Action]:
    if cls.name in ACTIONS:
        raise ValueError(f"action {cls.name!r} registered twice")
    if not cls.permissions:
        raise ValueError(f"action {cls.name!r} declares no IAM permissions")
    if any(a.detector == cls.detector for a in ACTIONS.values()):
        raise ValueError(f"detector {cls.detector!r} has an action already")
    ACTIONS[cls.name] = cls
    return cls


def action_for(detector_id: str) -> Action | None:
    for cls in ACTIONS.values():
        if cls.detector == detector_id:
            return cls()
    return None


def describe_fix(finding: Finding) -> str:
    """What fixing a finding would do, in words: its action's description."""
    action = action_for(finding.detector)
    return action.describe(finding) if action else "no fix is defined"


def action_permissions() -> set[str]:
    return {p for cls in ACTIONS.values() for p in cls.permissions}


READS = ("Describe", "List", "Get", "BatchGet", "Lookup", "Search")  # verbs of IAM reads


def action_writes() -> set[str]:
    """The actions' permissions that change something: each one is denied on a resource
    tagged exempt (all of them support the aws:ResourceTag condition key)."""
    return {p for p in action_permissions() if not p.split(":")[1].startswith(READS)}


def restore_resource(
    rtype: str,
    store: Store,
    clients: AwsClients,
    *,
    region: str,
    account_id: str,
    resource_id: str,
    actor: str,
    now: datetime,
) -> str:
    """Undo govbot's latest recorded fix of one resource (``govbot restore``): the action
    that made it carries the undo. A kind with several fixes (an endpoint deleted or scaled
    in) undoes whichever the audit log recorded last."""
    candidates = [cls for cls in ACTIONS.values() if rtype in cls.undoes]
    if not candidates:
        raise RestoreError(f"govbot cannot restore a {rtype}")
    chosen = candidates[0]
    if len(candidates) > 1:
        names = [c.name for c in candidates]
        latest = latest_fix(store, account_id, region, rtype, resource_id, names)
        chosen = next((c for c in candidates if c.name == latest), chosen)
    request = Undo(store, clients, rtype, region, account_id, resource_id, actor, now)
    return chosen().undo(request)


def restorable() -> set[str]:
    """The resource kinds govbot can restore: what the actions' undos cover."""
    return {rtype for cls in ACTIONS.values() for rtype in cls.undoes}
