"""idle-studio-app: Studio apps nobody used, their look-alikes, the delete and the restore."""

import json
from datetime import timedelta
from typing import Any

import pytest

from govbot.cycle.contracts import State
from govbot.cycle.decisions import Decision, decide_one
from govbot.cycle.engine import Cycle, govern
from govbot.cycle.models import Outcome, SweepReport
from govbot.cycle.policy import parse_policy
from govbot.cycle.restore import RestoreError
from govbot.kinds import studio
from govbot_emulator import moto_extensions as ext
from govbot_emulator.estate import (
    make_canvas_session,
    make_studio_app,
    make_studio_domain,
    make_studio_space,
    team_tags,
)
from tests.helpers.restoring import restore
from tests.helpers.sweeping import REGION, by_id, sweep_one

ACCOUNT = "123456789012"
DAY, HOUR = timedelta(days=1), timedelta(hours=1)
G5_NOTEBOOK_HOURLY = 1.408  # ml.g5.xlarge, SageMaker notebook rate, us-east-1
CANVAS_SESSION_HOURLY = 1.90  # aws.amazon.com/sagemaker/canvas/pricing, us-east-1


@pytest.fixture
def domain(clients) -> str:
    domain = make_studio_domain(clients, REGION, "ml", {})
    make_studio_space(clients, REGION, domain, "ana-space", "ana", tags=team_tags("vision"))
    make_studio_space(clients, REGION, domain, "ben-space", "ben", tags=team_tags("search"))
    return domain


def app(clients, now, domain, idle=2 * DAY, space="ana-space", **kw: Any) -> str:
    return make_studio_app(
        clients,
        REGION,
        domain,
        space,
        kw.pop("app_type", "JupyterLab"),
        kw.pop("instance_type", "ml.g5.xlarge"),
        kw.pop("last_activity", now - idle),
        kw.pop("created", now - 10 * DAY),
        **kw,
    )


def status(
    clients, domain, space="ana-space", app_type="JupyterLab", name="default", user=None
) -> str:
    owner = {"SpaceName": space} if space else {"UserProfileName": user}
    return clients.sagemaker(REGION).describe_app(
        DomainId=domain, **owner, AppType=app_type, AppName=name
    )["Status"]


def policy(**settings: Any) -> Any:
    return parse_policy({"regions": [REGION], "detectors": {"idle-studio-app": settings}})


def test_an_app_nobody_used_for_a_day_costs_its_instance(clients, now, domain) -> None:
    rid = app(clients, now, domain, idle=2 * DAY)
    f = by_id(sweep_one(clients, "idle-studio-app", now))[rid]
    assert rid == f"{domain}/space/ana-space/JupyterLab/default"
    assert f.monthly_cost_usd == pytest.approx(G5_NOTEBOOK_HOURLY * 730)
    assert f.resource_type == "AWS::SageMaker::App"
    assert "no user activity since" in f.reason
    assert "space ana-space" in f.reason
    assert f.tags["project"] == "vision"  # the space's tags count for its apps
    assert "storage" in f.proposed_action


@pytest.mark.parametrize(("idle", "found"), [(23 * HOUR, False), (25 * HOUR, True)])
def test_the_window_is_the_policys(clients, now, domain, idle, found) -> None:
    rid = app(clients, now, domain, idle=idle)
    assert (rid in by_id(sweep_one(clients, "idle-studio-app", now, idle_hours=24))) is found


def test_look_alikes_are_left_alone(clients, now, domain) -> None:
    app(clients, now, domain, space="ben-space", idle=HOUR)  # in use
    app(clients, now, domain, app_type="CodeEditor", name="old", idle=5 * DAY)
    clients.sagemaker(REGION).delete_app(
        DomainId=domain, SpaceName="ana-space", AppType="CodeEditor", AppName="old"
    )  # deleted: still listed as Deleted
    app(clients, now, domain, app_type="JupyterServer", instance_type="system", idle=9 * DAY)
    app(clients, now, domain, app_type="KernelGateway", name="sys", instance_type="system")
    app(clients, now, domain, app_type="TensorBoard", name="tb", idle=9 * DAY)  # not a work app
    report = sweep_one(clients, "idle-studio-app", now)
    assert by_id(report) == {}
    # Only apps worth judging are described; the listing is one call.
    assert report.api_calls["sagemaker.ListApps"] == 1
    assert report.api_calls.get("sagemaker.DescribeApp", 0) == 1  # the one in use


def test_a_kernel_gateway_idle_for_days_is_found(clients, now, domain) -> None:
    rid = app(clients, now, domain, app_type="KernelGateway", name="ds-ml-t3", idle=3 * DAY,
              instance_type="ml.t3.medium")  # fmt: skip
    assert rid in by_id(sweep_one(clients, "idle-studio-app", now))


def test_an_app_reporting_no_activity_is_not_judged(clients, now, domain) -> None:
    rid = app(clients, now, domain, last_activity=None)
    report = sweep_one(clients, "idle-studio-app", now)
    assert by_id(report) == {}
    [u] = report.cannot_judge
    assert u.resource_id == rid
    assert "no user activity" in u.reason


def test_an_exempt_space_keeps_its_apps(clients, now) -> None:
    domain = make_studio_domain(clients, REGION, "ml", {})
    make_studio_space(clients, REGION, domain, "kept", "ana",
                      tags=team_tags("v", **{"govbot:exempt": "idle-studio-app"}))  # fmt: skip
    app(clients, now, domain, space="kept", idle=5 * DAY)
    assert by_id(sweep_one(clients, "idle-studio-app", now)) == {}


def test_auto_deletes_it_and_restore_creates_it_again(clients, store, now, domain) -> None:
    rid = app(clients, now, domain, idle=3 * DAY)
    report = govern(policy(mode="auto"), clients, store, now=now, dry_run=False, actor="t").report
    [a] = [a for a in report.actions if a.resource_id == rid]
    assert a.outcome is Outcome.REMEDIATED
    assert status(clients, domain) == "Deleted"
    [f] = [f for f in report.findings if f.detector == "idle-studio-app"]
    [before] = [r for r in store.audit_trail(ACCOUNT, REGION, f.resource_type, rid)
                if r.phase == "before"]  # fmt: skip
    assert before.before["resource_spec"] == {"InstanceType": "ml.g5.xlarge"}

    note = restore(studio.APP, store, clients, rid, now)
    assert status(clients, domain) == "InService"
    assert note == f"created Studio app {rid} again on ml.g5.xlarge"
    again = restore(studio.APP, store, clients, rid, now)
    assert again.startswith("already restored on")
    assert store.get(f.finding_id).state is State.REJECTED


def test_restore_refuses_what_govbot_did_not_delete(clients, store, now, domain) -> None:
    rid = app(clients, now, domain)
    with pytest.raises(RestoreError, match="no record of govbot deleting"):
        restore(studio.APP, store, clients, rid, now, actor="a")


def test_used_between_sweep_and_fix_is_not_deleted(clients, store, now, domain) -> None:
    app(clients, now, domain, idle=3 * DAY)
    report = govern(policy(), clients, store, now=now, dry_run=True, actor="t").report
    [f] = [f for f in report.findings if f.detector == "idle-studio-app"]
    decide_one(store, f.finding_id, Decision.APPROVE, by="ana", now=now)
    ext.set_app_activity(REGION, domain, "space/ana-space", "JupyterLab", "default", now)
    cycle = Cycle(policy(), store, now + HOUR, False, "t", lambda _account: clients)
    [outcome] = cycle.decided(f.finding_id)
    assert outcome.outcome is Outcome.NO_LONGER_QUALIFIES
    assert status(clients, domain) == "InService"


# -- Canvas ------------------------------------------------------------------------------------


def test_a_canvas_session_left_logged_in_is_billed_every_hour(clients, now, domain) -> None:
    rid = make_canvas_session(clients, REGION, domain, "cy", now - 3 * DAY, now, 30 * HOUR)
    f = by_id(sweep_one(clients, "idle-studio-app", now))[rid]
    assert rid == f"{domain}/user/cy/Canvas/default"
    assert f.monthly_cost_usd == pytest.approx(CANVAS_SESSION_HOURLY * 730)
    assert f.reason.startswith("Canvas session of user profile cy logged in with no activity")
    assert "log the user out of Canvas" in f.proposed_action
    assert "session-hour" in f.details["cost_basis"]
    # The digest names it as what it bills for: a Canvas session, and the fix logs the user out.
    from govbot.actions import describe_fix
    from govbot.delivery import slack, sns
    from govbot.delivery.digest import build_digest

    pol = policy()
    digest = build_digest(SweepReport.build(findings=[f], account_id=ACCOUNT), pol)
    told = sns.text(digest, shown=10) + json.dumps(slack.digest_messages(digest, pol.slack))
    assert "Canvas session of user profile cy" in told
    assert describe_fix(f) == "log user profile cy out of Canvas (its models and datasets stay)"


def test_canvas_look_alikes_are_left_alone_or_not_judged(clients, now, domain) -> None:
    active = make_canvas_session(clients, REGION, domain, "dee", now - 3 * DAY, now, 2 * HOUR)
    # Younger than the window: not judged, whatever its readings say.
    young = make_canvas_session(clients, REGION, domain, "eve", now - 5 * HOUR, now, 30 * HOUR)
    silent = make_canvas_session(clients, REGION, domain, "fay", now - 3 * DAY, now, None)
    report = sweep_one(clients, "idle-studio-app", now)
    assert set(by_id(report)) == set()
    assert {u.resource_id for u in report.cannot_judge} == {silent}
    [u] = report.cannot_judge
    assert "TimeSinceLastActive" in u.reason
    assert {active, young}.isdisjoint(u.resource_id for u in report.cannot_judge)


def test_a_canvas_session_is_logged_out_and_can_be_restored(clients, store, now, domain) -> None:
    rid = make_canvas_session(clients, REGION, domain, "cy", now - 3 * DAY, now, 30 * HOUR)
    report = govern(
        policy(mode="auto"), clients, store, now=now, dry_run=False, actor="test"
    ).report
    [a] = [a for a in report.actions if a.resource_id == rid]
    assert a.outcome is Outcome.REMEDIATED
    assert status(clients, domain, space=None, app_type="Canvas", user="cy") == "Deleted"
    note = restore(studio.APP, store, clients, rid, now)
    assert note.startswith(f"created Studio app {rid} again on ")
    assert status(clients, domain, space=None, app_type="Canvas", user="cy") == "InService"
