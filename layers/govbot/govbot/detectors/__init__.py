"""The detector registry: one module per detector, registered by id."""

from __future__ import annotations

# Importing the modules fills the registry; the order here is the order of reports.
from govbot.detectors import (
    expired_snapshot,
    idle_endpoint,
    idle_gpu_instance,
    idle_lustre_filesystem,
    idle_notebook,
    idle_provisioned_throughput,
    idle_studio_app,
    idle_vector_collection,
    log_retention_gap,
    orphaned_volume,
    overprovisioned_endpoint,
    runaway_training_job,
    studio_idle_shutdown_off,
    training_without_spot,
    untagged_resource,
    unused_capacity_reservation,
)
from govbot.detectors.base import Details, Detector, DetectorSettings, Mode
from govbot.detectors.registry import DETECTORS, register, sweep_permissions

__all__ = [
    "DETECTORS",
    "Details",
    "Detector",
    "DetectorSettings",
    "Mode",
    "expired_snapshot",
    "idle_endpoint",
    "idle_gpu_instance",
    "idle_lustre_filesystem",
    "idle_notebook",
    "idle_provisioned_throughput",
    "idle_studio_app",
    "idle_vector_collection",
    "log_retention_gap",
    "orphaned_volume",
    "overprovisioned_endpoint",
    "register",
    "runaway_training_job",
    "studio_idle_shutdown_off",
    "sweep_permissions",
    "training_without_spot",
    "untagged_resource",
    "unused_capacity_reservation",
]
