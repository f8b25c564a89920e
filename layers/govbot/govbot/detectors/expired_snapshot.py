"""govbot's own snapshots past their keep date: nothing govbot makes may become the next waste.

Before deleting an orphaned volume govbot snapshots it, tagged with the volume's id and the day
the snapshot may go (the policy's ``snapshot_retention_days`` from the fix). Past that day the
snapshot is moved to the archive tier (75 % cheaper, restorable) or deleted, as the policy
says; approval by default. Snapshots govbot did not take are never this detector's.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Literal

from pydantic import Field

from govbot.cycle.models import Finding, Undecided, money
from govbot.detectors.base import Details, Detector, DetectorSettings, Mode
from govbot.detectors.registry import register
from govbot.inventory import RegionInventory
from govbot.kinds import snapshot

EXPIRES_TAG = snapshot.EXPIRES_TAG
SOURCE_TAG = "govbot:source-volume"


class ExpiredSnapshotSettings(DetectorSettings):
    mode: Mode = Mode.APPROVE
    retire: Literal["archive", "delete"] = Field(
        "archive", description="What happens to an expired snapshot: the archive tier, or gone."
    )


class ExpiredSnapshotDetails(Details):
    source_volume: str
    size_gib: int
    expires_on: date
    storage_tier: str
    retire: Literal["archive", "delete"]
    # Archiving keeps the snapshot at the archive price: the fix saves the difference.
    net_monthly_saving_usd: float | None = None


@register
class ExpiredSnapshot(Detector[ExpiredSnapshotSettings]):
    id = "expired-snapshot"
    kinds = (snapshot.TYPE,)
    settings_model = ExpiredSnapshotSettings
    details_model = ExpiredSnapshotDetails
    permissions = ()

    def detect(
        self, inv: RegionInventory, settings: ExpiredSnapshotSettings
    ) -> Iterator[Finding | Undecided]:
        today = inv.now.date()
        for snap in inv.listed(snapshot.KIND):
            tags = snapshot.KIND.tags_of(inv, snap)
            try:
                expires = date.fromisoformat(tags.get(EXPIRES_TAG, ""))
            except ValueError:
                continue  # not a keep date govbot wrote: leave the snapshot alone
            tier = snap.get("StorageTier", "standard")
            if expires >= today or (settings.retire == "archive" and tier == "archive"):
                continue
            size = snap["VolumeSize"]
            cost = inv.pricer.ebs_snapshot(size, inv.region, tier)
            kept = (today - expires).days
            retrieval = inv.pricer.snapshot_retrieval(size, inv.region)
            # What bringing it back would cost, once: said before anyone approves the archive.
            back = (
                f"bringing it back costs {money(retrieval.monthly_usd)} once"
                if retrieval.monthly_usd is not None
                else "bringing it back is charged per GB retrieved"
            )
            net = cost.monthly_usd
            if settings.retire == "archive" and net is not None:
                archived = inv.pricer.ebs_snapshot(size, inv.region, "archive").monthly_usd
                net = None if archived is None else round(net - archived, 2)
            yield Finding(
                detector=self.id,
                resource_id=snap["SnapshotId"],
                resource_arn=snapshot.KIND.arn_of(inv, snap),
                resource_type=snapshot.TYPE,
                region=inv.region,
                account_id=inv.account_id,
                monthly_cost_usd=cost.monthly_usd,
                reason=(
                    f"govbot's snapshot of {tags.get(SOURCE_TAG, 'a deleted volume')} was due to "
                    f"go on {expires:%Y-%m-%d} ({kept} day(s) ago)"
                ),
                proposed_action=(
                    f"move it to the archive tier (restorable; {back})"
                    if settings.retire == "archive"
                    else "delete it"
                ),
                details=ExpiredSnapshotDetails(
                    source_volume=tags.get(SOURCE_TAG, ""),
                    size_gib=size,
                    expires_on=expires,
                    storage_tier=tier,
                    retire=settings.retire,
                    net_monthly_saving_usd=net,
                    cost_basis=cost.basis,
                ).model_dump(mode="json"),
                tags=tags,
            )
