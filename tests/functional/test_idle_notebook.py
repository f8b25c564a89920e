"""idle-notebook: notebook instances nobody opened, their look-alikes, the stop and the start."""

from datetime import timedelta
from typing import Any

import pytest

from govbot.cycle.contracts import State
from govbot.cycle.decisions import Decision, decide_one
from govbot.cycle.engine import Cycle, govern
from govbot.cycle.models import Outcome
from govbot.cycle.policy import parse_policy
from govbot.cycle.restore import RestoreError
from govbot_emulator import moto_extensions as ext
from govbot_emulator.estate import make_notebook, team_tags
from tests.conftest import FakeLambdaContext, load_event, load_function
from tests.helpers.restoring import restore
from tests.helpers.sweeping import REGION, by_id, sweep_one

ACCOUNT = "123456789012"
DAY, HOUR = timedelta(days=1), timedelta(hours=1)
GPU_NOTEBOOK_HOURLY = 3.825  # ml.p3.2xlarge notebook, us-east-1 (the emulated Price List)


def notebook(clients, now, name="nb", idle=4 * DAY, **kw: Any) -> str:
    make_notebook(
        clients,
        REGION,
        name,
        kw.pop("instance_type", "ml.p3.2xlarge"),
        kw.pop("tags", team_tags("vision")),
        now - idle,
        **kw,
    )
    return name


def status(clients, name: str) -> str:
    return clients.sagemaker(REGION).describe_notebook_instance(NotebookInstanceName=name)[
        "NotebookInstanceStatus"
    ]


def policy(**settings: Any) -> Any:
    return parse_policy({"regions": [REGION], "detectors": {"idle-notebook": settings}})


def test_a_notebook_not_opened_for_days_costs_its_instance(clients, now) -> None:
    notebook(clients, now, "cv-labelling", idle=4 * DAY)
    f = by_id(sweep_one(clients, "idle-notebook", now))["cv-labelling"]
    assert f.monthly_cost_usd == pytest.approx(GPU_NOTEBOOK_HOURLY * 730)
    assert f.resource_type == "AWS::SageMaker::NotebookInstance"
    assert "not opened since" in f.reason
    assert f.details["last_used_source"].startswith("LastModifiedTime")
    assert "storage" in f.proposed_action


@pytest.mark.parametrize(
    ("idle", "hours", "found"), [(71 * HOUR, 72, False), (73 * HOUR, 72, True)]
)
def test_the_window_is_the_policys(clients, now, idle, hours, found) -> None:
    notebook(clients, now, idle=idle)
    assert ("nb" in by_id(sweep_one(clients, "idle-notebook", now, idle_hours=hours))) is found


def test_stopped_and_recently_used_notebooks_are_left_alone(clients, now) -> None:
    notebook(clients, now, "stopped-long-ago", idle=30 * DAY, stopped=True)
    notebook(clients, now, "used-this-morning", idle=3 * HOUR)
    assert by_id(sweep_one(clients, "idle-notebook", now)) == {}


@pytest.mark.parametrize(
    ("call", "hours_ago", "idle"),
    [
        ("CreatePresignedNotebookInstanceUrl", 20, False),
        ("StartNotebookInstance", 50, False),
        ("CreatePresignedNotebookInstanceUrl", 80, True),  # before the window
    ],
)
def test_opens_in_the_event_history_count_though_no_event_reached_govbot(
    clients, now, call, hours_ago, idle
) -> None:
    notebook(clients, now, "nb", idle=30 * DAY)
    notebook(clients, now, "other", idle=30 * DAY)
    ext.record_api_call(
        REGION, call, "sagemaker.amazonaws.com", {"notebookInstanceName": "nb"},
        now - hours_ago * HOUR,
    )  # fmt: skip
    report = sweep_one(clients, "idle-notebook", now)
    assert ("nb" in by_id(report)) is idle
    assert "other" in by_id(report)  # someone else's open is not this notebook's
    assert report.api_calls["cloudtrail.LookupEvents"] == 2  # one per call name, in bulk


def test_the_exempt_tag_keeps_it_out(clients, now) -> None:
    notebook(clients, now, tags=team_tags("v", **{"govbot:exempt": "idle-notebook"}))
    assert by_id(sweep_one(clients, "idle-notebook", now)) == {}


# -- what CloudTrail tells --------------------------------------------------------------


@pytest.fixture
def realtime(clients, store, monkeypatch):
    monkeypatch.setenv("DRY_RUN", "false")
    return lambda event: load_function("realtime")(event, FakeLambdaContext())


def opened(name: str, at, event: str = "cloudtrail-open-notebook.json") -> dict[str, Any]:
    e = load_event(event)
    e["detail"]["requestParameters"]["notebookInstanceName"] = name
    e["detail"]["eventTime"] = e["time"] = at.isoformat()
    return e


@pytest.mark.parametrize(
    "event", ["cloudtrail-open-notebook.json", "cloudtrail-start-notebook.json"]
)
def test_an_open_seen_in_cloudtrail_means_in_use(realtime, clients, store, now, event) -> None:
    notebook(clients, now, idle=10 * DAY)
    first = govern(policy(), clients, store, now=now, dry_run=True, actor="test").report
    [f] = [f for f in first.findings if f.detector == "idle-notebook"]
    assert store.get(f.finding_id).state is State.PENDING_APPROVAL

    answer = realtime(opened("nb", now + HOUR, event))
    # Opened: the finding waiting for approval no longer stands.
    assert store.get(f.finding_id).state is State.RESOLVED
    assert any("cleared 1 finding" in n for n in answer["notes"])
    later = govern(policy(), clients, store, now=now + DAY, dry_run=True, actor="test").report
    assert "nb" not in {x.resource_id for x in later.findings if x.detector == "idle-notebook"}
    # Past the window again, with the open as its last use.
    again = govern(policy(), clients, store, now=now + 4 * DAY, dry_run=True, actor="test")
    [g] = [x for x in again.report.findings if x.detector == "idle-notebook"]
    assert g.details["last_used_source"].startswith("opened or started")
    assert g.details["last_used"].startswith(f"{now + HOUR:%Y-%m-%dT%H:%M}")


def test_an_older_event_arriving_late_leaves_the_newer_clock(realtime, clients, store, now) -> None:
    notebook(clients, now, idle=10 * DAY)
    realtime(opened("nb", now - HOUR))
    realtime(opened("nb", now - 5 * DAY))  # redelivered late
    report = govern(policy(), clients, store, now=now, dry_run=True, actor="test").report
    assert "nb" not in {x.resource_id for x in report.findings if x.detector == "idle-notebook"}


# -- the fix and the restore -------------------------------------------------------------


def test_auto_stops_it_and_restore_starts_it_again(clients, store, now) -> None:
    notebook(clients, now, idle=5 * DAY)
    report = govern(
        policy(mode="auto"), clients, store, now=now, dry_run=False, actor="test"
    ).report
    [a] = [a for a in report.actions if a.resource_id == "nb"]
    assert a.outcome is Outcome.REMEDIATED
    assert status(clients, "nb") == "Stopped"
    [f] = [f for f in report.findings if f.detector == "idle-notebook"]
    [before] = [r for r in store.audit_trail(ACCOUNT, REGION, f.resource_type, "nb")
                if r.phase == "before"]  # fmt: skip
    assert before.before["instance_type"] == "ml.p3.2xlarge"

    note = restore("AWS::SageMaker::NotebookInstance", store, clients, "nb", now)
    assert status(clients, "nb") == "InService"
    assert note == "started notebook instance nb again"
    again = restore("AWS::SageMaker::NotebookInstance", store, clients, "nb", now)
    assert again.startswith("already restored on")
    assert store.get(f.finding_id).state is State.REJECTED  # not stopped again tonight


def test_restore_refuses_what_govbot_did_not_stop(clients, store, now) -> None:
    notebook(clients, now, idle=5 * DAY)
    with pytest.raises(RestoreError, match="no record of govbot stopping"):
        restore("AWS::SageMaker::NotebookInstance", store, clients, "nb", now, actor="a")


def test_opened_between_approval_and_fix_is_not_stopped(realtime, clients, store, now) -> None:
    notebook(clients, now, idle=5 * DAY)
    report = govern(policy(), clients, store, now=now, dry_run=True, actor="test").report
    [f] = [f for f in report.findings if f.detector == "idle-notebook"]
    decide_one(store, f.finding_id, Decision.APPROVE, by="ana", now=now)
    # Someone opens it before the worker gets to it: the event's clock is what the
    # re-check sees, so nothing is stopped.
    store.set_clock(ACCOUNT, REGION, f.resource_type, "nb", now + HOUR, "opened")
    cycle = Cycle(policy(), store, now + 2 * HOUR, False, "test", lambda _account: clients)
    [outcome] = cycle.decided(f.finding_id)
    assert outcome.outcome is not Outcome.REMEDIATED
    assert status(clients, "nb") == "InService"
