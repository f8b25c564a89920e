"""Event models for what reaches govbot's functions, built on Powertools Parser's models."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import Json


class ScheduledEvent(EventBridgeModel):
    """An EventBridge rule's "Scheduled Event"; EventBridge Scheduler sends ``detail`` as the
    string "{}", so both forms are accepted."""

    detail: dict[str, Any] | Json[dict[str, Any]]
