"""Event models for what reaches govbot's functions, built on Powertools Parser's models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, ConfigDict, Json


class ScheduledEvent(EventBridgeModel):
    """An EventBridge rule's "Scheduled Event"; EventBridge Scheduler sends ``detail`` as the
    string "{}", so both forms are accepted."""

    detail: dict[str, Any] | Json[dict[str, Any]]


class CloudTrailDetail(BaseModel):
    """The detail of "AWS API Call via CloudTrail". Fields vary by service and age, so only
    what govbot reads is named, and only the call's identity is required."""

    model_config = ConfigDict(extra="allow")

    eventSource: str
    eventName: str
    awsRegion: str | None = None
    eventTime: datetime | None = None
    errorCode: str | None = None
    requestParameters: dict[str, Any] | None = None
    responseElements: dict[str, Any] | None = None


class TrainingJobStateDetail(BaseModel):
    """ "SageMaker Training Job State Change"."""

    model_config = ConfigDict(extra="allow")

    TrainingJobName: str
    TrainingJobStatus: str
    TrainingJobArn: str | None = None


class EndpointStateDetail(BaseModel):
    """ "SageMaker Endpoint State Change"."""

    model_config = ConfigDict(extra="allow")

    EndpointName: str
    EndpointStatus: str
    EndpointArn: str | None = None
