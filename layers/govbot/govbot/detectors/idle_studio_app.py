"""SageMaker Studio apps (JupyterLab, Code Editor, kernel gateways) running on an instance that
nobody has used for hours.

SageMaker reports each app's ``LastUserActivityTimestamp``. AWS documents that health checks
move it too, so it can only look more recent than the last real use, never older: an app it
calls unused for the window was unused. An app that reports no activity at all is not judged.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from pydantic import Field

from govbot.cycle.models import Finding, Undecided
from govbot.detectors.base import Details, Detector, DetectorSettings, Mode
from govbot.detectors.registry import register
from govbot.inventory import RegionInventory
from govbot.kinds import studio


class IdleStudioAppSettings(DetectorSettings):
    mode: Mode = Mode.APPROVE
    idle_hours: float = Field(
        24, gt=0, description="Delete Studio apps with no user activity for this long."
    )


class IdleStudioAppDetails(Details):
    domain_id: str
    owner: str  # "space NAME" or "user profile NAME"
    app_type: str
    app_name: str
    instance_type: str
    last_activity: datetime
    # What CreateApp needs to bring the app back as it was (image, lifecycle config).
    resource_spec: dict[str, str]


def working(app: dict[str, object]) -> bool:
    """An app a person works in, running on its own instance (never the domain's system
    apps, nor apps being deleted or failed)."""
    spec = app.get("ResourceSpec") or {}
    return (
        app.get("Status") == "InService"
        and app.get("AppType") in studio.WORK_APPS
        and isinstance(spec, dict)
        and spec.get("InstanceType") not in (None, "system")
    )


@register
class IdleStudioApp(Detector[IdleStudioAppSettings]):
    id = "idle-studio-app"
    kinds = (studio.APP,)
    settings_model = IdleStudioAppSettings
    details_model = IdleStudioAppDetails
    permissions = ()

    def detect(
        self, inv: RegionInventory, settings: IdleStudioAppSettings
    ) -> Iterator[Finding | Undecided]:
        window = timedelta(hours=settings.idle_hours)
        # Only apps older than the window can have idled through it.
        candidates = [
            studio.app_id(a)
            for a in inv.listed(studio.APP_KIND)
            if working(a) and inv.older_than(a["CreationTime"], window)
        ]
        inv.prefetch(lambda rid: studio.describe_app(inv, rid), candidates)
        for rid in candidates:
            app = studio.describe_app(inv, rid)
            if app is None or not working(app):
                continue  # deleted or stopping since the listing
            last = app.get("LastUserActivityTimestamp")
            if last is None:
                yield Undecided(
                    detector=self.id,
                    resource_id=rid,
                    resource_type=studio.APP,
                    region=inv.region,
                    account_id=inv.account_id,
                    reason="cannot judge: SageMaker reports no user activity for this app",
                )
                continue
            if not inv.older_than(last, window):
                continue
            yield self._finding(inv, rid, app, last)

    def _finding(
        self, inv: RegionInventory, rid: str, app: dict[str, object], last: datetime
    ) -> Finding:
        spec = {k: str(v) for k, v in dict(app["ResourceSpec"]).items()}  # type: ignore[call-overload]
        instance_type = spec["InstanceType"]
        owner = (
            f"space {app['SpaceName']}"
            if app.get("SpaceName")
            else f"user profile {app['UserProfileName']}"
        )
        cost = inv.pricer.instances("sagemaker_notebook_hourly", instance_type, 1, inv.region)
        # The owner's tags (an exempt space exempts its apps), then the app's own.
        owner_arn = studio.owner_arn(rid, inv.region, inv.account_id)
        tags = {**studio.tags(inv, owner_arn), **studio.APP_KIND.tags_of(inv, app)}
        return Finding(
            detector=self.id,
            resource_id=rid,
            resource_arn=str(app["AppArn"]),
            resource_type=studio.APP,
            region=inv.region,
            account_id=inv.account_id,
            monthly_cost_usd=cost.monthly_usd,
            reason=(
                f"{app['AppType']} app on {instance_type} in {owner}, no user activity since "
                f"{last:%Y-%m-%d %H:%M}"
            ),
            proposed_action=(
                "delete the app (its instance stops billing; the space's storage and files "
                "stay, and opening the space starts a new one)"
            ),
            details=IdleStudioAppDetails(
                domain_id=str(app["DomainId"]),
                owner=owner,
                app_type=str(app["AppType"]),
                app_name=str(app["AppName"]),
                instance_type=instance_type,
                last_activity=last,
                resource_spec=spec,
                cost_basis=f"{cost.basis} (Studio apps bill at SageMaker notebook rates)",
            ).model_dump(mode="json"),
            tags=tags,
        )
