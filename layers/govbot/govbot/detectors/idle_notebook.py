"""SageMaker notebook instances left running that nobody has opened for days."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from pydantic import Field

from govbot.detectors import register
from govbot.detectors.base import Details, Detector, DetectorSettings, Mode
from govbot.inventory import RegionInventory
from govbot.models import Finding

NOTEBOOK = "AWS::SageMaker::NotebookInstance"


class IdleNotebookSettings(DetectorSettings):
    mode: Mode = Mode.APPROVE
    idle_hours: float = Field(
        72, gt=0, description="Stop notebook instances not opened or started for this long."
    )


class IdleNotebookDetails(Details):
    instance_type: str
    last_used: datetime
    # Where last_used comes from: an open or start seen in CloudTrail, or, until one is seen,
    # the instance's LastModifiedTime (a start, stop or update moves it; an open does not).
    last_used_source: str
    created: datetime | None = None


@register
class IdleNotebook(Detector[IdleNotebookSettings]):
    id = "idle-notebook"
    settings_model = IdleNotebookSettings
    details_model = IdleNotebookDetails
    permissions = (
        "sagemaker:ListNotebookInstances",
        "sagemaker:DescribeNotebookInstance",
        "tag:GetResources",
    )

    def detect(self, inv: RegionInventory, settings: IdleNotebookSettings) -> Iterator[Finding]:
        window = timedelta(hours=settings.idle_hours)
        for n in inv.notebook_instances:
            if n["NotebookInstanceStatus"] != "InService":
                continue  # stopped, stopping, pending, failed: no instance charge to stop
            name = n["NotebookInstanceName"]
            modified = n.get("LastModifiedTime") or n.get("CreationTime")
            if modified is None:
                continue
            last_used = inv.since(NOTEBOOK, name, modified)
            if not inv.older_than(last_used, window):
                continue
            seen = inv.clock(NOTEBOOK, name)
            source = (
                "opened or started (CloudTrail)"
                if seen is not None and seen >= modified
                else "LastModifiedTime (no open seen yet)"
            )
            cost = inv.pricer.instances(
                "sagemaker_notebook_hourly", n["InstanceType"], 1, inv.region
            )
            yield Finding(
                detector=self.id,
                resource_id=name,
                resource_arn=n["NotebookInstanceArn"],
                resource_type=NOTEBOOK,
                region=inv.region,
                account_id=inv.account_id,
                monthly_cost_usd=cost.monthly_usd,
                reason=(
                    f"{n['InstanceType']} notebook in service, not opened since "
                    f"{last_used:%Y-%m-%d %H:%M} ({source})"
                ),
                proposed_action=(
                    "stop the notebook instance (its storage volume and files stay; start it "
                    "to carry on)"
                ),
                details=IdleNotebookDetails(
                    instance_type=n["InstanceType"],
                    last_used=last_used,
                    last_used_source=source,
                    created=n.get("CreationTime"),
                    cost_basis=f"{cost.basis}; its ML storage volume is billed either way",
                ).model_dump(mode="json"),
                tags=inv.tags(n["NotebookInstanceArn"]),
            )
