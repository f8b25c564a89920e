"""Reading what the audit log says about govbot's fixes, for their undos.

Each fix carries its undo (``Action.undo`` in its action's module); this module holds what
they share: the latest fix recorded for a resource, whether an earlier restore already undid
it, marking a restore, and the tags restore writes. A restored resource's finding becomes
``rejected`` (decided by whoever restored it), so an ``auto`` policy does not remove it again
the next night; approve it to let govbot act again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from govbot.aws import AwsClients, error_code
from govbot.cycle.contracts import AuditRecord, State
from govbot.state.store import StateConflict, Store

# Every resource restore creates carries it: a member's restore role may create only what
# carries it (templates/member-roles.yaml), and a person can tell a restored resource.
RESTORED_FROM_TAG = "govbot:restored-from"
# What `govbot restore` calls, for the member restore role: reads, then creates (each tagged
# RESTORED_FROM_TAG) and starts or updates of what govbot stopped or changed.
READS = (
    "bedrock:GetProvisionedModelThroughput",
    "ec2:DescribeInstances",
    "sagemaker:DescribeApp",
    "sagemaker:DescribeDomain",
    "sagemaker:DescribeEndpoint",
    "sagemaker:DescribeEndpointConfig",
    "sagemaker:DescribeNotebookInstance",
    "sagemaker:DescribeSpace",
    "sagemaker:DescribeUserProfile",
)
CREATES = (
    "bedrock:CreateProvisionedModelThroughput",
    "bedrock:TagResource",
    "ec2:CreateCapacityReservation",
    "ec2:CreateTags",
    "ec2:CreateVolume",
    "fsx:CreateFileSystemFromBackup",
    "fsx:TagResource",
    "sagemaker:AddTags",
    "sagemaker:CreateApp",
    "sagemaker:CreateEndpoint",
    "sagemaker:CreateInferenceComponent",
)
CHANGES = (
    "ec2:StartInstances",
    "sagemaker:StartNotebookInstance",
    "sagemaker:UpdateDomain",
    "sagemaker:UpdateEndpointWeightsAndCapacities",
    "sagemaker:UpdateSpace",
    "sagemaker:UpdateUserProfile",
)
PERMISSIONS = READS + CREATES + CHANGES


def restored_from(resource_id: str) -> Any:  # EC2's and SageMaker's tag shapes alike
    return {"Key": RESTORED_FROM_TAG, "Value": resource_id[:256]}


class RestoreError(Exception):
    """Restore cannot go ahead; the message says why and changes nothing."""


@dataclass(frozen=True)
class Fix:
    """What the audit log says about govbot's fix of one resource, read in one query."""

    restored: str | None  # what an earlier restore of the latest fix did, so none repeats
    before: AuditRecord | None  # the latest before-state recorded
    done: AuditRecord | None  # the latest change recorded

    def recorded(self, what: str) -> tuple[AuditRecord, AuditRecord]:
        """The change and the before-state recorded; RestoreError when either is missing."""
        if self.done is None or self.before is None:
            raise RestoreError(f"no record of govbot {what}")
        return self.done, self.before


def latest_fix(
    store: Store, account_id: str, region: str, rtype: str, rid: str, actions: Iterable[str]
) -> str | None:
    """Which of ``actions`` govbot recorded last on the resource (a kind with several fixes:
    restore undoes the latest)."""
    names = set(actions)
    trail = store.audit_trail(account_id, region, rtype, rid)
    return next((r.action for r in trail if r.action in names and r.phase == "before"), None)


def exists(describe: Any) -> bool:
    try:
        describe()
    except ClientError as err:
        if error_code(err) != "ValidationException":  # SageMaker's answer for "not found"
            raise
        return False
    return True


def user_tags(tags: Any) -> list[Any]:
    """A resource's tags as a create call takes them, without the ones AWS reserves."""
    items = tags.items() if isinstance(tags, dict) else ((t["Key"], t["Value"]) for t in tags)
    return [{"Key": k, "Value": v} for k, v in items if not k.startswith("aws:")]


@dataclass(frozen=True)
class Undo:
    """One `govbot restore`: which resource, who restores it and when, the audit log to read
    and the credentials to act with."""

    store: Store
    clients: AwsClients
    rtype: str
    region: str
    account_id: str
    resource_id: str
    actor: str
    now: datetime

    def fix(self, action: str) -> Fix:
        """What the audit log says about ``action``'s latest fix of this resource."""
        trail = self.store.audit_trail(self.account_id, self.region, self.rtype, self.resource_id)
        trail = [r for r in trail if r.action == action]
        restored = None  # newest first: a restore counts only if no fix came after it
        for r in trail:
            if r.phase == "restored":
                restored = f"already restored on {r.at:%Y-%m-%d %H:%M} by {r.actor}: {r.message}"
                break
            if r.phase in ("before", "done"):
                break

        def latest(phase: str) -> AuditRecord | None:
            return next((r for r in trail if r.phase == phase), None)

        return Fix(restored, latest("before"), latest("done"))

    def mark(self, record: AuditRecord, note: str) -> None:
        """Record the restore: in the audit log, in the savings (the fix saves nothing now),
        and on the finding (rejected by whoever restored it, so auto does not act again)."""
        self.store.audit(
            record.model_copy(
                update={"phase": "restored", "at": self.now, "actor": self.actor, "message": note}
            )
        )
        self.store.saving_restored(record.finding_id, self.now)  # the fix no longer saves anything
        # If the finding moved on meanwhile, the audit record still says what happened.
        with contextlib.suppress(StateConflict):
            self.store.transition(
                record.finding_id,
                {State.REMEDIATED},
                State.REJECTED,
                decided_by=self.actor,
                decided_at=self.now,
                note=note,
            )


def start_again(
    req: Undo,
    *,
    action: str,
    kind: str,
    status: Callable[[], str | None],
    start: Callable[[], object],
    stopped: frozenset[str],
) -> str:
    """Undo a stop: start the resource again, if govbot stopped it and it is still stopped
    (a person may have started it meanwhile: then nothing is done)."""
    fix = req.fix(action)
    if fix.restored:
        return fix.restored
    done, rid = fix.done, req.resource_id
    if done is None:
        raise RestoreError(f"no record of govbot stopping {kind} {rid} in {req.region}")
    now_status = status()
    if now_status is None:
        raise RestoreError(f"{kind} {rid} no longer exists in {req.region}")
    if now_status not in stopped:
        raise RestoreError(f"{kind} {rid} is {now_status}: nothing to restore")
    start()
    note = f"started {kind} {rid} again"
    req.mark(done, note)
    return note
