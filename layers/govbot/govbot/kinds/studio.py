"""SageMaker Studio's resources as govbot names them, and how their idle shutdown reads.

A Studio app is named by its domain, its owner (a space or, in Studio Classic, a user profile),
its type and its name; govbot's id for it carries all four, so a re-check, a fix and a restore
can address it alone. User profiles and spaces are named within their domain.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from govbot.aws import partition
from govbot.inventory import SAGEMAKER_PAGE, every
from govbot.kinds.base import (
    SAGEMAKER_BILLING,
    SAGEMAKER_GONE,
    CloudTrailCall,
    ResourceType,
    RestoreCommand,
    TagsPerResource,
    listed_arn,
    pick,
)

if TYPE_CHECKING:
    from govbot.inventory import RegionInventory

APP = "AWS::SageMaker::App"
DOMAIN = "AWS::SageMaker::Domain"
USER_PROFILE = "AWS::SageMaker::UserProfile"
SPACE = "AWS::SageMaker::Space"

# The app types a person works in, each on an instance of its own. The others (JupyterServer,
# Studio Classic's own interface, and apps on the "system" instance) are the domain's and free.
WORK_APPS = ("JupyterLab", "CodeEditor", "KernelGateway")
# The app types with idle shutdown (AppLifecycleManagement) in their settings.
SHUTDOWN_APPS = ("JupyterLab", "CodeEditor")


def app_id(app: Mapping[str, Any]) -> str:
    """``domain/space/NAME/type/name`` or ``domain/user/NAME/type/name``."""
    owner = (
        f"space/{app['SpaceName']}" if app.get("SpaceName") else f"user/{app['UserProfileName']}"
    )
    return f"{app['DomainId']}/{owner}/{app['AppType']}/{app['AppName']}"


def app_key(resource_id: str) -> dict[str, str]:
    """The parameters DescribeApp, DeleteApp and CreateApp name an app by."""
    parts = resource_id.split("/")
    if len(parts) != 5 or parts[1] not in ("space", "user"):
        raise ValueError(f"not a Studio app id: {resource_id!r} (domain/space|user/NAME/type/name)")
    domain, kind, owner, app_type, name = parts
    key = "SpaceName" if kind == "space" else "UserProfileName"
    return {"DomainId": domain, key: owner, "AppType": app_type, "AppName": name}


def app_arn(app: Mapping[str, Any], region: str, account_id: str) -> str:
    """An app's ARN, which ListApps does not give: app/DOMAIN/OWNER/type/NAME, the type in
    lower case (as DescribeApp answers it, and IAM resources name it)."""
    owner = app.get("SpaceName") or app["UserProfileName"]
    return (
        f"arn:{partition(region)}:sagemaker:{region}:{account_id}:app/{app['DomainId']}/{owner}/"
        f"{str(app['AppType']).lower()}/{app['AppName']}"
    )


def owner_arn(app: str, region: str, account_id: str) -> str:
    """The ARN of the space or user profile an app (by its id) belongs to: its tags are the
    app's too (an exempt space exempts its apps)."""
    key = app_key(app)
    owner = (
        f"space/{key['DomainId']}/{key['SpaceName']}"
        if "SpaceName" in key
        else f"user-profile/{key['DomainId']}/{key['UserProfileName']}"
    )
    return f"arn:{partition(region)}:sagemaker:{region}:{account_id}:{owner}"


def owner_key(resource_id: str) -> dict[str, str]:
    """A user profile's or space's parameters, from ``domain/name``."""
    domain, _, name = resource_id.partition("/")
    if not domain or not name or "/" in name:
        raise ValueError(f"not a Studio user profile or space id: {resource_id!r} (domain/name)")
    return {"DomainId": domain, "Name": name}


@dataclass(frozen=True)
class Scope:
    """Where idle shutdown is set: a domain's defaults, a user profile, or a space."""

    settings_key: str  # the settings block in Describe and Update
    arn_key: str  # where Describe gives its ARN
    kind: str  # in words


SCOPES = {
    DOMAIN: Scope("DefaultUserSettings", "DomainArn", "domain"),
    USER_PROFILE: Scope("UserSettings", "UserProfileArn", "user profile"),
    SPACE: Scope("SpaceSettings", "SpaceArn", "space"),
}


def idle_settings(settings: Mapping[str, Any] | None, app_type: str) -> dict[str, Any] | None:
    """An app type's IdleSettings in a settings block, or None where it sets none (then the
    level above decides: a space or user profile follows its domain)."""
    block = (settings or {}).get(f"{app_type}AppSettings") or {}
    idle = (block.get("AppLifecycleManagement") or {}).get("IdleSettings")
    return dict(idle) if idle else None


def shutdown_gap(
    resource_type: str, idle: Mapping[str, Any] | None, max_minutes: int
) -> str | None:
    """Why idle shutdown is not in effect at this level (None: it is, or the level above
    decides). A domain must enable it; a user profile or space must not turn it off, nor set
    a timeout longer than the policy allows."""
    idle = idle or {}
    state = idle.get("LifecycleManagement")
    timeout = idle.get("IdleTimeoutInMinutes")
    if state == "DISABLED":
        return "turned off"
    if resource_type == DOMAIN and state != "ENABLED":
        return "never turned on"
    if timeout is not None and timeout > max_minutes:
        return f"after {timeout} minutes"
    return None


def with_shutdown(
    settings: Mapping[str, Any] | None, app_type: str, resource_type: str, minutes: int
) -> dict[str, Any]:
    """The app type's settings block with idle shutdown on after ``minutes``, everything else
    in it kept (an update replaces the block it names)."""
    block = dict((settings or {}).get(f"{app_type}AppSettings") or {})
    lifecycle = dict(block.get("AppLifecycleManagement") or {})
    if resource_type == SPACE:
        # A space sets only its timeout; the domain or its owner turns shutdown on.
        lifecycle["IdleSettings"] = {"IdleTimeoutInMinutes": minutes}
    else:
        idle = dict(lifecycle.get("IdleSettings") or {})
        idle |= {"LifecycleManagement": "ENABLED", "IdleTimeoutInMinutes": minutes}
        # Keep a person's bounds consistent with the new timeout.
        if idle.get("MinIdleTimeoutInMinutes", minutes) > minutes:
            idle["MinIdleTimeoutInMinutes"] = minutes
        if idle.get("MaxIdleTimeoutInMinutes", minutes) < minutes:
            idle["MaxIdleTimeoutInMinutes"] = minutes
        lifecycle["IdleSettings"] = idle
    block["AppLifecycleManagement"] = lifecycle
    return block


def update_settings(sagemaker: Any, rtype: str, resource_id: str, blocks: dict[str, Any]) -> None:
    """Write app settings blocks to a domain's defaults, a user profile or a space (each update
    replaces the blocks it names)."""
    if rtype == DOMAIN:
        sagemaker.update_domain(DomainId=resource_id, DefaultUserSettings=blocks)
        return
    key = owner_key(resource_id)
    if rtype == USER_PROFILE:
        sagemaker.update_user_profile(
            DomainId=key["DomainId"], UserProfileName=key["Name"], UserSettings=blocks
        )
    else:
        sagemaker.update_space(
            DomainId=key["DomainId"], SpaceName=key["Name"], SpaceSettings=blocks
        )


# -- reading Studio -------------------------------------------------------------------------


def describe_app(inv: RegionInventory, resource_id: str) -> dict[str, Any] | None:
    """DescribeApp (its last user activity), once per sweep, or None when the app is gone."""
    return inv.described_once(
        ("studio-app", resource_id),
        SAGEMAKER_GONE,
        "sagemaker",
        "describe_app",
        app_key(resource_id),
    )


def _apps(inv: RegionInventory) -> list[dict[str, Any]]:
    """Studio apps, 100 a page (ListApps covers every domain), only where a domain is."""
    if not inv.listed(DOMAIN_KIND):
        return []
    return every(inv.clients.sagemaker(inv.region), "list_apps", "Apps", SAGEMAKER_PAGE)


def _apps_by_ids(inv: RegionInventory, ids: list[str]) -> list[dict[str, Any]]:
    return [a for a in (describe_app(inv, i) for i in ids) if a]


def _domains(inv: RegionInventory, ids: list[str] | None = None) -> list[dict[str, Any]]:
    """Studio domains, each described (their default settings): a listing of 100 a page and
    a describe each; scoped, just the scoped ones."""
    if ids is None:
        sagemaker = inv.clients.sagemaker(inv.region)
        ids = [d["DomainId"] for d in every(sagemaker, "list_domains", "Domains", SAGEMAKER_PAGE)]
    return inv.describe_all(
        [
            (("studio-domain", i), SAGEMAKER_GONE, "sagemaker", "describe_domain", {"DomainId": i})
            for i in ids
        ]
    )


def _idle_shutdown_calls(
    calls: tuple[str, str], id_from: tuple[tuple[str, str], ...]
) -> dict[str, CloudTrailCall]:
    """Created or changed: its idle shutdown is judged at once."""
    return {
        f"sagemaker:{call}": CloudTrailCall(id_from, ("studio-idle-shutdown-off",))
        for call in calls
    }


@dataclass(frozen=True)
class _Owner:
    """A user profile or a space: named within its domain, described for its settings (no
    bulk read carries them), concurrently, and listed only where a domain exists."""

    type: str
    word: str  # on the command line
    noun: str  # in the API's operation names: user_profile | space
    listed: str  # the listing's key
    name_key: str  # UserProfileName | SpaceName
    restore: RestoreCommand

    def kind(self) -> ResourceType:
        pascal = self.noun.title().replace("_", "")
        return ResourceType(
            type=self.type,
            kind=self.word,
            service="sagemaker",
            list_all=self.list_all,
            by_ids=self.by_ids,
            reads=(f"sagemaker:List{pascal}s", f"sagemaker:Describe{pascal}"),
            id_of=self.id_of,
            arn_of=listed_arn(f"{pascal}Arn"),
            tags=_TAGS,
            billed_as=SAGEMAKER_BILLING,
            gone_codes=SAGEMAKER_GONE,
            cloudtrail=_idle_shutdown_calls(
                (f"Create{pascal}", f"Update{pascal}"),
                (("request", f"domainId+{self.name_key[0].lower()}{self.name_key[1:]}"),),
            ),
            restore=self.restore,
        )

    def list_all(self, inv: RegionInventory) -> list[dict[str, Any]]:
        if not inv.listed(DOMAIN_KIND):
            return []
        found = every(
            inv.clients.sagemaker(inv.region), f"list_{self.noun}s", self.listed, SAGEMAKER_PAGE
        )
        return self._describe(inv, [(s["DomainId"], s[self.name_key]) for s in found])

    def by_ids(self, inv: RegionInventory, ids: list[str]) -> list[dict[str, Any]]:
        keys = [owner_key(i) for i in ids]
        return self._describe(inv, [(k["DomainId"], k["Name"]) for k in keys])

    def _describe(self, inv: RegionInventory, names: list[tuple[str, str]]) -> list[dict[str, Any]]:
        return inv.describe_all(
            [
                (
                    (self.noun, d, n),
                    SAGEMAKER_GONE,
                    "sagemaker",
                    f"describe_{self.noun}",
                    {"DomainId": d, self.name_key: n},
                )
                for d, n in names
            ]
        )

    def id_of(self, item: Mapping[str, Any]) -> str:
        return f"{item['DomainId']}/{item[self.name_key]}"


def tags(inv: RegionInventory, arn: str) -> dict[str, str]:
    """A SageMaker resource's tags, one ListTags each: asked only for the few Studio resources
    found, which the Resource Groups Tagging API is not relied on to cover."""

    def read() -> dict[str, str]:
        paginator = inv.clients.sagemaker(inv.region).get_paginator("list_tags")
        return {
            t["Key"]: t.get("Value", "")
            for page in paginator.paginate(ResourceArn=arn, PaginationConfig={"PageSize": 100})
            for t in page.get("Tags", [])
        }

    return inv.once(("sagemaker-tags", arn), read)


_TAGS = TagsPerResource(tags, ("sagemaker:ListTags",))


APP_KIND = ResourceType(
    service="sagemaker",
    type=APP,
    kind="studio-app",
    list_all=_apps,
    by_ids=_apps_by_ids,
    # Apps are listed only where a domain is.
    reads=(
        "sagemaker:ListDomains",
        "sagemaker:DescribeDomain",
        "sagemaker:ListApps",
        "sagemaker:DescribeApp",
    ),
    id_of=app_id,
    arn_of=lambda inv, a: str(a.get("AppArn") or app_arn(a, inv.region, inv.account_id)),
    tags=_TAGS,
    alive=lambda a: a["Status"] != "Deleted",
    billed_as=SAGEMAKER_BILLING,
    gone_codes=SAGEMAKER_GONE,
    restore=RestoreCommand(
        "ID",
        "DOMAIN/space/SPACE/TYPE/NAME, as govbot shows it.",
        "Create a Studio app govbot deleted again, with its recorded image and instance type.",
    ),
)
DOMAIN_KIND = ResourceType(
    service="sagemaker",
    type=DOMAIN,
    kind="studio-domain",
    list_all=_domains,
    by_ids=_domains,
    reads=("sagemaker:ListDomains", "sagemaker:DescribeDomain"),
    id_of=pick("DomainId"),
    arn_of=listed_arn("DomainArn"),
    tags=_TAGS,
    billed_as=SAGEMAKER_BILLING,
    gone_codes=SAGEMAKER_GONE,
    cloudtrail=_idle_shutdown_calls(
        ("CreateDomain", "UpdateDomain"), (("request", "domainId"), ("response", "domainArn"))
    ),
    restore=RestoreCommand(
        "DOMAIN_ID",
        "Studio domain id.",
        "Put a domain's idle shutdown back as it was before govbot turned it on.",
    ),
)
USER_PROFILE_KIND = _Owner(
    USER_PROFILE,
    "studio-user-profile",
    "user_profile",
    "UserProfiles",
    "UserProfileName",
    RestoreCommand(
        "DOMAIN/NAME",
        "Domain id and user profile name.",
        "Put a user profile's idle shutdown back as it was.",
    ),
).kind()
SPACE_KIND = _Owner(
    SPACE,
    "studio-space",
    "space",
    "Spaces",
    "SpaceName",
    RestoreCommand(
        "DOMAIN/NAME",
        "Domain id and space name.",
        "Put a space's idle shutdown timeout back as it was.",
    ),
).kind()
