"""SageMaker training jobs: the ones in progress, each described only when a detector asks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from govbot.inventory import SAGEMAKER_PAGE, every, summary
from govbot.kinds.base import (
    SAGEMAKER_BILLING,
    SAGEMAKER_GONE,
    CloudTrailCall,
    ResourceType,
    TagsByArn,
    listed_arn,
    pick,
    sagemaker_tags,
)
from govbot.pricing.pricer import Cost

if TYPE_CHECKING:
    from mypy_boto3_sagemaker.type_defs import (
        DescribeTrainingJobResponseTypeDef,
        TrainingJobSummaryTypeDef,
    )

    from govbot.inventory import RegionInventory

TYPE = "AWS::SageMaker::TrainingJob"
# The fields of DescribeTrainingJob that ListTrainingJobs' summary carries.
SUMMARY_KEYS = ("TrainingJobName", "TrainingJobArn", "CreationTime", "TrainingJobStatus")


def _list_all(inv: RegionInventory) -> list[TrainingJobSummaryTypeDef]:
    return every(
        inv.clients.sagemaker(inv.region),
        "list_training_jobs",
        "TrainingJobSummaries",
        SAGEMAKER_PAGE,
        StatusEquals="InProgress",
    )


def _by_ids(inv: RegionInventory, names: list[str]) -> list[TrainingJobSummaryTypeDef]:
    described = (describe(inv, n) for n in names)
    return [
        summary(d, SUMMARY_KEYS)  # type: ignore[misc]
        for d in described
        if d and d["TrainingJobStatus"] == "InProgress"
    ]


def in_progress(inv: RegionInventory) -> dict[str, Any]:
    """Every training job in progress as SageMaker Search returns it (the whole record
    DescribeTrainingJob gives), by name."""
    return inv.searched("TrainingJob", "TrainingJobName", "TrainingJobStatus", "InProgress")


def describe(inv: RegionInventory, name: str) -> DescribeTrainingJobResponseTypeDef | None:
    """What DescribeTrainingJob says of a job, once per sweep, or None when SageMaker no
    longer knows it. A whole sweep takes the jobs in progress from one bulk Search; a job
    that has ended, and every job a re-check reads, from DescribeTrainingJob."""
    if inv.scope is None:
        record = in_progress(inv).get(name)
        if record is not None:
            return record  # type: ignore[no-any-return]
    return inv.described_once(  # type: ignore[return-value]
        ("training-job", name),
        SAGEMAKER_GONE,
        "sagemaker",
        "describe_training_job",
        {"TrainingJobName": name},
    )


def cost(inv: RegionInventory, job: DescribeTrainingJobResponseTypeDef) -> Cost:
    """What the job's instances bill per hour, as a monthly figure."""
    rc = job.get("ResourceConfig", {})
    instance_type, count = rc.get("InstanceType"), rc.get("InstanceCount", 1)
    if not instance_type:
        # Heterogeneous clusters list instance groups instead of one type.
        groups = rc.get("InstanceGroups", [])
        return (
            Cost.total(
                inv.pricer.instances(
                    "sagemaker_training_hourly", g["InstanceType"], g["InstanceCount"], inv.region
                )
                for g in groups
            )
            if groups
            else Cost(None, "training job reports no instance type")
        )
    return inv.pricer.instances("sagemaker_training_hourly", instance_type, count, inv.region)


def _running_cost(inv: RegionInventory, item: TrainingJobSummaryTypeDef) -> Cost:
    job = describe(inv, item["TrainingJobName"])
    return cost(inv, job) if job else Cost(None, "training job no longer exists")


def prefetch(inv: RegionInventory, names: Iterable[str]) -> None:
    """Describe many jobs at once."""
    inv.prefetch(lambda n: describe(inv, n), names)


KIND = ResourceType(
    service="sagemaker",
    type=TYPE,
    kind="training-job",
    aliases=("sagemaker-training-job",),
    list_all=_list_all,
    by_ids=_by_ids,
    reads=("sagemaker:ListTrainingJobs", "sagemaker:DescribeTrainingJob"),
    id_of=pick("TrainingJobName"),
    arn_of=listed_arn("TrainingJobArn"),
    # The Tagging API would page through every job ever run; only those in progress matter.
    tags=TagsByArn(),
    billed_as=SAGEMAKER_BILLING,
    gone_codes=SAGEMAKER_GONE,
    add_tags=sagemaker_tags,
    running_cost=_running_cost,
    prefetch=lambda inv, items: prefetch(inv, [j["TrainingJobName"] for j in items]),
    # Ended jobs still exist (a re-check must not call them gone): described, any status.
    existing_override=lambda inv: {n for n in inv.scoped_ids(TYPE) if describe(inv, n)},
    cloudtrail={
        "sagemaker:CreateTrainingJob": CloudTrailCall(
            (("request", "trainingJobName"),), ("untagged-resource", "training-without-spot")
        )
    },
)
