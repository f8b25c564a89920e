"""What every action is: one change to one resource, declaring the IAM permissions it needs.

An action does not decide whether to act (the engine does: mode, approval, grace period, blast
radius, re-check). It captures the resource's before-state, which the engine records in the
audit log before the change, and then makes the change. "Already gone" counts as done.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from govbot.aws import AwsClients
from govbot.cycle.models import Finding
from govbot.cycle.restore import RestoreError, Undo
from govbot.detectors.base import DetectorSettings
from govbot.kinds import resource_type


class Result(StrEnum):
    DONE = "done"
    PENDING = "pending"  # started; a later run finishes it (a snapshot still being taken)
    GONE = "gone"  # the resource was already gone: nothing left to do
    EXEMPT = "exempt"  # exempt when it came to act (its own or an inherited tag): left alone


@dataclass
class ActionResult:
    result: Result
    message: str
    after: dict[str, Any] = field(default_factory=dict)


@dataclass
class ActionContext:
    clients: AwsClients
    now: datetime
    # Persists progress at once (e.g. a snapshot id), so a crash mid-action loses nothing.
    save_progress: Callable[[dict[str, Any]], None]
    progress: dict[str, Any] = field(default_factory=dict)
    # Why tags make a resource exempt (the policy's exempt and snooze tags), or None: asked
    # again right before each change, with what a resource inherits (an endpoint's tags for
    # its inference components, a space's or user profile's for its Studio apps).
    exempt: Callable[[dict[str, str]], str | None] = lambda _tags: None


def exempt_now(ctx: ActionContext, region: str, *arns: str) -> str | None:
    """Whether the resources named, read afresh (ListTags, later ones' tags winning), are
    exempt now: what an action asks before each of its changes."""
    sagemaker = ctx.clients.sagemaker(region)
    tags: dict[str, str] = {}
    for arn in arns:
        for page in sagemaker.get_paginator("list_tags").paginate(ResourceArn=arn):
            tags.update({t["Key"]: t["Value"] for t in page.get("Tags", [])})
    return ctx.exempt(tags)


class Action(ABC):
    name: ClassVar[str]
    detector: ClassVar[str]
    permissions: ClassVar[tuple[str, ...]]
    # The resource kinds whose fix this action can undo (``undo``); none: it cannot.
    undoes: ClassVar[tuple[str, ...]] = ()

    def undo(self, req: Undo) -> str:
        """Undo govbot's latest fix of the resource from what the audit log recorded before
        it (``govbot restore``); RestoreError says why it cannot, and changes nothing."""
        raise RestoreError(f"govbot cannot undo {self.name}")

    def applies(self, settings: DetectorSettings) -> bool:
        """Whether the policy asks for this fix at all (tag-missing is opt-in)."""
        return True

    @abstractmethod
    def describe(self, finding: Finding) -> str:
        """What it would do, in words, for dry runs and messages."""

    @abstractmethod
    def capture(self, ctx: ActionContext, finding: Finding) -> dict[str, Any]:
        """The before-state that ``govbot restore`` needs; recorded before the change."""

    @abstractmethod
    def apply(self, ctx: ActionContext, finding: Finding) -> ActionResult:
        """Make the change. Idempotent: a retry after a crash must not repeat damage."""

    def held(self, finding: Finding) -> str | None:
        """Why this fix is left to a person rather than taken on its own (None: it may be
        taken): a fix that would add more than it stops (a snapshot dearer than a cold
        volume); actions add their own reasons."""
        saving = self.saving(finding)
        if saving is not None and saving < 0:
            return f"the fix would add ${-saving:,.2f}/month more than it stops: left to a person"
        return None

    def saving(self, finding: Finding) -> float | None:
        """The monthly spend the fix stops, net of what it adds (a snapshot it keeps): the
        detector's net figure where it works one out, else the finding's cost."""
        if "net_monthly_saving_usd" in finding.details:
            net = finding.details["net_monthly_saving_usd"]
            return None if net is None else float(net)
        return finding.monthly_cost_usd


def restore_hint(finding: Finding) -> str:
    """The command that undoes a fix, with everything it needs to find the audit record."""
    kind = resource_type(finding.resource_type).kind
    return (
        f"`govbot restore {kind} {finding.resource_id} --region {finding.region} "
        f"--account {finding.account_id}`"
    )


def gone(finding: Finding, err: Exception) -> bool:
    """Whether an AWS error says the finding's resource no longer exists."""
    return resource_type(finding.resource_type).is_gone(err)


def error_code(err: Exception) -> str:
    return str(getattr(err, "response", {}).get("Error", {}).get("Code", ""))
