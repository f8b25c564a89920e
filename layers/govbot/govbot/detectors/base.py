"""What every detector is: an id, its settings, the IAM permissions it reads with, and a
``detect`` that only reads and returns findings (the engine decides what happens next)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from govbot.cycle.models import CostKind, Finding, Undecided
from govbot.kinds import resource_type

if TYPE_CHECKING:
    from govbot.inventory import RegionInventory


class Mode(StrEnum):
    REPORT = "report"
    NOTIFY = "notify"
    APPROVE = "approve"
    AUTO = "auto"


class DetectorSettings(BaseModel):
    """Settings every detector has; each detector adds its thresholds."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    mode: Mode = Mode.APPROVE
    # Safety rails the engine applies before any action (never the actions themselves).
    grace_days: float = Field(
        default=0, ge=0, description="Act only on findings first seen at least this long ago."
    )
    max_actions_per_run: int = Field(
        default=10, ge=0, description="Blast radius: actions per run; the rest wait."
    )


class Details(BaseModel):
    """What a detector tells the actions, the digest and the report about one finding. Each
    detector declares its own, so an action reads typed fields, not a dict's keys."""

    # Findings stored by an older govbot may carry keys a model has since dropped.
    model_config = ConfigDict(extra="ignore")

    cost_basis: str = Field(description="How the monthly cost was worked out.")


DetailsT = TypeVar("DetailsT", bound=Details)
SettingsT = TypeVar("SettingsT", bound=DetectorSettings)


class Detector(ABC, Generic[SettingsT]):
    id: ClassVar[str]
    settings_model: ClassVar[type[DetectorSettings]]
    details_model: ClassVar[type[Details]]
    # The resource kinds it judges (CloudFormation type names, govbot.kinds): what needs
    # "which detectors for this kind or service" derives it from these.
    kinds: ClassVar[tuple[str, ...]]
    # IAM actions it reads with beyond its kinds' own reads (metrics, CloudTrail, describes
    # of what a kind's listing does not carry): ``reads()`` is all of them.
    permissions: ClassVar[tuple[str, ...]] = ()
    # What its findings' figures are (Finding.cost_kind): waste a fix stops, unattributed
    # spend, or a saving per run.
    cost_kind: ClassVar[CostKind] = "waste"

    @classmethod
    def reads(cls) -> tuple[str, ...]:
        """Every IAM action the detector reads with: its kinds' and its own. template.yaml
        must grant the sweep exactly these (and the Price List's)."""
        kinds = {p for k in cls.kinds for p in resource_type(k).permissions}
        return tuple(sorted(kinds | set(cls.permissions)))

    def cannot_judge(
        self, inv: RegionInventory, resource_type: str, resource_id: str, reason: str
    ) -> Undecided:
        """A resource it cannot judge (its kind or metrics cannot be read): reported and
        counted, never acted on."""
        return Undecided(
            detector=self.id,
            resource_id=resource_id,
            resource_type=resource_type,
            region=inv.region,
            account_id=inv.account_id,
            reason=reason,
        )

    @classmethod
    def details(cls, finding: Finding) -> Details:
        return cls.details_model.model_validate(finding.details)

    @abstractmethod
    def detect(self, inv: RegionInventory, settings: SettingsT) -> Iterable[Finding | Undecided]:
        """Yield findings for one region, and what it cannot judge (never acted on). Raise
        botocore errors: the engine reports them."""
