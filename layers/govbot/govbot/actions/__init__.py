"""The action registry: one module per fix, registered by name, one per detector."""

from __future__ import annotations

from govbot.actions import (
    cancel_capacity_reservation,
    delete_endpoint,
    delete_lustre_filesystem,
    delete_provisioned_throughput,
    delete_search_collection,
    delete_studio_app,
    enable_idle_shutdown,
    resize_endpoint,
    retire_snapshot,
    set_log_retention,
    snapshot_volume,
    stop_instance,
    stop_notebook,
    stop_training_job,
    tag_missing,
)
from govbot.actions.base import Action, ActionContext, ActionResult, Result
from govbot.actions.registry import (
    ACTIONS,
    READS,
    action_for,
    action_permissions,
    action_writes,
    describe_fix,
    register,
    restorable,
    restore_resource,
)

__all__ = [
    "ACTIONS",
    "READS",
    "Action",
    "ActionContext",
    "ActionResult",
    "Result",
    "action_for",
    "action_permissions",
    "action_writes",
    "cancel_capacity_reservation",
    "delete_endpoint",
    "delete_lustre_filesystem",
    "delete_provisioned_throughput",
    "delete_search_collection",
    "delete_studio_app",
    "describe_fix",
    "enable_idle_shutdown",
    "register",
    "resize_endpoint",
    "restorable",
    "restore_resource",
    "retire_snapshot",
    "set_log_retention",
    "snapshot_volume",
    "stop_instance",
    "stop_notebook",
    "stop_training_job",
    "tag_missing",
]
