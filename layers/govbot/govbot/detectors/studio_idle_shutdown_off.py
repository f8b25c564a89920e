"""SageMaker Studio domains, user profiles and spaces where JupyterLab or Code Editor apps are
never shut down when idle.

Idle shutdown (``AppLifecycleManagement.IdleSettings``) removes the cause of idle apps rather
than chasing them. A domain sets it for everyone; a user profile or space that says nothing
follows its domain, so only one that turns it off, or sets a timeout longer than the policy
allows, is a finding of its own.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import Field, model_validator

from govbot.cycle.models import Finding, money
from govbot.detectors.base import Details, Detector, DetectorSettings, Mode
from govbot.detectors.idle_studio_app import working
from govbot.detectors.registry import register
from govbot.inventory import RegionInventory
from govbot.kinds import studio
from govbot.pricing.pricer import Cost


class StudioIdleShutdownOffSettings(DetectorSettings):
    mode: Mode = Mode.APPROVE
    idle_timeout_minutes: int = Field(
        60, ge=60, le=525600, description="The fix turns idle shutdown on after this long."
    )
    max_idle_timeout_minutes: int = Field(
        1440, ge=60, le=525600, description="A timeout longer than this counts as off."
    )

    @model_validator(mode="after")
    def _timeout_within_max(self) -> StudioIdleShutdownOffSettings:
        if self.idle_timeout_minutes > self.max_idle_timeout_minutes:
            raise ValueError("idle_timeout_minutes must not exceed max_idle_timeout_minutes")
        return self


class StudioIdleShutdownOffDetails(Details):
    scope: str  # domain, user profile or space
    domain_id: str
    # App type -> what is wrong ("never turned on", "turned off", "after 10080 minutes").
    gaps: dict[str, str]
    # The app types' settings blocks as they are: the fix keeps all but idle shutdown.
    blocks: dict[str, Any]
    timeout_minutes: int
    running_apps: int | None = None  # work apps in service in its scope (a sweep's count)
    running_monthly_usd: float | None = None


@register
class StudioIdleShutdownOff(Detector[StudioIdleShutdownOffSettings]):
    id = "studio-idle-shutdown-off"
    kinds = (studio.DOMAIN, studio.USER_PROFILE, studio.SPACE)
    settings_model = StudioIdleShutdownOffSettings
    details_model = StudioIdleShutdownOffDetails
    # Beyond its kinds' reads: the apps running under each setting (a sweep's count).
    permissions = ("sagemaker:ListApps",)

    def detect(
        self, inv: RegionInventory, settings: StudioIdleShutdownOffSettings
    ) -> Iterator[Finding]:
        owners = {
            (s["DomainId"], s["SpaceName"]): (s.get("OwnershipSettings") or {}).get(
                "OwnerUserProfileName"
            )
            for s in inv.listed(studio.SPACE_KIND)
        }
        for d in inv.listed(studio.DOMAIN_KIND):
            yield from self._judge(
                inv,
                settings,
                studio.DOMAIN,
                d["DomainId"],
                d,
                lambda a, d=d: a["DomainId"] == d["DomainId"],
            )
        for u in inv.listed(studio.USER_PROFILE_KIND):
            domain, user = u["DomainId"], u["UserProfileName"]

            def mine(a: Mapping[str, Any], domain: str = domain, user: str = user) -> bool:
                return a["DomainId"] == domain and (
                    a.get("UserProfileName") == user
                    or owners.get((domain, a.get("SpaceName"))) == user
                )

            yield from self._judge(inv, settings, studio.USER_PROFILE, f"{domain}/{user}", u, mine)
        for s in inv.listed(studio.SPACE_KIND):
            domain, space = s["DomainId"], s["SpaceName"]
            yield from self._judge(
                inv,
                settings,
                studio.SPACE,
                f"{domain}/{space}",
                s,
                lambda a, domain=domain, space=space: (
                    (a["DomainId"], a.get("SpaceName")) == (domain, space)
                ),
            )

    def _judge(
        self,
        inv: RegionInventory,
        settings: StudioIdleShutdownOffSettings,
        rtype: str,
        rid: str,
        described: Mapping[str, Any],
        in_scope: Any,
    ) -> Iterator[Finding]:
        if described.get("Status") not in ("InService", None):
            return  # being created, updated or deleted: the next sweep sees it settled
        scope = studio.SCOPES[rtype]
        block = described.get(scope.settings_key) or {}
        gaps = {
            t: gap
            for t in studio.SHUTDOWN_APPS
            if (
                gap := studio.shutdown_gap(
                    rtype, studio.idle_settings(block, t), settings.max_idle_timeout_minutes
                )
            )
        }
        if not gaps:
            return
        running = self._running(inv, in_scope)
        said = ", ".join(f"{t} {g}" for t, g in gaps.items())
        stake = (
            f"; {running[0]} app(s) run in it now, {money(running[1].monthly_usd)}/month while "
            "they run"
            if running and running[0]
            else ""
        )
        arn = str(described[scope.arn_key])
        yield Finding(
            detector=self.id,
            resource_id=rid,
            resource_arn=arn,
            resource_type=rtype,
            region=inv.region,
            account_id=inv.account_id,
            # A setting bills nothing itself; what it lets idle is priced by idle-studio-app.
            monthly_cost_usd=0.0,
            reason=f"Studio {scope.kind} idle shutdown: {said}{stake}",
            proposed_action=(
                f"shut idle {' and '.join(gaps)} apps down after "
                f"{settings.idle_timeout_minutes} minutes (their storage stays)"
            ),
            details=StudioIdleShutdownOffDetails(
                scope=scope.kind,
                domain_id=str(described["DomainId"]),
                gaps=gaps,
                blocks={
                    f"{t}AppSettings": block[f"{t}AppSettings"]
                    for t in gaps
                    if block.get(f"{t}AppSettings")
                },
                timeout_minutes=settings.idle_timeout_minutes,
                running_apps=running[0] if running else None,
                running_monthly_usd=running[1].monthly_usd if running else None,
                cost_basis=(
                    "a setting: no charge of its own; apps it leaves running idle are priced "
                    "by idle-studio-app"
                ),
            ).model_dump(mode="json"),
            tags=studio.tags(inv, arn),
        )

    @staticmethod
    def _running(inv: RegionInventory, in_scope: Any) -> tuple[int, Cost] | None:
        """The work apps in service in the scope and their price (a sweep only: a re-check
        reads no app listing)."""
        if inv.scope is not None:
            return None
        apps = [a for a in inv.listed(studio.APP_KIND) if working(a) and in_scope(a)]
        cost = Cost.total(
            inv.pricer.instances(
                "sagemaker_notebook_hourly", a["ResourceSpec"]["InstanceType"], 1, inv.region
            )
            for a in apps
        )
        return len(apps), cost
