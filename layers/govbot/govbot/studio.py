"""SageMaker Studio's resources as govbot names them, and how their idle shutdown reads.

A Studio app is named by its domain, its owner (a space or, in Studio Classic, a user profile),
its type and its name; govbot's id for it carries all four, so a re-check, a fix and a restore
can address it alone. User profiles and spaces are named within their domain.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from govbot.aws import partition

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
