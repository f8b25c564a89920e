"""FSx for Lustre file systems (DescribeFileSystems lists every FSx type: only Lustre here).

A file system bills its storage capacity by the GB-month at its deployment type's and
throughput tier's rate, read or not. Scratch file systems cannot be backed up, nor can one
linked to S3 (an import path, or a data repository association): its data lives in S3.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govbot.kinds.base import (
    ResourceType,
    RestoreCommand,
    TagsInListing,
    all_or_each,
    listed_arn,
    pick,
)
from govbot.pricing.pricer import Cost

if TYPE_CHECKING:
    from govbot.inventory import RegionInventory

TYPE = "AWS::FSx::FileSystem"
GONE = frozenset({"FileSystemNotFound"})
BILLING = frozenset({"AVAILABLE", "UPDATING", "MISCONFIGURED", "MISCONFIGURED_UNAVAILABLE"})
ASSOCIATIONS_PAGE = 25  # DescribeDataRepositoryAssociations' documented maximum
FILTER_VALUES = 20  # a filter's values at most (botocore's fsx FilterValues)


def _read(inv: RegionInventory, **kw: Any) -> list[Any]:
    # DescribeFileSystems' MaxResults defaults to its maximum: one page unless AWS splits it.
    paginator = inv.clients.client("fsx", inv.region).get_paginator("describe_file_systems")
    return [
        fs
        for page in paginator.paginate(**kw)
        for fs in page["FileSystems"]
        if fs["FileSystemType"] == "LUSTRE"
    ]


def _list_all(inv: RegionInventory) -> list[Any]:
    return _read(inv)


def _by_ids(inv: RegionInventory, ids: list[str]) -> list[Any]:
    return all_or_each(lambda some: _read(inv, FileSystemIds=some), GONE, ids)


def billing(fs: Any) -> bool:
    return fs.get("Lifecycle") in BILLING


def deployment(fs: Any) -> str:
    return str(fs["LustreConfiguration"]["DeploymentType"])


def scratch(fs: Any) -> bool:
    return deployment(fs).startswith("SCRATCH")


def s3_links(inv: RegionInventory, fs: Any) -> list[str]:
    """The S3 paths a file system is linked to: its import and export paths, and its data
    repository associations (read for every file system asked about, in bulk, once)."""
    config = fs["LustreConfiguration"].get("DataRepositoryConfiguration") or {}
    paths = [config[k] for k in ("ImportPath", "ExportPath") if config.get(k)]
    paths += associations(inv).get(fs["FileSystemId"], [])
    return list(dict.fromkeys(paths))


def associations(inv: RegionInventory) -> dict[str, list[str]]:
    """Data repository associations of the region's Lustre file systems, by file system:
    DescribeDataRepositoryAssociations filtered on their ids, 25 a page."""

    def read() -> dict[str, list[str]]:
        ids = [fs["FileSystemId"] for fs in inv.listed(KIND)]
        found: dict[str, list[str]] = {}
        fsx = inv.clients.client("fsx", inv.region)
        for start in range(0, len(ids), FILTER_VALUES):
            # botocore has no paginator for it: NextToken by hand.
            ask: dict[str, Any] = {
                "Filters": [
                    {"Name": "file-system-id", "Values": ids[start : start + FILTER_VALUES]}
                ],
                "MaxResults": ASSOCIATIONS_PAGE,
            }
            while True:
                page = fsx.describe_data_repository_associations(**ask)
                for a in page["Associations"]:
                    found.setdefault(a["FileSystemId"], []).append(a["DataRepositoryPath"])
                if not page.get("NextToken"):
                    break
                ask["NextToken"] = page["NextToken"]
        return found

    return inv.once(("fsx-associations",), read)


def monthly_cost(inv: RegionInventory, fs: Any) -> Cost:
    lustre = fs["LustreConfiguration"]
    return inv.pricer.lustre(
        deployment(fs),
        fs.get("StorageType", "SSD"),
        lustre.get("PerUnitStorageThroughput"),
        fs["StorageCapacity"],
        inv.region,
    )


def _running_cost(inv: RegionInventory, fs: Any) -> Cost:
    if not billing(fs):
        return Cost(0.0, f"file system {fs.get('Lifecycle')}: no storage charges")
    return monthly_cost(inv, fs)


KIND = ResourceType(
    service="fsx",
    type=TYPE,
    kind="lustre-filesystem",
    list_all=_list_all,
    by_ids=_by_ids,
    reads=("fsx:DescribeFileSystems",),
    id_of=pick("FileSystemId"),
    arn_of=listed_arn("ResourceARN"),
    tags=TagsInListing(),
    billed_as=("fsx",),
    gone_codes=GONE,
    running_cost=_running_cost,
    alive=billing,
    restore=RestoreCommand(
        "FILE_SYSTEM_ID",
        "Id of the deleted file system.",
        "Create a file system govbot deleted again from its final backup (a new id and "
        "mount name).",
    ),
)
