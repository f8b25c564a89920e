"""The detector registry: one module per detector, registered by id."""

from __future__ import annotations

from typing import Any

from govbot.detectors.base import Details, Detector, DetectorSettings, Mode

DETECTORS: dict[str, type[Detector[Any]]] = {}


def register(cls: type[Detector[Any]]) -> type[Detector[Any]]:
    if cls.id in DETECTORS:
        raise ValueError(f"detector {cls.id!r} registered twice")
    if not cls.permissions:
        raise ValueError(f"detector {cls.id!r} declares no IAM permissions")
    if "details_model" not in cls.__dict__:
        raise ValueError(f"detector {cls.id!r} declares no details model")
    DETECTORS[cls.id] = cls
    return cls


def sweep_permissions() -> set[str]:
    """Every IAM action a sweep reads with: the registered detectors', and the Price List's
    (the costs of what they find)."""
    from govbot.price_list import PERMISSIONS as PRICES

    return {p for det in DETECTORS.values() for p in det.permissions} | set(PRICES)


# Importing the modules fills the registry; the order here is the order of reports.
from govbot.detectors import (  # noqa: E402
    expired_snapshot,
    idle_endpoint,
    idle_gpu_instance,
    idle_notebook,
    idle_provisioned_throughput,
    idle_studio_app,
    log_retention_gap,
    orphaned_volume,
    overprovisioned_endpoint,
    runaway_training_job,
    studio_idle_shutdown_off,
    training_without_spot,
    untagged_resource,
)

__all__ = [
    "DETECTORS",
    "Details",
    "Detector",
    "DetectorSettings",
    "Mode",
    "expired_snapshot",
    "idle_endpoint",
    "idle_gpu_instance",
    "idle_notebook",
    "idle_provisioned_throughput",
    "idle_studio_app",
    "log_retention_gap",
    "orphaned_volume",
    "overprovisioned_endpoint",
    "register",
    "runaway_training_job",
    "studio_idle_shutdown_off",
    "sweep_permissions",
    "training_without_spot",
    "untagged_resource",
]
