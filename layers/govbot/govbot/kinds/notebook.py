"""SageMaker notebook instances."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govbot.inventory import SAGEMAKER_PAGE, every, summary
from govbot.kinds.base import (
    SAGEMAKER_BILLING,
    SAGEMAKER_GONE,
    SAGEMAKER_INDEX,
    CloudTrailCall,
    ResourceType,
    RestoreCommand,
    listed_arn,
    pick,
    sagemaker_tags,
)
from govbot.pricing.pricer import Cost

if TYPE_CHECKING:
    from mypy_boto3_sagemaker.type_defs import NotebookInstanceSummaryTypeDef

    from govbot.inventory import RegionInventory

TYPE = "AWS::SageMaker::NotebookInstance"
# The fields of DescribeNotebookInstance that the listing's summary carries.
SUMMARY_KEYS = (
    "NotebookInstanceName",
    "NotebookInstanceArn",
    "NotebookInstanceStatus",
    "InstanceType",
    "CreationTime",
    "LastModifiedTime",
)
# The states in which the instance runs and bills.
RUNNING = ("InService", "Pending", "Updating")


def _list_all(inv: RegionInventory) -> list[NotebookInstanceSummaryTypeDef]:
    return every(
        inv.clients.sagemaker(inv.region),
        "list_notebook_instances",
        "NotebookInstances",
        SAGEMAKER_PAGE,
    )


def _by_ids(inv: RegionInventory, names: list[str]) -> list[dict[str, Any]]:
    found = (
        inv.described_once(
            ("notebook", n),
            SAGEMAKER_GONE,
            "sagemaker",
            "describe_notebook_instance",
            {"NotebookInstanceName": n},
        )
        for n in names
    )
    return [summary(d, SUMMARY_KEYS) for d in found if d]


def _running_cost(inv: RegionInventory, n: NotebookInstanceSummaryTypeDef) -> Cost:
    status = n["NotebookInstanceStatus"]
    if status not in RUNNING:
        return Cost(0.0, f"notebook {status}: no instance charges")
    return inv.pricer.instances("sagemaker_notebook_hourly", n["InstanceType"], 1, inv.region)


KIND = ResourceType(
    service="sagemaker",
    type=TYPE,
    kind="notebook",
    aliases=("sagemaker-notebook",),
    list_all=_list_all,
    by_ids=_by_ids,
    reads=("sagemaker:ListNotebookInstances", "sagemaker:DescribeNotebookInstance"),
    id_of=pick("NotebookInstanceName"),
    arn_of=listed_arn("NotebookInstanceArn"),
    tags=SAGEMAKER_INDEX,
    billed_as=SAGEMAKER_BILLING,
    gone_codes=SAGEMAKER_GONE,
    add_tags=sagemaker_tags,
    running_cost=_running_cost,
    # Opening a notebook (the console's "Open JupyterLab" asks for a presigned URL) or
    # starting it is use: its idle clock starts again.
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
)
