"""Event models for what reaches govbot's functions, built on Powertools Parser's models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, ConfigDict, Field, Json, field_validator


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
    # Epoch milliseconds as a string in the published sample; pydantic reads either form.
    TrainingStartTime: datetime | None = None
    Tags: dict[str, str] = Field(default_factory=dict)

    @field_validator("Tags", mode="before")
    @classmethod
    def _tags_may_be_empty_or_odd(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else {}


class EndpointStateDetail(BaseModel):
    """ "SageMaker Endpoint State Change"."""

    model_config = ConfigDict(extra="allow")

    EndpointName: str
    EndpointStatus: str
    EndpointArn: str | None = None
