"""Event models for what reaches govbot's functions, built on Powertools Parser's models."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, ConfigDict, Field, Json, ValidationError, field_validator


class ScheduledEvent(EventBridgeModel):
    """An EventBridge rule's "Scheduled Event"; EventBridge Scheduler sends ``detail`` as the
    string "{}", so both forms are accepted, and shapes that leave out fields govbot does not
    read (``version``, ``id``, ``resources``) are taken as they are."""

    version: str = "0"
    id: str = ""
    resources: list[str] = Field(default_factory=list)
    detail: dict[str, Any] | Json[dict[str, Any]] = Field(default_factory=dict)


def _object_or_none(value: Any) -> Any:
    # CloudTrail writes "null" (a string) or nothing where a call returned no elements.
    return value if isinstance(value, dict) else None


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

    _objects = field_validator("requestParameters", "responseElements", mode="before")(
        _object_or_none
    )


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


class AffectedEntity(BaseModel):
    model_config = ConfigDict(extra="allow")

    entityValue: str


class HealthDetail(BaseModel):
    """ "AWS Health Event": the event type, and what it affects (an id, or for the ODCR
    summary "cr-… | us-east-1b | t3.medium | Linux/UNIX | 0.0%")."""

    model_config = ConfigDict(extra="allow")

    eventTypeCode: str
    service: str | None = None
    affectedEntities: list[AffectedEntity] = Field(default_factory=list)

    def resource_ids(self) -> list[str]:
        ids = (e.entityValue.split("|", 1)[0].strip() for e in self.affectedEntities)
        return list(dict.fromkeys(i for i in ids if i))


class BadEvent(ValueError):
    """An event a function cannot take; the message names what is wrong with it."""


ModelT = TypeVar("ModelT", bound=BaseModel)


def parse_event(model: type[ModelT], raw: Any, what: str) -> ModelT:
    """``raw`` as ``model``, or BadEvent naming the first field that is wrong (and how many
    more are), instead of a bare validation error."""
    try:
        return model.model_validate(raw)
    except ValidationError as err:
        problems = err.errors()
        first = problems[0]
        where = ".".join(str(p) for p in first["loc"]) or "the event"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise BadEvent(f"{what} expects {model.__name__}: {where}: {first['msg']}{more}") from None
