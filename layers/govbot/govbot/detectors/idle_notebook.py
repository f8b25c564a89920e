"""SageMaker notebook instances left running that nobody has opened for days."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from pydantic import Field

from govbot.cycle.models import Finding
from govbot.detectors.base import Details, Detector, DetectorSettings, Mode
from govbot.detectors.registry import register
from govbot.inventory import RegionInventory
from govbot.kinds import notebook
from govbot.kinds.notebook import TYPE as NOTEBOOK

# The calls that mean a person used the notebook.
OPENS = ("CreatePresignedNotebookInstanceUrl", "StartNotebookInstance")


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
    kinds = (NOTEBOOK,)
    settings_model = IdleNotebookSettings
    details_model = IdleNotebookDetails
    permissions = ("cloudtrail:LookupEvents",)

    def detect(self, inv: RegionInventory, settings: IdleNotebookSettings) -> Iterator[Finding]:
        window = timedelta(hours=settings.idle_hours)
        # In service and, by its own dates and the opens the real-time function saw, unused
        # for the window: only these are worth a look in CloudTrail's history.
        maybe = []
        for n in inv.listed(notebook.KIND):
            if n["NotebookInstanceStatus"] != "InService":
                continue  # stopped, stopping, pending, failed: no instance charge to stop
            modified = n.get("LastModifiedTime") or n.get("CreationTime")
            if modified is not None and inv.older_than(
                inv.since(NOTEBOOK, n["NotebookInstanceName"], modified), window
            ):
                maybe.append((n, modified))
        if not maybe:
            return
        # Opens and starts over the window from the event history too: one a real-time
        # event never reported (before govbot was deployed, an event lost) still counts.
        seen = {
            c["request"].get("notebookInstanceName")
            for call in OPENS
            for c in inv.api_calls_since(call, inv.now - window)
        }
        for n, modified in maybe:
            name = n["NotebookInstanceName"]
            if name in seen:
                continue  # opened or started within the window
            last_used = inv.since(NOTEBOOK, name, modified)
            clock = inv.clock(NOTEBOOK, name)
            source = (
                "opened or started (CloudTrail)"
                if clock is not None and clock >= modified
                else "LastModifiedTime (no open seen)"
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
                tags=notebook.KIND.tags_of(inv, n),
            )
