"""studio-idle-shutdown-off: where Studio never shuts idle apps down, and turning it on."""

from datetime import timedelta
from typing import Any

import pytest

from govbot.cycle.engine import govern
from govbot.cycle.models import Outcome
from govbot.cycle.policy import PolicyError, parse_policy
from govbot.cycle.restore import RestoreError
from govbot_emulator.estate import (
    idle_shutdown,
    make_studio_app,
    make_studio_domain,
    make_studio_space,
    team_tags,
)
from tests.conftest import FakeLambdaContext, load_event, load_function
from tests.helpers.restoring import restore
from tests.helpers.sweeping import REGION, by_id, sweep_one

ACCOUNT = "123456789012"
DAY = timedelta(days=1)
DETECTOR = "studio-idle-shutdown-off"


def policy(**settings: Any) -> Any:
    return parse_policy({"regions": [REGION], "detectors": {DETECTOR: settings}})


def lab_idle(clients, domain: str) -> dict[str, Any]:
    settings = clients.sagemaker(REGION).describe_domain(DomainId=domain)["DefaultUserSettings"]
    return settings["JupyterLabAppSettings"]["AppLifecycleManagement"]["IdleSettings"]


def test_a_domain_that_never_shuts_apps_down_is_found(clients, now) -> None:
    domain = make_studio_domain(clients, REGION, "ml", {}, tags=team_tags("platform"))
    make_studio_space(clients, REGION, domain, "ana-space", "ana")
    make_studio_app(clients, REGION, domain, "ana-space", "JupyterLab", "ml.g5.xlarge",
                    now, now - DAY)  # fmt: skip
    f = by_id(sweep_one(clients, DETECTOR, now))[domain]
    assert f.resource_type == "AWS::SageMaker::Domain"
    assert f.details["gaps"] == {"JupyterLab": "never turned on", "CodeEditor": "never turned on"}
    assert f.monthly_cost_usd == 0.0  # a setting bills nothing itself
    assert f.details["running_apps"] == 1
    assert "1 app(s) run in it now" in f.reason
    assert f.tags["project"] == "platform"
    # Its user profile and space say nothing of their own: they follow the domain.
    assert set(by_id(sweep_one(clients, DETECTOR, now))) == {domain}


@pytest.mark.parametrize(
    ("settings", "found"),
    [
        (idle_shutdown(60), False),
        (idle_shutdown(1440), False),
        (idle_shutdown(10080), True),  # a week counts as off
        (idle_shutdown(None, off=True), True),
    ],
)
def test_what_counts_as_on(clients, now, settings, found) -> None:
    domain = make_studio_domain(clients, REGION, "ml", settings)
    assert (domain in by_id(sweep_one(clients, DETECTOR, now))) is found


def test_a_user_or_space_that_overrides_the_domain_is_found(clients, now) -> None:
    domain = make_studio_domain(clients, REGION, "ml", idle_shutdown(120))
    make_studio_space(clients, REGION, domain, "follows", "ana")
    make_studio_space(clients, REGION, domain, "week-long", "ben",
                      settings={"JupyterLabAppSettings": {"AppLifecycleManagement": {
                          "IdleSettings": {"IdleTimeoutInMinutes": 10080}}}})  # fmt: skip
    clients.sagemaker(REGION).create_user_profile(
        DomainId=domain, UserProfileName="cy", UserSettings=idle_shutdown(None, off=True)
    )
    found = by_id(sweep_one(clients, DETECTOR, now))
    assert set(found) == {f"{domain}/week-long", f"{domain}/cy"}
    assert found[f"{domain}/week-long"].details["gaps"] == {"JupyterLab": "after 10080 minutes"}
    assert found[f"{domain}/cy"].resource_type == "AWS::SageMaker::UserProfile"


def test_no_studio_no_calls_beyond_the_domain_listing(clients, now) -> None:
    report = sweep_one(clients, DETECTOR, now)
    assert by_id(report) == {}
    assert report.api_calls["sagemaker.ListDomains"] == 1
    assert "sagemaker.ListUserProfiles" not in report.api_calls


def test_the_timeout_must_fit_the_maximum() -> None:
    with pytest.raises(PolicyError, match="idle_timeout_minutes"):
        policy(idle_timeout_minutes=2000, max_idle_timeout_minutes=1440)


def test_the_fix_turns_it_on_and_keeps_the_rest(clients, store, now) -> None:
    image = {"SageMakerImageArn": "arn:aws:sagemaker:us-east-1:081325390199:image/distribution"}
    domain = make_studio_domain(
        clients, REGION, "ml",
        {"JupyterLabAppSettings": {"DefaultResourceSpec": image}}
        | {"CodeEditorAppSettings": idle_shutdown(120)["CodeEditorAppSettings"]},
    )  # fmt: skip
    make_studio_space(clients, REGION, domain, "week-long", "ben",
                      settings={"JupyterLabAppSettings": {"AppLifecycleManagement": {
                          "IdleSettings": {"IdleTimeoutInMinutes": 10080}}}})  # fmt: skip
    report = govern(
        policy(mode="auto", idle_timeout_minutes=90), clients, store, now=now, dry_run=False,
        actor="t",
    ).report  # fmt: skip
    done = {a.resource_id: a.outcome for a in report.actions}
    assert done == {domain: Outcome.REMEDIATED, f"{domain}/week-long": Outcome.REMEDIATED}
    assert lab_idle(clients, domain) == {
        "LifecycleManagement": "ENABLED",
        "IdleTimeoutInMinutes": 90,
    }
    lab = clients.sagemaker(REGION).describe_domain(DomainId=domain)["DefaultUserSettings"]
    assert lab["JupyterLabAppSettings"]["DefaultResourceSpec"] == image  # kept
    # Code Editor was on (120 minutes): left as it was.
    assert (
        lab["CodeEditorAppSettings"]["AppLifecycleManagement"]["IdleSettings"][
            "IdleTimeoutInMinutes"
        ]
        == 120
    )
    space = clients.sagemaker(REGION).describe_space(DomainId=domain, SpaceName="week-long")
    assert space["SpaceSettings"]["JupyterLabAppSettings"]["AppLifecycleManagement"] == {
        "IdleSettings": {"IdleTimeoutInMinutes": 90}
    }
    # What was there is recorded before the change.
    [before] = [r for r in store.audit_trail(ACCOUNT, REGION, "AWS::SageMaker::Domain", domain)
                if r.phase == "before"]  # fmt: skip
    assert before.before["gaps"] == {"JupyterLab": "never turned on"}
    assert by_id(sweep_one(clients, DETECTOR, now)) == {}


def test_an_update_that_turns_it_off_is_judged_in_seconds(clients, store, now, monkeypatch) -> None:
    monkeypatch.setenv("DRY_RUN", "true")
    domain = make_studio_domain(clients, REGION, "ml", idle_shutdown(60))
    clients.sagemaker(REGION).update_domain(
        DomainId=domain, DefaultUserSettings=idle_shutdown(None, off=True)
    )
    event = load_event("cloudtrail-update-domain.json")
    event["detail"]["requestParameters"]["domainId"] = domain
    answer = load_function("realtime")(event, FakeLambdaContext())
    assert [f["resource_id"] for f in answer["findings"]] == [domain]


def test_restore_puts_each_setting_back(clients, store, now) -> None:
    domain = make_studio_domain(clients, REGION, "ml", {})
    clients.sagemaker(REGION).create_user_profile(
        DomainId=domain, UserProfileName="cy", UserSettings=idle_shutdown(None, off=True)
    )
    govern(policy(mode="auto"), clients, store, now=now, dry_run=False, actor="t")
    assert lab_idle(clients, domain)["LifecycleManagement"] == "ENABLED"
    for rtype, rid in (("AWS::SageMaker::Domain", domain),
                       ("AWS::SageMaker::UserProfile", f"{domain}/cy")):  # fmt: skip
        note = restore(rtype, store, clients, rid, now)
        assert note.endswith("back as it was")
    # The domain never had any: off again; the profile's own "off" is back.
    assert lab_idle(clients, domain) == {"LifecycleManagement": "DISABLED"}
    profile = clients.sagemaker(REGION).describe_user_profile(DomainId=domain, UserProfileName="cy")
    assert profile["UserSettings"] == idle_shutdown(None, off=True)
    # Restored findings are rejected: an auto policy does not turn it on again tonight.
    again = govern(policy(mode="auto"), clients, store, now=now, dry_run=False, actor="t").report
    assert not [a for a in again.actions if a.outcome is Outcome.REMEDIATED]
    with pytest.raises(RestoreError, match="no record of govbot changing"):
        restore("AWS::SageMaker::Space", store, clients, f"{domain}/x", now)
