"""The kinds of resource govbot judges, each described once, as data.

What the engine, the actions, the real-time function and restore need to know about a kind of
resource lives in its entry here: the word people use for it, the error codes that mean it is
gone, which of a re-check's listings says it still exists, the CloudTrail calls that name it
(and where in the call its id is), and whether govbot can restore it. A new kind is one entry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from govbot import studio
from govbot.aws import error_code

if TYPE_CHECKING:
    from govbot.inventory import RegionInventory


@dataclass(frozen=True)
class CloudTrailCall:
    """A CloudTrail "AWS API Call" that names a resource of this kind."""

    # Where the id is, tried in order: (section, key), section "request" or "response"; a key
    # "a+b" joins several values with "/" (ids within a domain), and an ARN gives its last part.
    id_from: tuple[tuple[str, str], ...]
    detectors: tuple[str, ...] = ()  # judged at once
    clock: str | None = None  # starts the resource's waste clock, with this reason

    def resource_id(self, request: Mapping[str, Any], response: Mapping[str, Any]) -> str | None:
        sections = {"request": request, "response": response}
        for section, key in self.id_from:
            values = [sections[section].get(k) for k in key.split("+")]
            if all(isinstance(v, str) and v for v in values):
                found = "/".join(str(v) for v in values)
                return found.rsplit("/", 1)[-1] if found.startswith("arn:") else found
        return None


@dataclass(frozen=True)
class RestoreCommand:
    """How the command line names a resource of this kind to restore, and what it does."""

    metavar: str
    arg_help: str
    doc: str


@dataclass(frozen=True)
class ResourceType:
    type: str  # CloudFormation type name, as findings carry it
    kind: str  # the word for it on the command line and in messages
    # Ids of the scoped resources a re-check's inventory still holds.
    existing: Callable[[RegionInventory], set[str]]
    gone_codes: frozenset[str]  # AWS error codes that mean "no such resource"
    cloudtrail: Mapping[str, CloudTrailCall] = field(default_factory=dict)  # "svc:EventName"
    # `govbot restore KIND ARG`, where an action can undo govbot's fix of this kind.
    restore: RestoreCommand | None = None
    # What the Cost Explorer service names that bill it contain, lower-cased ("Amazon
    # SageMaker", "Amazon Elastic Compute Cloud - Compute", "EC2 - Other", "AmazonCloudWatch"):
    # a budget or cost anomaly naming such a service sweeps the detectors that judge it.
    billed_as: tuple[str, ...] = ()

    @property
    def restorable(self) -> bool:
        return self.restore is not None

    def is_gone(self, err: Exception) -> bool:
        return error_code(err) in self.gone_codes


SAGEMAKER_BILLING = ("sagemaker",)
# EBS volumes and snapshots bill under "EC2 - Other" (or "Amazon Elastic Block Store"),
# instances under "Amazon Elastic Compute Cloud - Compute": an EC2 anomaly sweeps them all.
EC2_BILLING = ("elastic compute cloud", "ec2", "elastic block store")
# SageMaker answers ValidationException for a name it does not know (and for a job that ended).
SAGEMAKER_GONE = frozenset({"ValidationException", "ResourceNotFound"})

RESOURCE_TYPES: dict[str, ResourceType] = {
    rt.type: rt
    for rt in (
        ResourceType(
            type="AWS::SageMaker::Endpoint",
            kind="endpoint",
            billed_as=SAGEMAKER_BILLING,
            existing=lambda inv: {e["EndpointName"] for e in inv.endpoints},
            gone_codes=SAGEMAKER_GONE,
            cloudtrail={
                "sagemaker:CreateEndpoint": CloudTrailCall(
                    (("request", "endpointName"),), ("untagged-resource",)
                )
            },
            restore=RestoreCommand(
                "NAME",
                "Endpoint name.",
                "Undo govbot's latest fix of an endpoint: recreate it if deleted (config, tags, "
                "inference components), or set its instance counts back if scaled in.",
            ),
        ),
        ResourceType(
            type="AWS::SageMaker::TrainingJob",
            kind="training-job",
            billed_as=SAGEMAKER_BILLING,
            # Training jobs are described one by one (no listing by name); ended ones still exist.
            existing=lambda inv: {
                n for n in inv.scoped_ids("AWS::SageMaker::TrainingJob") if inv.training_job(n)
            },
            gone_codes=SAGEMAKER_GONE,
            cloudtrail={
                "sagemaker:CreateTrainingJob": CloudTrailCall(
                    (("request", "trainingJobName"),),
                    ("untagged-resource", "training-without-spot"),
                )
            },
        ),
        ResourceType(
            type="AWS::SageMaker::NotebookInstance",
            kind="notebook",
            billed_as=SAGEMAKER_BILLING,
            existing=lambda inv: {n["NotebookInstanceName"] for n in inv.notebook_instances},
            gone_codes=SAGEMAKER_GONE,
            # Opening a notebook (the console's "Open JupyterLab" asks for a presigned URL)
            # or starting it is use: its idle clock starts again.
            cloudtrail={
                "sagemaker:CreatePresignedNotebookInstanceUrl": CloudTrailCall(
                    (("request", "notebookInstanceName"),), ("idle-notebook",), clock="opened"
                ),
                "sagemaker:StartNotebookInstance": CloudTrailCall(
                    (("request", "notebookInstanceName"),), ("idle-notebook",), clock="started"
                ),
            },
            restore=RestoreCommand(
                "NAME",
                "Notebook instance name.",
                "Start a notebook instance govbot stopped (its storage was kept).",
            ),
        ),
        ResourceType(
            type=studio.APP,
            kind="studio-app",
            billed_as=SAGEMAKER_BILLING,
            existing=lambda inv: {
                studio.app_id(a) for a in inv.studio_apps if a["Status"] != "Deleted"
            },
            gone_codes=SAGEMAKER_GONE,
            restore=RestoreCommand(
                "ID",
                "DOMAIN/space/SPACE/TYPE/NAME, as govbot shows it.",
                "Create a Studio app govbot deleted again, with its recorded image and "
                "instance type.",
            ),
        ),
        ResourceType(
            type=studio.DOMAIN,
            kind="studio-domain",
            billed_as=SAGEMAKER_BILLING,
            existing=lambda inv: {d["DomainId"] for d in inv.studio_domains},
            gone_codes=SAGEMAKER_GONE,
            # Created or changed: its idle shutdown is judged at once.
            cloudtrail={
                f"sagemaker:{call}": CloudTrailCall(
                    (("request", "domainId"), ("response", "domainArn")),
                    ("studio-idle-shutdown-off",),
                )
                for call in ("CreateDomain", "UpdateDomain")
            },
            restore=RestoreCommand(
                "DOMAIN_ID",
                "Studio domain id.",
                "Put a domain's idle shutdown back as it was before govbot turned it on.",
            ),
        ),
        ResourceType(
            type=studio.USER_PROFILE,
            kind="studio-user-profile",
            billed_as=SAGEMAKER_BILLING,
            existing=lambda inv: {
                f"{u['DomainId']}/{u['UserProfileName']}" for u in inv.studio_user_profiles
            },
            gone_codes=SAGEMAKER_GONE,
            cloudtrail={
                f"sagemaker:{call}": CloudTrailCall(
                    (("request", "domainId+userProfileName"),), ("studio-idle-shutdown-off",)
                )
                for call in ("CreateUserProfile", "UpdateUserProfile")
            },
            restore=RestoreCommand(
                "DOMAIN/NAME",
                "Domain id and user profile name.",
                "Put a user profile's idle shutdown back as it was.",
            ),
        ),
        ResourceType(
            type=studio.SPACE,
            kind="studio-space",
            billed_as=SAGEMAKER_BILLING,
            existing=lambda inv: {f"{s['DomainId']}/{s['SpaceName']}" for s in inv.studio_spaces},
            gone_codes=SAGEMAKER_GONE,
            cloudtrail={
                f"sagemaker:{call}": CloudTrailCall(
                    (("request", "domainId+spaceName"),), ("studio-idle-shutdown-off",)
                )
                for call in ("CreateSpace", "UpdateSpace")
            },
            restore=RestoreCommand(
                "DOMAIN/NAME",
                "Domain id and space name.",
                "Put a space's idle shutdown timeout back as it was.",
            ),
        ),
        ResourceType(
            type="AWS::EC2::Volume",
            kind="volume",
            billed_as=EC2_BILLING,
            existing=lambda inv: {v["VolumeId"] for v in inv.volumes},
            gone_codes=frozenset({"InvalidVolume.NotFound"}),
            cloudtrail={
                "ec2:CreateVolume": CloudTrailCall(
                    (("response", "volumeId"),), ("untagged-resource",), clock="created"
                ),
                "ec2:DetachVolume": CloudTrailCall(
                    (("request", "volumeId"), ("response", "volumeId")), clock="detached"
                ),
            },
            restore=RestoreCommand(
                "VOLUME_ID",
                "Id of the deleted volume.",
                "Create a volume from the snapshot taken before deletion: same AZ, type and tags.",
            ),
        ),
        ResourceType(
            type="AWS::EC2::Snapshot",
            kind="snapshot",
            billed_as=EC2_BILLING,
            existing=lambda inv: {s["SnapshotId"] for s in inv.govbot_snapshots},
            gone_codes=frozenset({"InvalidSnapshot.NotFound"}),
        ),
        ResourceType(
            type="AWS::EC2::Instance",
            kind="instance",
            billed_as=EC2_BILLING,
            existing=lambda inv: {i["InstanceId"] for i in inv.instances},
            gone_codes=frozenset({"InvalidInstanceID.NotFound"}),
            restore=RestoreCommand(
                "INSTANCE_ID",
                "Id of the stopped instance.",
                "Start an instance govbot stopped (its EBS volumes were kept).",
            ),
        ),
        ResourceType(
            type="AWS::Bedrock::ProvisionedModelThroughput",
            kind="provisioned-throughput",
            billed_as=("bedrock",),
            existing=lambda inv: {p["provisionedModelName"] for p in inv.provisioned_throughputs},
            gone_codes=frozenset({"ResourceNotFoundException"}),
            restore=RestoreCommand(
                "NAME",
                "Provisioned throughput name.",
                "Buy the model units govbot deleted again, without a term (a new ARN).",
            ),
        ),
        ResourceType(
            type="AWS::Logs::LogGroup",
            kind="log-group",
            billed_as=("cloudwatch",),
            existing=lambda inv: {g["logGroupName"] for g in inv.log_groups},
            gone_codes=frozenset({"ResourceNotFoundException"}),
            cloudtrail={
                "logs:CreateLogGroup": CloudTrailCall(
                    (("request", "logGroupName"),), ("log-retention-gap", "untagged-resource")
                )
            },
        ),
    )
}


def resource_type(type_name: str) -> ResourceType:
    try:
        return RESOURCE_TYPES[type_name]
    except KeyError:
        raise ValueError(f"govbot knows no resource type {type_name!r}") from None


def by_kind(kind: str) -> ResourceType:
    for rt in RESOURCE_TYPES.values():
        if rt.kind == kind:
            return rt
    known = ", ".join(rt.kind for rt in RESOURCE_TYPES.values())
    raise ValueError(f"no resource kind {kind!r}; known: {known}")


def cloudtrail_call(event: str) -> tuple[ResourceType, CloudTrailCall] | None:
    """The resource type and rule for a CloudTrail call ("service:EventName"), if any."""
    for rt in RESOURCE_TYPES.values():
        if event in rt.cloudtrail:
            return rt, rt.cloudtrail[event]
    return None


def billed_by(service: str) -> set[str]:
    """The resource kinds a Cost Explorer service name bills (empty: none govbot knows)."""
    name = service.lower()
    return {rt.type for rt in RESOURCE_TYPES.values() if any(b in name for b in rt.billed_as)}
