"""The policy: which regions to sweep, and per detector whether it runs, its mode and thresholds.

A policy is YAML validated by pydantic; an error names the bad field by its path
(``detectors.idle-endpoint.idle_hours``). Every field has a default, so an empty file is the
default policy (documented in policies/default.yaml).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import botocore.session
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

from govbot.cycle.exemptions import EXEMPT_TAG, SNOOZE_TAG
from govbot.detectors import DETECTORS, DetectorSettings
from govbot.pricing.pricer import PriceOverrides

REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")


class PolicyError(ValueError):
    """A policy that cannot be used; the message says which field and why."""


@cache
def known_regions() -> frozenset[str]:
    """Every region the SDK's endpoint data names, in every partition."""
    session = botocore.session.get_session()
    return frozenset(
        region
        for partition in session.get_available_partitions()
        for region in session.get_available_regions("ec2", partition_name=partition)
    )


def _field_name(detector_id: str) -> str:
    return detector_id.replace("-", "_")


# One field per registered detector, keyed by its id; unknown ids are rejected.
DetectorsPolicy: type[BaseModel] = create_model(  # type: ignore[call-overload]
    "DetectorsPolicy",
    __config__=ConfigDict(extra="forbid", populate_by_name=True),
    **{
        _field_name(det_id): (
            det.settings_model,
            Field(default_factory=det.settings_model, alias=det_id),
        )
        for det_id, det in DETECTORS.items()
    },
)


SLACK_USER_OR_GROUP = r"^[UWS][A-Z0-9]{2,}$"


class SlackSettings(BaseModel):
    """Where digests go and who may press the buttons."""

    model_config = ConfigDict(extra="forbid")

    channel: str | None = Field(default=None, description="Channel id or name for digests.")
    approvers: list[Annotated[str, StringConstraints(pattern=SLACK_USER_OR_GROUP)]] = Field(
        default_factory=list,
        description="Slack user ids (U…, W…) or user group ids (S…) allowed to decide.",
    )
    owner_tag: str = Field(default="owner", min_length=1)
    owners: dict[str, Annotated[str, StringConstraints(pattern=SLACK_USER_OR_GROUP)]] = Field(
        default_factory=dict, description="Owner tag value -> Slack user id, to mention them."
    )
    snooze_days: int = Field(default=7, ge=1, le=90, description="What the Snooze button buys.")


ACCOUNT_ID = r"^\d{12}$"


class OrganizationSettings(BaseModel):
    """Which accounts a fan-out sweeps (management-account installs with FanOut=true)."""

    model_config = ConfigDict(extra="forbid")

    accounts: list[Annotated[str, StringConstraints(pattern=ACCOUNT_ID)]] = Field(
        default_factory=list, description="An explicit list; empty: every active account."
    )
    organizational_units: list[str] = Field(
        default_factory=list, description="Only accounts under these OUs (ou-… or r-…)."
    )
    account_tags: dict[str, str] = Field(
        default_factory=dict, description="Only accounts carrying all these tags."
    )
    exclude_accounts: list[Annotated[str, StringConstraints(pattern=ACCOUNT_ID)]] = Field(
        default_factory=list
    )
    member_role: str = Field(default="govbot-sweep", description="Role the sweep assumes.")
    remediation_role: str = Field(default="govbot-remediate", description="Role fixes assume.")


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    regions: list[str] = Field(
        default_factory=list,
        description="Regions to sweep; empty means the caller's default region.",
    )
    team_tags: list[Annotated[str, StringConstraints(min_length=1)]] = Field(
        default_factory=lambda: ["team", "owner", "cost-center"],
        description="Tags naming the team a resource's spend belongs to, first found wins "
        "(savings and the report group by it).",
    )
    exempt_tag: str = Field(default=EXEMPT_TAG, min_length=1)
    snooze_tag: str = Field(default=SNOOZE_TAG, min_length=1)
    detectors: DetectorsPolicy = Field(default_factory=DetectorsPolicy)  # type: ignore[valid-type]
    pricing: PriceOverrides = Field(default_factory=PriceOverrides)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    organization: OrganizationSettings = Field(default_factory=OrganizationSettings)
    on_budget_breach: dict[str, Any] = Field(
        default_factory=dict,
        description="A partial policy merged over this one for the sweep a budget breach "
        "triggers, e.g. {detectors: {runaway-training-job: {mode: auto}}}.",
    )

    @model_validator(mode="after")
    def _breach_overlay_is_a_valid_policy(self) -> Policy:
        if self.on_budget_breach:
            try:
                self.breach_policy()
            except ValidationError as err:
                raise ValueError(
                    "on_budget_breach does not make a valid policy:\n"
                    + format_validation_error(err)
                ) from err
        return self

    def breach_policy(self) -> Policy:
        """This policy with ``on_budget_breach`` merged over it (nested maps merge)."""
        merged = _deep_merge(self.model_dump(mode="json", by_alias=True), self.on_budget_breach)
        merged["on_budget_breach"] = {}
        return Policy.model_validate(merged)

    @field_validator("regions")
    @classmethod
    def _regions_look_like_regions(cls, regions: list[str]) -> list[str]:
        bad = [r for r in regions if not REGION_RE.match(r)]
        if bad:
            raise ValueError(f"not AWS region names: {', '.join(bad)}")
        unknown = [r for r in regions if r not in known_regions()]
        if unknown:
            raise ValueError(
                f"unknown region(s): {', '.join(unknown)} (the SDK knows "
                f"{', '.join(sorted(known_regions()))})"
            )
        return list(dict.fromkeys(regions))  # keep order, drop repeats

    def with_regions(self, regions: list[str]) -> Policy:
        """The same policy sweeping other regions; ValueError names any that are not regions."""
        return self.model_copy(update={"regions": self._regions_look_like_regions(regions)})

    def only(self, detector_ids: Iterable[str]) -> Policy:
        """The same policy with every other detector disabled."""
        keep = set(detector_ids)
        detectors = BaseModel.model_copy(
            self.detectors,
            update={
                _field_name(d): self.settings(d).model_copy(update={"enabled": False})
                for d in DETECTORS
                if d not in keep
            },
        )
        return self.model_copy(update={"detectors": detectors})

    def team_of(self, tags: dict[str, str]) -> str | None:
        """The team a resource's spend belongs to: its first team tag with a value."""
        return next((tags[k].strip() for k in self.team_tags if tags.get(k, "").strip()), None)

    def settings(self, detector_id: str) -> DetectorSettings:
        return getattr(self.detectors, _field_name(detector_id))  # type: ignore[no-any-return]

    def enabled_detectors(self) -> list[str]:
        return [d for d in DETECTORS if self.settings(d).enabled]


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def format_validation_error(err: ValidationError) -> str:
    lines = []
    for e in err.errors():
        path = ".".join(str(p) for p in e["loc"]) or "(top level)"
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = "unknown field"
            if e["loc"][:1] == ("detectors",) and len(e["loc"]) == 2:
                msg = f"unknown detector; known detectors: {', '.join(DETECTORS)}"
        lines.append(f"  {path}: {msg}")
    return "\n".join(lines)


def parse_policy(data: Any, source: str = "policy") -> Policy:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PolicyError(f"{source}: a policy must be a mapping, got {type(data).__name__}")
    try:
        return Policy.model_validate(data)
    except ValidationError as err:
        raise PolicyError(
            f"{source} is not a valid policy:\n{format_validation_error(err)}"
        ) from err


def policy_from_yaml(text: str, source: str = "policy") -> Policy:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise PolicyError(f"{source} is not valid YAML: {err}") from err
    return parse_policy(data, source)


def load_policy(path: str | Path | None) -> Policy:
    """The policy in a YAML file, or the defaults when no path is given."""
    if path is None:
        return Policy()
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as err:
        raise PolicyError(f"cannot read policy {path}: {err.strerror}") from err
    return policy_from_yaml(text, str(path))
