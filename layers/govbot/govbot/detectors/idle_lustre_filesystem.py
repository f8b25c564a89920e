"""FSx for Lustre file systems nothing read from or wrote to, left from finished training.

Idle: no bytes read or written and no metadata operations (``AWS/FSx`` DataReadBytes,
DataWriteBytes and MetadataOperations, by ``FileSystemId``, summed over the window). No
reading at all: not judged. Priced by storage capacity at the deployment type's and
throughput tier's rate.

The fix (approval by default) deletes it with a final backup, from which restore creates it
again. AWS backs up neither scratch file systems nor those linked to S3: those are reported
with that said and the S3 paths that keep their data, never deleted by govbot.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field

from govbot.cycle.models import Finding, Undecided
from govbot.detectors.base import Details, Detector, DetectorSettings, Mode
from govbot.detectors.registry import register
from govbot.inventory import MetricQuery, RegionInventory, whole
from govbot.kinds import lustre_filesystem as lustre

NAMESPACE = "AWS/FSx"
ACTIVITY = ("DataReadBytes", "DataWriteBytes", "MetadataOperations")


class IdleLustreFilesystemSettings(DetectorSettings):
    mode: Mode = Mode.APPROVE
    idle_days: float = Field(
        7, gt=0, description="No data read or written, no metadata operations, for this long."
    )


class IdleLustreFilesystemDetails(Details):
    file_system_arn: str
    deployment_type: str  # SCRATCH_1, SCRATCH_2, PERSISTENT_1, PERSISTENT_2
    storage_type: str
    storage_capacity_gib: int
    per_unit_storage_throughput: int | None = None  # MB/s per TiB (persistent)
    created: datetime
    subnet_ids: list[str] = Field(default_factory=list)
    s3_links: list[str] = Field(default_factory=list)  # where its data also lives
    # Why govbot does not delete it (None: with a final backup, after approval).
    kept_because: str | None = None


@register
class IdleLustreFilesystem(Detector[IdleLustreFilesystemSettings]):
    id = "idle-lustre-filesystem"
    kinds = (lustre.TYPE,)
    settings_model = IdleLustreFilesystemSettings
    details_model = IdleLustreFilesystemDetails
    permissions = ("cloudwatch:GetMetricData", "fsx:DescribeDataRepositoryAssociations")

    def detect(
        self, inv: RegionInventory, settings: IdleLustreFilesystemSettings
    ) -> Iterator[Finding | Undecided]:
        window = timedelta(days=settings.idle_days)
        candidates = [
            fs
            for fs in inv.listed(lustre.KIND)
            if fs.get("Lifecycle") == "AVAILABLE" and inv.older_than(fs["CreationTime"], window)
        ]
        if not candidates:
            return
        # Three sums a file system, all in GetMetricData batches of 500.
        queries = [
            MetricQuery(
                NAMESPACE, metric, (("FileSystemId", fs["FileSystemId"]),), "Sum", whole(window)
            )
            for fs in candidates
            for metric in ACTIVITY
        ]
        values = inv.metric_values(queries, window)
        for i, fs in enumerate(candidates):
            readings = values[i * len(ACTIVITY) : (i + 1) * len(ACTIVITY)]
            if not any(readings):
                yield self.cannot_judge(
                    inv,
                    lustre.TYPE,
                    fs["FileSystemId"],
                    f"no {NAMESPACE} activity metrics in the last {settings.idle_days:g} days",
                )
            elif not any(sum(r) > 0 for r in readings):
                yield self._finding(inv, fs, settings)

    def _finding(
        self, inv: RegionInventory, fs: Any, settings: IdleLustreFilesystemSettings
    ) -> Finding:
        kind, config = lustre.deployment(fs), fs["LustreConfiguration"]
        links = lustre.s3_links(inv, fs)
        cost = lustre.monthly_cost(inv, fs)
        where = f"; its data is kept in S3 at {', '.join(links)}" if links else ""
        if lustre.scratch(fs):
            kept: str | None = f"a scratch file system cannot be backed up{where}"
        elif links:
            kept = (
                f"a file system linked to S3 cannot be backed up{where}: export what S3 "
                "lacks (a data repository task), then delete it by hand"
            )
        else:
            kept = None
        return Finding(
            detector=self.id,
            resource_id=fs["FileSystemId"],
            resource_arn=fs["ResourceARN"],
            resource_type=lustre.TYPE,
            region=inv.region,
            account_id=inv.account_id,
            monthly_cost_usd=cost.monthly_usd,
            reason=(
                f"{fs['StorageCapacity']:,} GiB {kind} Lustre file system with no data read or "
                f"written and no metadata operations in the last {settings.idle_days:g} days"
            ),
            proposed_action=(
                f"none: {kept}"
                if kept
                else "delete it with a final backup (billed per GB-month of backup storage); "
                "restore creates it again from the backup"
            ),
            details=IdleLustreFilesystemDetails(
                file_system_arn=fs["ResourceARN"],
                deployment_type=kind,
                storage_type=fs.get("StorageType", "SSD"),
                storage_capacity_gib=fs["StorageCapacity"],
                per_unit_storage_throughput=config.get("PerUnitStorageThroughput"),
                created=fs["CreationTime"],
                subnet_ids=fs.get("SubnetIds", []),
                s3_links=links,
                kept_because=kept,
                cost_basis=cost.basis,
            ).model_dump(mode="json"),
            tags=lustre.KIND.tags_of(inv, fs),
        )
