"""FSx for Lustre as the FSx API answers it; moto keeps the create request as the answer.

Written from the Amazon FSx API Reference (CreateFileSystem, DescribeFileSystems,
DeleteFileSystem, CreateFileSystemFromBackup, DescribeBackups,
DescribeDataRepositoryAssociations and the FileSystem, LustreFileSystemConfiguration, Backup
and DataRepositoryAssociation data types) and botocore's fsx model:

- a file system answers ``OwnerId``, ``CreationTime``, ``Lifecycle`` (AVAILABLE), the
  deployment type (SCRATCH_1 unless asked), ``MountName``; a persistent one its
  ``PerUnitStorageThroughput``; one created with an ``ImportPath`` is linked to S3
  (``DataRepositoryConfiguration``, the ``ExportPath`` defaulting to the import path);
- DeleteFileSystem takes no final backup unless ``SkipFinalBackup`` is false; "Backups
  cannot be enabled on S3-linked file systems" (the API reference), nor on scratch ones
  ("FSx for Lustre User Guide: backups are not supported on scratch file systems"): both
  are BadRequest; a final backup is a USER_INITIATED backup holding the file system's
  description, tagged with ``FinalBackupTags`` (or its own tags if it copies them);
- CreateFileSystemFromBackup makes a file system of the backup's deployment type, size and
  throughput; an unknown backup is BackupNotFound, an unknown file system FileSystemNotFound;
- DescribeDataRepositoryAssociations pages 25 at most and filters on ``file-system-id``.

Other file system types go to moto's own handlers. The CloudWatch side (``AWS/FSx``
DataReadBytes, DataWriteBytes, MetadataOperations by ``FileSystemId``) is put by
``govbot_emulator.estate.make_lustre_activity``.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any

from govbot_emulator.moto_extensions import DEFAULT_ACCOUNT

ASSOCIATIONS_MAX = 25  # DescribeDataRepositoryAssociations' MaxResults maximum


def _backend(region: str, account: str) -> Any:
    from moto.fsx.models import fsx_backends

    return fsx_backends[account][region]


def _state(backend: Any) -> dict[str, dict[str, Any]]:
    if not hasattr(backend, "govbot_lustre"):
        backend.govbot_lustre = {"file_systems": {}, "backups": {}, "associations": {}}
    return backend.govbot_lustre  # type: ignore[no-any-return]


def _error(code: str, message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError(code, message)


def _hex(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(9)[:17]}"


def install() -> None:
    """Teach moto's FSx the Lustre calls govbot makes. Idempotent."""
    from moto.fsx.responses import FSxResponse

    if getattr(FSxResponse, "govbot_lustre", False):
        return
    originals = {
        name: getattr(FSxResponse, name) for name in ("create_file_system", "delete_file_system")
    }

    def account_region(self: Any) -> tuple[str, str]:
        return self.current_account, self.region

    def make(self: Any, params: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        backend = self.fsx_backend
        account, region = account_region(self)
        deployment = config.get("DeploymentType", "SCRATCH_1")
        fid = _hex("fs")
        arn = f"arn:aws:fsx:{region}:{account}:file-system/{fid}"
        lustre: dict[str, Any] = {
            "WeeklyMaintenanceStartTime": config.get("WeeklyMaintenanceStartTime", "1:05:00"),
            "DeploymentType": deployment,
            "MountName": secrets.token_hex(4),
            "CopyTagsToBackups": bool(config.get("CopyTagsToBackups", False)),
            "DataCompressionType": config.get("DataCompressionType", "NONE"),
        }
        if deployment.startswith("PERSISTENT"):
            if "PerUnitStorageThroughput" not in config:
                raise _error("BadRequest", f"PerUnitStorageThroughput is required for {deployment}")
            lustre["PerUnitStorageThroughput"] = config["PerUnitStorageThroughput"]
            lustre["AutomaticBackupRetentionDays"] = config.get("AutomaticBackupRetentionDays", 0)
        if config.get("ImportPath"):
            lustre["DataRepositoryConfiguration"] = {
                "Lifecycle": "AVAILABLE",
                "ImportPath": config["ImportPath"],
                "ExportPath": config.get("ExportPath", config["ImportPath"]),
                "ImportedFileChunkSize": config.get("ImportedFileChunkSize", 1024),
                "AutoImportPolicy": config.get("AutoImportPolicy", "NONE"),
            }
        record = {
            "OwnerId": account,
            "CreationTime": datetime.now(UTC).timestamp(),
            "FileSystemId": fid,
            "FileSystemType": "LUSTRE",
            "Lifecycle": "AVAILABLE",
            "StorageCapacity": params["StorageCapacity"],
            "StorageType": params.get("StorageType", "SSD"),
            "SubnetIds": params.get("SubnetIds", []),
            "NetworkInterfaceIds": [],
            "DNSName": f"{fid}.fsx.{region}.amazonaws.com",
            "ResourceARN": arn,
            "LustreConfiguration": lustre,
            "FileSystemTypeVersion": params.get("FileSystemTypeVersion", "2.15"),
        }
        _state(backend)["file_systems"][fid] = record
        if params.get("Tags"):
            backend.tagger.tag_resource(arn, params["Tags"])
        return record

    def shown(self: Any, record: dict[str, Any]) -> dict[str, Any]:
        return {**record, "Tags": self.fsx_backend.list_tags_for_resource(record["ResourceARN"])}

    def create_file_system(self: Any) -> str:
        params = json.loads(self.body)
        if params.get("FileSystemType") != "LUSTRE":
            return str(originals["create_file_system"](self))
        record = make(self, params, params.get("LustreConfiguration") or {})
        return json.dumps({"FileSystem": shown(self, record)})

    def describe_file_systems(self: Any) -> str:
        """Lustre ones as above, the others as moto keeps them (look-alikes to skip)."""
        params = json.loads(self.body or "{}")
        every = {
            **{fid: fs.to_dict() for fid, fs in self.fsx_backend.file_systems.items()},
            **{fid: shown(self, r) for fid, r in _state(self.fsx_backend)["file_systems"].items()},
        }
        ids = params.get("FileSystemIds")
        for fid in ids or []:
            if fid not in every:
                raise _error("FileSystemNotFound", f"File system '{fid}' does not exist.")
        found = [fs for fid, fs in every.items() if not ids or fid in ids]
        start = int(params.get("NextToken") or 0)
        size = int(params.get("MaxResults") or 2147483647)
        answer: dict[str, Any] = {"FileSystems": found[start : start + size]}
        if start + size < len(found):
            answer["NextToken"] = str(start + size)
        return json.dumps(answer)

    def delete_file_system(self: Any) -> str:
        params = json.loads(self.body)
        fid = params["FileSystemId"]
        state = _state(self.fsx_backend)
        record = state["file_systems"].get(fid)
        if record is None:
            return str(originals["delete_file_system"](self))
        ask = params.get("LustreConfiguration") or {}
        response: dict[str, Any] = {}
        if ask.get("SkipFinalBackup") is False:
            lustre = record["LustreConfiguration"]
            if lustre["DeploymentType"].startswith("SCRATCH"):
                raise _error("BadRequest", "Backups are not supported on scratch file systems.")
            if lustre.get("DataRepositoryConfiguration") or any(
                a["FileSystemId"] == fid for a in state["associations"].values()
            ):
                raise _error("BadRequest", "Backups cannot be enabled on S3-linked file systems.")
            tags = ask.get("FinalBackupTags") or (
                self.fsx_backend.list_tags_for_resource(record["ResourceARN"])
                if lustre["CopyTagsToBackups"]
                else []
            )
            backup = _backup(self, shown(self, record), tags)
            response = {"FinalBackupId": backup["BackupId"], "FinalBackupTags": tags}
        del state["file_systems"][fid]
        return json.dumps(
            {"FileSystemId": fid, "Lifecycle": "DELETING", "LustreResponse": response}
        )

    def _backup(self: Any, described: dict[str, Any], tags: list[Any]) -> dict[str, Any]:
        account, region = account_region(self)
        bid = _hex("backup")
        arn = f"arn:aws:fsx:{region}:{account}:backup/{bid}"
        backup = {
            "BackupId": bid,
            "Lifecycle": "AVAILABLE",
            "Type": "USER_INITIATED",
            "CreationTime": datetime.now(UTC).timestamp(),
            "ResourceARN": arn,
            "FileSystem": {k: v for k, v in described.items() if k != "Tags"},
            "OwnerId": account,
            "ResourceType": "FILE_SYSTEM",
        }
        _state(self.fsx_backend)["backups"][bid] = backup
        if tags:
            self.fsx_backend.tagger.tag_resource(arn, tags)
        return backup

    def describe_backups(self: Any) -> str:
        params = json.loads(self.body or "{}")
        backups = _state(self.fsx_backend)["backups"]
        ids = params.get("BackupIds")
        for bid in ids or []:
            if bid not in backups:
                raise _error("BackupNotFound", f"Backup '{bid}' does not exist.")
        wanted = {f["Name"]: f["Values"] for f in params.get("Filters") or []}

        def of(b: dict[str, Any]) -> str:
            return str(b["FileSystem"]["FileSystemId"])

        found = [
            {**b, "Tags": self.fsx_backend.list_tags_for_resource(b["ResourceARN"])}
            for bid, b in backups.items()
            if (not ids or bid in ids) and of(b) in wanted.get("file-system-id", [of(b)])
        ]
        return json.dumps({"Backups": found})

    def create_file_system_from_backup(self: Any) -> str:
        params = json.loads(self.body)
        backup = _state(self.fsx_backend)["backups"].get(params["BackupId"])
        if backup is None:
            raise _error("BackupNotFound", f"Backup '{params['BackupId']}' does not exist.")
        was = backup["FileSystem"]
        config = {
            **{
                k: v
                for k, v in was["LustreConfiguration"].items()
                if k in ("DeploymentType", "PerUnitStorageThroughput", "CopyTagsToBackups")
            },
            **(params.get("LustreConfiguration") or {}),
        }
        record = make(
            self,
            {
                "StorageCapacity": params.get("StorageCapacity", was["StorageCapacity"]),
                "StorageType": params.get("StorageType", was["StorageType"]),
                "SubnetIds": params["SubnetIds"],
                "Tags": params.get("Tags"),
            },
            config,
        )
        return json.dumps({"FileSystem": shown(self, record)})

    def describe_data_repository_associations(self: Any) -> str:
        params = json.loads(self.body or "{}")
        size = int(params.get("MaxResults") or ASSOCIATIONS_MAX)
        if not 1 <= size <= ASSOCIATIONS_MAX:
            raise _error("BadRequest", f"MaxResults must be between 1 and {ASSOCIATIONS_MAX}")
        wanted = {f["Name"]: f["Values"] for f in params.get("Filters") or []}
        found = [
            a
            for a in _state(self.fsx_backend)["associations"].values()
            if a["FileSystemId"] in wanted.get("file-system-id", [a["FileSystemId"]])
        ]
        start = int(params.get("NextToken") or 0)
        answer: dict[str, Any] = {"Associations": found[start : start + size]}
        if start + size < len(found):
            answer["NextToken"] = str(start + size)
        return json.dumps(answer)

    for name, method in (
        ("create_file_system", create_file_system),
        ("describe_file_systems", describe_file_systems),
        ("delete_file_system", delete_file_system),
        ("describe_backups", describe_backups),
        ("create_file_system_from_backup", create_file_system_from_backup),
        ("describe_data_repository_associations", describe_data_repository_associations),
    ):
        setattr(FSxResponse, name, method)
    FSxResponse.govbot_lustre = True  # type: ignore[attr-defined]


# -- what only the estate's history can set ------------------------------------------------


def set_file_system_created(
    region: str, file_system_id: str, created: datetime, account: str = DEFAULT_ACCOUNT
) -> None:
    record = _state(_backend(region, account))["file_systems"][file_system_id]
    record["CreationTime"] = created.astimezone(UTC).timestamp()


def add_data_repository_association(
    region: str,
    file_system_id: str,
    data_repository_path: str,
    account: str = DEFAULT_ACCOUNT,
    file_system_path: str = "/ns1",
) -> str:
    """A file system linked to S3 by a data repository association (what
    CreateDataRepositoryAssociation leaves once AVAILABLE)."""
    aid = _hex("dra")
    _state(_backend(region, account))["associations"][aid] = {
        "AssociationId": aid,
        "ResourceARN": f"arn:aws:fsx:{region}:{account}:association/{file_system_id}/{aid}",
        "FileSystemId": file_system_id,
        "Lifecycle": "AVAILABLE",
        "FileSystemPath": file_system_path,
        "DataRepositoryPath": data_repository_path,
        "BatchImportMetaDataOnCreate": False,
        "ImportedFileChunkSize": 1024,
        "CreationTime": datetime.now(UTC).timestamp(),
    }
    return aid
