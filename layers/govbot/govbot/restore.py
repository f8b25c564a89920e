"""Undo a remediation from what the audit log recorded before it.

A restored resource's finding becomes ``rejected`` (decided by whoever restored it), so an
``auto`` policy does not remove it again the next night; approve it to let govbot act again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from govbot import studio
from govbot.actions.base import error_code
from govbot.actions.delete_endpoint import DeleteEndpoint, create_specification
from govbot.actions.delete_provisioned_throughput import DeleteProvisionedThroughput
from govbot.actions.delete_studio_app import DeleteStudioApp
from govbot.actions.enable_idle_shutdown import EnableIdleShutdown
from govbot.actions.resize_endpoint import ResizeEndpoint
from govbot.actions.snapshot_volume import SnapshotThenDeleteVolume
from govbot.actions.stop_instance import StopInstance
from govbot.actions.stop_notebook import StopNotebook
from govbot.aws import AwsClients
from govbot.contracts import AuditRecord, State
from govbot.sealing import unseal
from govbot.store import StateConflict, Store

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
    "ec2:CreateTags",
    "ec2:CreateVolume",
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


def _restored_from(resource_id: str) -> Any:  # EC2's and SageMaker's tag shapes alike
    return {"Key": RESTORED_FROM_TAG, "Value": resource_id[:256]}


class RestoreError(Exception):
    """Restore cannot go ahead; the message says why and changes nothing."""


@dataclass(frozen=True)
class _Fix:
    """What the audit log says about govbot's fix of one resource, read in one query."""

    restored: str | None  # what an earlier restore of the latest fix did, so none repeats
    before: AuditRecord | None  # the latest before-state recorded
    done: AuditRecord | None  # the latest change recorded

    def recorded(self, what: str) -> tuple[AuditRecord, AuditRecord]:
        """The change and the before-state recorded; RestoreError when either is missing."""
        if self.done is None or self.before is None:
            raise RestoreError(f"no record of govbot {what}")
        return self.done, self.before


def _fix(store: Store, account_id: str, region: str, rtype: str, rid: str, action: str) -> _Fix:
    trail = [r for r in store.audit_trail(account_id, region, rtype, rid) if r.action == action]
    restored = None  # newest first: a restore counts only if no fix came after it
    for r in trail:
        if r.phase == "restored":
            restored = f"already restored on {r.at:%Y-%m-%d %H:%M} by {r.actor}: {r.message}"
            break
        if r.phase in ("before", "done"):
            break

    def latest(phase: str) -> AuditRecord | None:
        return next((r for r in trail if r.phase == phase), None)

    return _Fix(restored, latest("before"), latest("done"))


def _exists(describe: Any) -> bool:
    try:
        describe()
    except ClientError as err:
        if error_code(err) != "ValidationException":  # SageMaker's answer for "not found"
            raise
        return False
    return True


def _user_tags(tags: Any) -> list[Any]:
    items = tags.items() if isinstance(tags, dict) else ((t["Key"], t["Value"]) for t in tags)
    return [{"Key": k, "Value": v} for k, v in items if not k.startswith("aws:")]


def _mark_restored(store: Store, record: AuditRecord, actor: str, now: datetime, note: str) -> None:
    store.audit(
        record.model_copy(update={"phase": "restored", "at": now, "actor": actor, "message": note})
    )
    store.saving_restored(record.finding_id, now)  # the fix no longer saves anything
    # If the finding moved on meanwhile, the audit record still says what happened.
    with contextlib.suppress(StateConflict):
        store.transition(
            record.finding_id,
            {State.REMEDIATED},
            State.REJECTED,
            decided_by=actor,
            decided_at=now,
            note=note,
        )


def restore_endpoint(
    store: Store,
    clients: AwsClients,
    *,
    region: str,
    account_id: str,
    resource_id: str,
    actor: str,
    now: datetime,
) -> str:
    """Undo govbot's latest fix of the endpoint: recreate it if it was deleted, or set its
    variants' instance counts back if it was scaled in."""
    name = resource_id
    rtype = "AWS::SageMaker::Endpoint"
    latest = next(
        (
            r
            for r in store.audit_trail(account_id, region, rtype, name)
            if r.action in (DeleteEndpoint.name, ResizeEndpoint.name) and r.phase == "before"
        ),
        None,
    )
    if latest is not None and latest.action == ResizeEndpoint.name:
        return _restore_capacity(store, clients, region, account_id, name, actor, now)
    fix = _fix(store, account_id, region, rtype, name, DeleteEndpoint.name)
    if fix.restored:
        return fix.restored
    before = fix.before
    if before is None or not before.before:
        raise RestoreError(f"no record of govbot deleting endpoint {name} in {region}")
    config = before.before["endpoint_config_name"]
    sm = clients.sagemaker(region)
    if _exists(lambda: sm.describe_endpoint(EndpointName=name)):
        raise RestoreError(f"endpoint {name} exists in {region}: nothing to restore")
    if not _exists(lambda: sm.describe_endpoint_config(EndpointConfigName=config)):
        raise RestoreError(f"endpoint config {config} no longer exists: cannot recreate {name}")
    sm.create_endpoint(
        EndpointName=name,
        EndpointConfigName=config,
        Tags=[*_user_tags(before.before["tags"]), _restored_from(name)],
    )
    note = f"restored endpoint {name} from config {config}"
    components = before.before.get("components") or []
    if components:  # deployed again once the endpoint is InService
        sm.get_waiter("endpoint_in_service").wait(
            EndpointName=name, WaiterConfig={"Delay": 30, "MaxAttempts": 60}
        )
    for c in components:
        # Input-shaped when recorded; an older record held Describe's answer as it came.
        spec = create_specification(c["specification"])
        if c.get("environment"):  # recorded sealed: opened only here, never logged
            container = {
                **spec.get("Container", {}),
                "Environment": unseal(clients, c["environment"]),
            }
            spec = {**spec, "Container": container}
        sm.create_inference_component(
            InferenceComponentName=c["name"],
            EndpointName=name,
            VariantName=c["variant_name"],
            Specification=spec,
            RuntimeConfig={"CopyCount": c["copy_count"]},
            Tags=[_restored_from(c["name"])],
        )
    if components:
        note += f" with its {len(components)} inference component(s)"
    _mark_restored(store, before, actor, now, note)
    return note


def _restore_capacity(
    store: Store,
    clients: AwsClients,
    region: str,
    account_id: str,
    name: str,
    actor: str,
    now: datetime,
) -> str:
    """Set the variants govbot scaled in back to the instance counts recorded before."""
    rtype = "AWS::SageMaker::Endpoint"
    fix = _fix(store, account_id, region, rtype, name, ResizeEndpoint.name)
    if fix.restored:
        return fix.restored
    done, before = fix.recorded(f"scaling endpoint {name} in {region}")
    sm = clients.sagemaker(region)
    try:
        status = sm.describe_endpoint(EndpointName=name)["EndpointStatus"]
    except ClientError as err:
        if error_code(err) != "ValidationException":
            raise
        raise RestoreError(f"endpoint {name} no longer exists in {region}") from None
    if status != "InService":
        raise RestoreError(f"endpoint {name} is {status}: try again once it is InService")
    wanted = before.before["variants"]
    sm.update_endpoint_weights_and_capacities(
        EndpointName=name,
        DesiredWeightsAndCapacities=[
            {"VariantName": v["variant_name"], "DesiredInstanceCount": v["instance_count"]}
            for v in wanted
        ],
    )
    sizes = ", ".join(f"{v['variant_name']} to {v['instance_count']}" for v in wanted)
    note = f"set endpoint {name} back to {sizes} instances"
    _mark_restored(store, done, actor, now, note)
    return note


def restore_volume(
    store: Store,
    clients: AwsClients,
    *,
    region: str,
    account_id: str,
    resource_id: str,
    actor: str,
    now: datetime,
) -> str:
    volume_id = resource_id
    rtype = "AWS::EC2::Volume"
    action = SnapshotThenDeleteVolume.name
    fix = _fix(store, account_id, region, rtype, volume_id, action)
    if fix.restored:
        return fix.restored
    done, before = fix.recorded(f"deleting volume {volume_id} in {region}")
    snapshot_id = done.after["snapshot_id"]
    was = before.before
    ec2 = clients.ec2(region)
    params: dict[str, Any] = {
        "SnapshotId": snapshot_id,
        "AvailabilityZone": was["availability_zone"],
        "VolumeType": was["volume_type"],
        "TagSpecifications": [
            {
                "ResourceType": "volume",
                "Tags": [*_user_tags(was["tags"]), _restored_from(volume_id)],
            }
        ],
    }
    if was["volume_type"] in ("io1", "io2", "gp3") and was.get("iops"):
        params["Iops"] = was["iops"]
    if was["volume_type"] == "gp3" and was.get("throughput"):
        params["Throughput"] = was["throughput"]
    new_id: str = ec2.create_volume(**params)["VolumeId"]
    note = f"restored volume {volume_id} as {new_id} from snapshot {snapshot_id}"
    _mark_restored(store, done, actor, now, note)
    return note


def _start_again(
    store: Store,
    *,
    region: str,
    account_id: str,
    rtype: str,
    resource_id: str,
    action: str,
    kind: str,
    status: Callable[[], str | None],
    start: Callable[[], object],
    stopped: frozenset[str],
    actor: str,
    now: datetime,
) -> str:
    """Undo a stop: start the resource again, if govbot stopped it and it is still stopped
    (a person may have started it meanwhile: then nothing is done)."""
    fix = _fix(store, account_id, region, rtype, resource_id, action)
    if fix.restored:
        return fix.restored
    done = fix.done
    if done is None:
        raise RestoreError(f"no record of govbot stopping {kind} {resource_id} in {region}")
    now_status = status()
    if now_status is None:
        raise RestoreError(f"{kind} {resource_id} no longer exists in {region}")
    if now_status not in stopped:
        raise RestoreError(f"{kind} {resource_id} is {now_status}: nothing to restore")
    start()
    note = f"started {kind} {resource_id} again"
    _mark_restored(store, done, actor, now, note)
    return note


def restore_notebook(
    store: Store,
    clients: AwsClients,
    *,
    region: str,
    account_id: str,
    resource_id: str,
    actor: str,
    now: datetime,
) -> str:
    sm = clients.sagemaker(region)

    def status() -> str | None:
        try:
            found = sm.describe_notebook_instance(NotebookInstanceName=resource_id)
        except ClientError as err:
            if error_code(err) != "ValidationException":
                raise
            return None
        return found["NotebookInstanceStatus"]

    return _start_again(
        store,
        region=region,
        account_id=account_id,
        rtype="AWS::SageMaker::NotebookInstance",
        resource_id=resource_id,
        action=StopNotebook.name,
        kind="notebook instance",
        status=status,
        start=lambda: sm.start_notebook_instance(NotebookInstanceName=resource_id),
        stopped=frozenset({"Stopped"}),
        actor=actor,
        now=now,
    )


def restore_instance(
    store: Store,
    clients: AwsClients,
    *,
    region: str,
    account_id: str,
    resource_id: str,
    actor: str,
    now: datetime,
) -> str:
    ec2 = clients.ec2(region)

    def status() -> str | None:
        found = ec2.describe_instances(Filters=[{"Name": "instance-id", "Values": [resource_id]}])
        states = [i["State"]["Name"] for r in found["Reservations"] for i in r["Instances"]]
        return states[0] if states and states[0] != "terminated" else None

    return _start_again(
        store,
        region=region,
        account_id=account_id,
        rtype="AWS::EC2::Instance",
        resource_id=resource_id,
        action=StopInstance.name,
        kind="instance",
        status=status,
        start=lambda: ec2.start_instances(InstanceIds=[resource_id]),
        stopped=frozenset({"stopped"}),
        actor=actor,
        now=now,
    )


def restore_provisioned_throughput(
    store: Store,
    clients: AwsClients,
    *,
    region: str,
    account_id: str,
    resource_id: str,
    actor: str,
    now: datetime,
) -> str:
    """Buy the same model units again, without a commitment term (a new ARN)."""
    rtype = "AWS::Bedrock::ProvisionedModelThroughput"
    action = DeleteProvisionedThroughput.name
    fix = _fix(store, account_id, region, rtype, resource_id, action)
    if fix.restored:
        return fix.restored
    done, before = fix.recorded(f"deleting {resource_id} in {region}")
    was = before.before
    bedrock = clients.client("bedrock", region)
    try:
        bedrock.get_provisioned_model_throughput(provisionedModelId=resource_id)
    except ClientError as err:
        if error_code(err) != "ResourceNotFoundException":
            raise
    else:
        raise RestoreError(f"provisioned throughput {resource_id} exists in {region}")
    params: dict[str, Any] = {
        "provisionedModelName": resource_id,
        "modelId": was["model_arn"],
        "modelUnits": was["model_units"],
    }
    params["tags"] = [*(was.get("tags") or []), {"key": RESTORED_FROM_TAG, "value": resource_id}]
    new_arn = bedrock.create_provisioned_model_throughput(**params)["provisionedModelArn"]
    note = (
        f"bought {was['model_units']} model unit(s) of {resource_id} again, no term, as {new_arn}"
    )
    _mark_restored(store, done, actor, now, note)
    return note


def restore_studio_app(
    store: Store,
    clients: AwsClients,
    *,
    region: str,
    account_id: str,
    resource_id: str,
    actor: str,
    now: datetime,
) -> str:
    """Create the app again with the spec recorded (image, instance type, lifecycle config),
    unless one of its name already runs (a person opened the space meanwhile)."""
    fix = _fix(store, account_id, region, studio.APP, resource_id, DeleteStudioApp.name)
    if fix.restored:
        return fix.restored
    done, before = fix.recorded(f"deleting Studio app {resource_id} in {region}")
    key = studio.app_key(resource_id)
    sm = clients.sagemaker(region)
    try:
        status = sm.describe_app(**key)["Status"]  # type: ignore[arg-type]
    except ClientError as err:
        if error_code(err) not in ("ResourceNotFound", "ValidationException"):
            raise
        status = "Deleted"
    if status not in ("Deleted", "Failed"):
        raise RestoreError(f"Studio app {resource_id} is {status}: nothing to restore")
    spec = before.before["resource_spec"]
    tags = [_restored_from(resource_id)]
    sm.create_app(**key, ResourceSpec=spec, Tags=tags)  # type: ignore[arg-type]
    note = f"created Studio app {resource_id} again on {spec.get('InstanceType')}"
    _mark_restored(store, done, actor, now, note)
    return note


def _idle_shutdown_restorer(rtype: str) -> Restorer:
    """Put a Studio domain's, user profile's or space's idle-shutdown settings back as they
    were before govbot turned it on (a domain that never had any gets it turned off)."""
    scope = studio.SCOPES[rtype]

    def restore(
        store: Store,
        clients: AwsClients,
        *,
        region: str,
        account_id: str,
        resource_id: str,
        actor: str,
        now: datetime,
    ) -> str:
        fix = _fix(store, account_id, region, rtype, resource_id, EnableIdleShutdown.name)
        if fix.restored:
            return fix.restored
        done, before = fix.recorded(f"changing Studio {scope.kind} {resource_id} in {region}")
        was = before.before["before"]
        settings = {
            f"{t}AppSettings": was.get(f"{t}AppSettings")
            or {"AppLifecycleManagement": {"IdleSettings": {"LifecycleManagement": "DISABLED"}}}
            for t in before.before["gaps"]
        }
        studio.update_settings(clients.sagemaker(region), rtype, resource_id, settings)
        note = (
            f"put the idle shutdown of {' and '.join(before.before['gaps'])} apps of Studio "
            f"{scope.kind} {resource_id} back as it was"
        )
        _mark_restored(store, done, actor, now, note)
        return note

    return restore


Restorer = Callable[..., str]
# What govbot can undo, by resource type (resources.py marks the same types restorable).
RESTORERS: dict[str, Restorer] = {
    "AWS::SageMaker::Endpoint": restore_endpoint,
    "AWS::EC2::Volume": restore_volume,
    "AWS::SageMaker::NotebookInstance": restore_notebook,
    "AWS::EC2::Instance": restore_instance,
    "AWS::Bedrock::ProvisionedModelThroughput": restore_provisioned_throughput,
    studio.APP: restore_studio_app,
    **{rtype: _idle_shutdown_restorer(rtype) for rtype in studio.SCOPES},
}
