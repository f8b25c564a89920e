"""SageMaker Studio apps (JupyterLab, Code Editor, kernel gateways) running on an instance that
nobody has used for hours, and Canvas sessions left logged in.

SageMaker reports each app's ``LastUserActivityTimestamp``. AWS documents that health checks
move it too, so it can only look more recent than the last real use, never older: an app it
calls unused for the window was unused. An app that reports no activity at all is not judged.
Canvas bills per session-hour while its user stays logged in and reports inactivity only as a
CloudWatch metric (``TimeSinceLastActive``); Studio's idle shutdown does not cover it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field

from govbot.cycle.models import Finding, Undecided
from govbot.detectors.base import Details, Detector, DetectorSettings, Mode
from govbot.detectors.registry import register
from govbot.inventory import MetricQuery, RegionInventory, whole
from govbot.kinds import studio
from govbot.pricing.pricer import Cost

# Where Canvas reports its users' inactivity (the Canvas auto-shutdown guide's alarm reads it).
CANVAS_NAMESPACE = "/aws/sagemaker/Canvas/AppActivity"
CANVAS_READING = timedelta(hours=1)


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


def canvas(app: dict[str, Any]) -> bool:
    """A SageMaker Canvas app in service: a user logged in to Canvas (its own per-user app)."""
    return app.get("Status") == "InService" and app.get("AppType") == "Canvas"


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
    # Beyond its kinds' reads: Canvas's inactivity metric.
    permissions = ("cloudwatch:GetMetricData",)

    def detect(
        self, inv: RegionInventory, settings: IdleStudioAppSettings
    ) -> Iterator[Finding | Undecided]:
        window = timedelta(hours=settings.idle_hours)
        # Only apps older than the window can have idled through it.
        old = [a for a in inv.listed(studio.APP_KIND) if inv.older_than(a["CreationTime"], window)]
        yield from self._canvas_sessions(inv, settings, [a for a in old if canvas(a)])
        candidates = [studio.app_id(a) for a in old if working(a)]
        inv.prefetch(lambda rid: studio.describe_app(inv, rid), candidates)
        for rid in candidates:
            app = studio.describe_app(inv, rid)
            if app is None or not working(app):
                continue  # deleted or stopping since the listing
            last = app.get("LastUserActivityTimestamp")
            if last is None:
                yield self._undecided(inv, rid, "SageMaker reports no user activity for this app")
                continue
            if not inv.older_than(last, window):
                continue
            spec = _spec(app)
            instance_type = spec["InstanceType"]
            cost = inv.pricer.instances("sagemaker_notebook_hourly", instance_type, 1, inv.region)
            yield self._finding(
                inv,
                app,
                last,
                instance_type,
                cost,
                reason=f"{app['AppType']} app on {instance_type} in {_owner(app)}, no user "
                f"activity since {last:%Y-%m-%d %H:%M}",
                action="delete the app (its instance stops billing; the space's storage and files "
                "stay, and opening the space starts a new one)",
                basis=f"{cost.basis} (Studio apps bill at SageMaker notebook rates)",
            )

    def _canvas_sessions(
        self, inv: RegionInventory, settings: IdleStudioAppSettings, apps: list[dict[str, Any]]
    ) -> Iterator[Finding | Undecided]:
        """Canvas bills a workspace instance per session-hour while its user stays logged in,
        and says how long the user has been inactive only in CloudWatch (its apps report no
        last activity): TimeSinceLastActive, seconds, per domain and user profile. Idle when
        every reading of the last hour is past the window; no reading, no judgement."""
        if not apps:
            return
        queries = [
            MetricQuery(
                CANVAS_NAMESPACE,
                "TimeSinceLastActive",
                (("DomainId", str(a["DomainId"])), ("UserProfileName", str(a["UserProfileName"]))),
                "Minimum",
                whole(CANVAS_READING),
            )
            for a in apps
        ]
        readings = inv.metric_values(queries, CANVAS_READING)
        limit = settings.idle_hours * 3600
        for app, values in zip(apps, readings, strict=True):
            rid = studio.app_id(app)
            if not values:
                yield self._undecided(
                    inv,
                    rid,
                    "Canvas published no TimeSinceLastActive for this user in the last hour",
                )
                continue
            idle_for = min(values)
            if idle_for < limit:
                continue
            cost = inv.pricer.canvas_session(inv.region)
            yield self._finding(
                inv,
                app,
                inv.now - timedelta(seconds=idle_for),
                "Canvas workspace",
                cost,
                # Stable wording (no figure that grows each sweep): the stored finding changes
                # only when it should.
                reason=f"Canvas session of {_owner(app)} logged in with no activity for over "
                f"{settings.idle_hours:g} h (TimeSinceLastActive)",
                action="log the user out of Canvas (delete the Canvas app: models and datasets "
                "stay, and logging in again starts a new session)",
                basis=cost.basis,
            )

    def _undecided(self, inv: RegionInventory, rid: str, why: str) -> Undecided:
        return self.cannot_judge(inv, studio.APP, rid, f"cannot judge: {why}")

    def _finding(
        self,
        inv: RegionInventory,
        app: dict[str, Any],
        last: datetime,
        instance_type: str,
        cost: Cost,
        *,
        reason: str,
        action: str,
        basis: str,
    ) -> Finding:
        rid = studio.app_id(app)
        # The owner's tags (an exempt space exempts its apps), then the app's own.
        owner_arn = studio.owner_arn(rid, inv.region, inv.account_id)
        tags = {**studio.tags(inv, owner_arn), **studio.APP_KIND.tags_of(inv, app)}
        return Finding(
            detector=self.id,
            resource_id=rid,
            resource_arn=studio.APP_KIND.arn_of(inv, app),
            resource_type=studio.APP,
            region=inv.region,
            account_id=inv.account_id,
            monthly_cost_usd=cost.monthly_usd,
            reason=reason,
            proposed_action=action,
            details=IdleStudioAppDetails(
                domain_id=str(app["DomainId"]),
                owner=_owner(app),
                app_type=str(app["AppType"]),
                app_name=str(app["AppName"]),
                instance_type=instance_type,
                last_activity=last,
                resource_spec=_spec(app),
                cost_basis=basis,
            ).model_dump(mode="json"),
            tags=tags,
        )


def _owner(app: dict[str, Any]) -> str:
    if app.get("SpaceName"):
        return f"space {app['SpaceName']}"
    return f"user profile {app['UserProfileName']}"


def _spec(app: dict[str, Any]) -> dict[str, str]:
    """What CreateApp needs to bring the app back as it was (image, instance type)."""
    return {k: str(v) for k, v in dict(app.get("ResourceSpec") or {}).items()}
