"""ML resources nobody can attribute: a required cost-allocation tag is missing or empty."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Literal, get_args

from pydantic import Field

from govbot.detectors.base import Details, Detector, DetectorSettings, Mode
from govbot.detectors.registry import register
from govbot.endpoints import CannotJudge
from govbot.inventory import RegionInventory, tags_to_dict
from govbot.models import Finding
from govbot.pricing import Cost

ResourceKind = Literal[
    "sagemaker-endpoint",
    "sagemaker-notebook",
    "sagemaker-training-job",
    "ebs-volume",
    "ec2-instance",
]
ALL_KINDS: tuple[ResourceKind, ...] = get_args(ResourceKind)


class UntaggedResourceSettings(DetectorSettings):
    mode: Mode = Mode.NOTIFY
    required_tags: list[str] = Field(
        default_factory=lambda: ["cost-center", "project", "environment"], min_length=1
    )
    resource_kinds: list[ResourceKind] = Field(default_factory=lambda: list(ALL_KINDS))
    tag_missing: bool = Field(
        default=False, description="Fix = tag the resource govbot:missing-tags=<keys>."
    )


class UntaggedResourceDetails(Details):
    missing_tags: list[str]
    kind: ResourceKind


@dataclass(frozen=True)
class Candidate:
    """What the detector needs of any kind of resource. ``cost`` is called only for findings,
    since pricing an endpoint or a training job takes a describe call."""

    resource_id: str
    arn: str
    resource_type: str
    tags: dict[str, str]
    cost: Callable[[], Cost]


@register
class UntaggedResource(Detector[UntaggedResourceSettings]):
    id = "untagged-resource"
    kinds = (
        "AWS::SageMaker::Endpoint",
        "AWS::SageMaker::NotebookInstance",
        "AWS::SageMaker::TrainingJob",
        "AWS::EC2::Volume",
        "AWS::EC2::Instance",
    )
    settings_model = UntaggedResourceSettings
    details_model = UntaggedResourceDetails
    permissions = (
        "sagemaker:ListEndpoints",
        "sagemaker:DescribeEndpoint",
        "sagemaker:DescribeEndpointConfig",
        "sagemaker:ListNotebookInstances",
        "sagemaker:ListTrainingJobs",
        "sagemaker:DescribeTrainingJob",
        "ec2:DescribeVolumes",
        "ec2:DescribeInstances",
        "tag:GetResources",
    )

    def detect(self, inv: RegionInventory, settings: UntaggedResourceSettings) -> Iterator[Finding]:
        untagged = [
            (kind, res, missing)
            for kind in settings.resource_kinds
            for res in _candidates(inv, kind)
            if (missing := [k for k in settings.required_tags if not res.tags.get(k, "").strip()])
        ]
        # Pricing an endpoint or a training job takes describes: all of them at once.
        inv.prefetch_endpoint_shapes(
            r.resource_id for _, r, _ in untagged if r.resource_type == "AWS::SageMaker::Endpoint"
        )
        inv.prefetch(
            inv.training_job,
            (
                r.resource_id
                for _, r, _ in untagged
                if r.resource_type == "AWS::SageMaker::TrainingJob"
            ),
        )
        for kind, res, missing in untagged:
            cost = res.cost()
            yield Finding(
                detector=self.id,
                resource_id=res.resource_id,
                resource_arn=res.arn,
                resource_type=res.resource_type,
                region=inv.region,
                account_id=inv.account_id,
                monthly_cost_usd=cost.monthly_usd,
                cost_kind="unattributed",
                reason=f"missing required tag(s): {', '.join(missing)}",
                proposed_action="ask the owner to tag it (its spend cannot be attributed)",
                details=UntaggedResourceDetails(
                    missing_tags=missing,
                    kind=kind,
                    cost_basis=f"unattributed spend: {cost.basis}",
                ).model_dump(mode="json"),
                tags=res.tags,
            )


def _fixed(cost: Cost) -> Callable[[], Cost]:
    return lambda: cost


def _endpoint_cost(inv: RegionInventory, name: str) -> Cost:
    try:
        shape = inv.endpoint_shape(name)
    except CannotJudge as why:
        return Cost(None, f"cannot price the endpoint: {why}")
    return inv.endpoint_cost(shape) if shape else Cost(None, "endpoint no longer exists")


def _training_job_cost(inv: RegionInventory, name: str) -> Cost:
    job = inv.training_job(name)
    return inv.training_job_cost(job) if job else Cost(None, "training job no longer exists")


def _candidates(inv: RegionInventory, kind: ResourceKind) -> Iterator[Candidate]:
    if kind == "sagemaker-endpoint":
        for e in inv.endpoints:
            name, arn = e["EndpointName"], e["EndpointArn"]
            yield Candidate(
                name,
                arn,
                "AWS::SageMaker::Endpoint",
                inv.tags(arn),
                partial(_endpoint_cost, inv, name),
            )
    elif kind == "sagemaker-notebook":
        for n in inv.notebook_instances:
            status = n["NotebookInstanceStatus"]
            cost = (
                inv.pricer.instances("sagemaker_notebook_hourly", n["InstanceType"], 1, inv.region)
                if status in ("InService", "Pending", "Updating")
                else Cost(0.0, f"notebook {status}: no instance charges")
            )
            arn = n["NotebookInstanceArn"]
            yield Candidate(
                n["NotebookInstanceName"],
                arn,
                "AWS::SageMaker::NotebookInstance",
                inv.tags(arn),
                _fixed(cost),
            )
    elif kind == "sagemaker-training-job":
        for j in inv.training_jobs_in_progress:
            name, arn = j["TrainingJobName"], j["TrainingJobArn"]
            yield Candidate(
                name,
                arn,
                "AWS::SageMaker::TrainingJob",
                inv.tags(arn),
                partial(_training_job_cost, inv, name),
            )
    elif kind == "ebs-volume":
        for v in inv.volumes:
            yield Candidate(
                v["VolumeId"],
                inv.arn("ec2", f"volume/{v['VolumeId']}"),
                "AWS::EC2::Volume",
                tags_to_dict(v.get("Tags")),
                _fixed(inv.volume_cost(v)),
            )
    elif kind == "ec2-instance":
        for i in inv.instances:
            state = i["State"]["Name"]
            cost = (
                inv.pricer.instances("ec2_hourly", i["InstanceType"], 1, inv.region)
                if state in ("pending", "running")
                else Cost(0.0, f"instance {state}: no instance charges")
            )
            yield Candidate(
                i["InstanceId"],
                inv.arn("ec2", f"instance/{i['InstanceId']}"),
                "AWS::EC2::Instance",
                tags_to_dict(i.get("Tags")),
                _fixed(cost),
            )
