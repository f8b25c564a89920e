"""EBS volumes attached to nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from pydantic import Field

from govbot.cycle.models import Finding
from govbot.detectors.base import Details, Detector, DetectorSettings, Mode
from govbot.detectors.registry import register
from govbot.inventory import RegionInventory
from govbot.kinds import volume


class OrphanedVolumeSettings(DetectorSettings):
    mode: Mode = Mode.APPROVE
    min_age_days: float = Field(7, ge=0, description="Only volumes created longer ago than this.")
    snapshot_retention_days: int = Field(
        90, ge=1, description="How long the fix's snapshot is kept before expired-snapshot."
    )


class OrphanedVolumeDetails(Details):
    size_gib: int
    volume_type: str
    iops: int | None = None
    throughput: int | None = None
    availability_zone: str
    created: datetime
    age_days: int
    unattached_since: datetime
    waste_since: datetime | None = None  # known from an event (a detach): the first_seen
    snapshot_id: str | None = None
    encrypted: bool = False
    # The fix keeps a snapshot, which costs too: what it adds, and what the fix saves net.
    snapshot_monthly_usd: float | None = None
    net_monthly_saving_usd: float | None = None
    snapshot_retention_days: int = 90


@register
class OrphanedVolume(Detector[OrphanedVolumeSettings]):
    id = "orphaned-volume"
    kinds = (volume.TYPE,)
    settings_model = OrphanedVolumeSettings
    details_model = OrphanedVolumeDetails
    permissions = ()

    def detect(self, inv: RegionInventory, settings: OrphanedVolumeSettings) -> Iterator[Finding]:
        min_age = timedelta(days=settings.min_age_days)
        for v in inv.listed(volume.KIND):
            since = inv.since(volume.TYPE, v["VolumeId"], v["CreateTime"])
            if v["State"] != "available" or not inv.older_than(since, min_age):
                continue
            age_days = (inv.now - since).days
            cost = volume.cost(inv, v)
            snapshot = inv.pricer.ebs_snapshot(v["Size"], inv.region)
            net = (
                round(cost.monthly_usd - snapshot.monthly_usd, 2)
                if cost.monthly_usd is not None and snapshot.monthly_usd is not None
                else None
            )
            yield Finding(
                detector=self.id,
                resource_id=v["VolumeId"],
                resource_arn=volume.KIND.arn_of(inv, v),
                resource_type=volume.TYPE,
                region=inv.region,
                account_id=inv.account_id,
                monthly_cost_usd=cost.monthly_usd,
                # A date, not a count of days: the reason stays the same from one sweep to the
                # next, so the stored finding is not rewritten every night.
                reason=(
                    f"{v['Size']} GiB {v['VolumeType']} volume attached to nothing since "
                    f"{since:%Y-%m-%d}"
                ),
                proposed_action=(
                    "snapshot the volume, then delete it once the snapshot completes"
                    if net is None or net >= 0
                    else "none on its own: a snapshot may cost more than this volume; delete "
                    "it by hand if its data is not needed"
                ),
                details=OrphanedVolumeDetails(
                    size_gib=v["Size"],
                    volume_type=v["VolumeType"],
                    iops=v.get("Iops"),
                    throughput=v.get("Throughput"),
                    availability_zone=v["AvailabilityZone"],
                    created=v["CreateTime"],
                    age_days=age_days,
                    unattached_since=since,
                    waste_since=inv.clock(volume.TYPE, v["VolumeId"]),
                    snapshot_id=v.get("SnapshotId") or None,
                    encrypted=v.get("Encrypted", False),
                    snapshot_monthly_usd=snapshot.monthly_usd,
                    net_monthly_saving_usd=net,
                    snapshot_retention_days=settings.snapshot_retention_days,
                    cost_basis=f"{cost.basis}; the fix keeps a {snapshot.basis}",
                ).model_dump(mode="json"),
                tags=volume.KIND.tags_of(inv, v),
            )
