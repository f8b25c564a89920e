"""The data govbot passes around: findings, errors and the report of a sweep."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from enum import StrEnum
from typing import Any, Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field, computed_field

# A detail a detector sets when it knows, from an event, when the waste began (a volume's
# detach); the engine then uses it as the finding's first_seen, so grace periods count from it.
WASTE_SINCE = "waste_since"


def money(value: float | None) -> str:
    """A monthly cost as every report, digest and page writes it."""
    return "unpriced" if value is None else f"${value:,.2f}"


# What a finding's dollar figure is. Only waste adds up to "waste": an untagged resource's own
# spend is unattributed (a busy untagged notebook is not waste), and advice that saves per run
# (training without spot) is neither monthly nor waste.
CostKind = Literal["waste", "unattributed", "per_run"]
COST_UNITS: dict[str, str] = {
    "waste": "/month",
    "unattributed": "/month unattributed",
    "per_run": " per run",
}


# In a table whose column says $/month (and whose total says waste only): what is not monthly
# says so; untagged spend is monthly, its detector says what it is.
COST_TAGS: dict[str, str] = {"waste": "", "unattributed": "", "per_run": "/run"}


def cost_text(value: float | None, kind: CostKind = "waste", *, in_table: bool = False) -> str:
    """A finding's figure with what it means: "$12.00/month", "$3.00 per run"."""
    if value is None:
        return money(value)
    return money(value) + (COST_TAGS if in_table else COST_UNITS)[kind]


class Identity(TypedDict):
    finding_id: str
    account_id: str
    region: str
    resource_type: str
    resource_id: str


class Finding(BaseModel):
    """One resource that wastes money (or cannot be attributed), and what it costs a month."""

    model_config = ConfigDict(frozen=True)

    detector: str
    resource_id: str = Field(description="The name or id a person would use.")
    resource_arn: str
    resource_type: str = Field(description="CloudFormation type name, e.g. AWS::EC2::Volume.")
    region: str
    account_id: str
    monthly_cost_usd: float | None = Field(
        description="What the finding costs, as cost_kind says: the monthly spend a fix would "
        "stop (waste), the resource's own monthly spend (unattributed), or what one run would "
        "save (per_run); null when it cannot be priced."
    )
    cost_kind: CostKind = "waste"
    reason: str
    proposed_action: str
    details: dict[str, Any] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)

    def identity(self) -> Identity:
        """What names the finding and its resource in the records kept about it (the audit
        log, the savings)."""
        return Identity(
            finding_id=self.finding_id,
            account_id=self.account_id,
            region=self.region,
            resource_type=self.resource_type,
            resource_id=self.resource_id,
        )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def finding_id(self) -> str:
        """Stable across sweeps: the same detector on the same resource gives the same id."""
        digest = hashlib.sha256(f"{self.detector}|{self.resource_arn}".encode()).hexdigest()
        return f"{self.detector}-{digest[:16]}"


class Undecided(BaseModel):
    """A resource a detector cannot judge (its kind or metrics cannot be read). It is reported
    and counted, never stored as a finding, so nothing ever acts on it."""

    detector: str
    resource_id: str
    resource_type: str
    region: str
    account_id: str
    reason: str


class Outcome(StrEnum):
    WOULD_ACT = "would act"  # dry run
    QUEUED = "queued for the worker"
    REMEDIATED = "remediated"
    IN_PROGRESS = "in progress"  # a later run finishes it
    ALREADY_GONE = "already gone"
    NO_LONGER_QUALIFIES = "no longer qualifies"
    EXEMPT = "exempt now"
    WAITING_GRACE = "waiting for grace period"
    DEFERRED = "deferred: max actions per run"
    TAKEN = "taken by another run"
    NO_ACTION = "no action in policy"
    HELD = "held for a person"  # the fix would add more spend than it stops
    RETRY = "retry later"  # failed for now (throttled, 5xx, timeout): tried again later
    FAILED = "failed"


class ActionOutcome(BaseModel):
    finding_id: str
    detector: str
    resource_id: str
    region: str
    account_id: str | None = None
    action: str | None
    outcome: Outcome
    message: str
    monthly_cost_usd: float | None = None


class SweepError(BaseModel):
    """A part of the sweep that failed; the rest of the sweep carries on."""

    region: str
    detector: str | None
    code: str
    message: str


class DetectorSummary(BaseModel):
    findings: int = 0
    monthly_cost_usd: float = 0.0
    unpriced: int = 0
    cost_kind: CostKind = "waste"

    def count(self, f: Finding) -> None:
        """Add one finding of the detector: its figure, or one more unpriced."""
        self.findings += 1
        self.cost_kind = f.cost_kind
        if f.monthly_cost_usd is None:
            self.unpriced += 1
        else:
            self.monthly_cost_usd = round(self.monthly_cost_usd + f.monthly_cost_usd, 2)


def spend(findings: Iterable[Finding], kind: CostKind = "waste") -> float:
    """The findings' figures of one kind added up, each resource once (an idle endpoint that
    two detectors flag costs its price once)."""
    per_resource: dict[str, float] = {}
    for f in findings:
        if f.cost_kind == kind and f.monthly_cost_usd is not None:
            per_resource[f.resource_arn] = max(
                per_resource.get(f.resource_arn, 0.0), f.monthly_cost_usd
            )
    return round(sum(per_resource.values()), 2)


def by_detector(
    findings: Iterable[Finding], detector_ids: Iterable[str] = ()
) -> dict[str, DetectorSummary]:
    """Findings, figure and unpriced count per detector (``detector_ids`` first, even when
    they found nothing)."""
    summaries = {d: DetectorSummary() for d in detector_ids}
    for f in findings:
        summaries.setdefault(f.detector, DetectorSummary()).count(f)
    return summaries


class Summary(BaseModel):
    account_id: str | None = None
    findings: int
    exempted: int
    # Waste only (what fixes would stop), each resource counted once.
    total_monthly_cost_usd: float
    # Untagged resources' own spend: shown beside waste, never added to it.
    unattributed_monthly_usd: float = 0.0
    by_detector: dict[str, DetectorSummary]
    regions: list[str]
    units_swept: int
    units_failed: int
    cannot_judge: int = 0
    # Set when prices did not come fresh from the AWS Price List (the bundled table stood in).
    pricing_note: str | None = None


class SweepReport(BaseModel):
    findings: list[Finding]
    # Resources a detector could not judge; never findings, never acted on.
    cannot_judge: list[Undecided] = Field(default_factory=list)
    summary: Summary
    errors: list[SweepError]
    api_calls: dict[str, int]
    # What the engine did or would do with the findings (empty when nothing is stored).
    actions: list[ActionOutcome] = Field(default_factory=list)

    @property
    def nothing_swept(self) -> bool:
        return self.summary.units_swept == 0 and self.summary.units_failed > 0

    @classmethod
    def build(
        cls,
        *,
        findings: Iterable[Finding],
        errors: Iterable[SweepError] = (),
        api_calls: dict[str, int] | None = None,
        regions: list[str] | None = None,
        detector_ids: Iterable[str] | None = None,
        exempted: int = 0,
        units_swept: int = 0,
        units_failed: int = 0,
        account_id: str | None = None,
        cannot_judge: Iterable[Undecided] = (),
        pricing_note: str | None = None,
    ) -> SweepReport:
        """A report; regions and detectors default to those of the findings (a report about a
        few findings: an event's, an organisation's)."""
        findings = list(findings)
        undecided = list(cannot_judge)
        regions = regions if regions is not None else sorted({f.region for f in findings})
        if detector_ids is None:
            detector_ids = sorted({f.detector for f in findings})
        api_calls = api_calls or {}
        ordered = sorted(
            findings,
            key=lambda f: (-(f.monthly_cost_usd or 0.0), f.detector, f.region, f.resource_id),
        )
        summary = Summary(
            account_id=account_id,
            findings=len(ordered),
            exempted=exempted,
            total_monthly_cost_usd=spend(ordered),
            unattributed_monthly_usd=spend(ordered, "unattributed"),
            by_detector=by_detector(ordered, detector_ids),
            regions=regions,
            units_swept=units_swept,
            units_failed=units_failed,
            cannot_judge=len(undecided),
            pricing_note=pricing_note,
        )
        return cls(
            findings=ordered,
            cannot_judge=undecided,
            summary=summary,
            errors=list(errors),
            api_calls=dict(sorted(api_calls.items())),
        )
