"""What fixes saved: each fix records the spend it stopped net of what it adds, a restore takes
it back, a fix that would add more than it stops is never taken, and the digest leads with it."""

from datetime import timedelta

import pytest

from govbot.cycle.contracts import State
from govbot.cycle.decisions import Decision, decide_one
from govbot.delivery import sns
from govbot.delivery.digest import build_digest
from govbot.state.savings import summarize
from govbot_emulator.estate import make_log_group, make_volume, team_tags
from tests.functional.test_remediation import (
    DAY,
    REGION,
    endpoint_exists,
    idle_endpoint,
    orphan,
    policy,
    run,
    volume_state,
)
from tests.helpers.restoring import restore

AUTO = {"mode": "auto"}


def test_each_fix_records_what_it_stops_net_and_a_restore_takes_it_back(
    clients, store, now
) -> None:
    idle_endpoint(clients, now, tags=team_tags("churn", team="search"))
    vid = orphan(clients, now)  # 500 GiB gp3: $40.00 a month, its snapshot up to $25.00
    pol = policy(**{"idle-endpoint": AUTO, "orphaned-volume": AUTO})
    report = run(clients, store, pol, now, True)
    assert {a.outcome.value for a in report.actions} == {"remediated"}
    endpoint_cost = next(f for f in report.findings if f.resource_id == "idle").monthly_cost_usd

    saved = {s.resource_id: s for s in store.savings(f"{now:%Y-%m}")}
    assert saved["idle"].monthly_usd == endpoint_cost
    assert saved["idle"].team == "search"  # the policy's first team tag with a value
    assert saved[vid].monthly_usd == pytest.approx(40.00 - 25.00)  # net of the snapshot
    assert saved[vid].team == "cc-4410"  # no team or owner tag: the cost center

    # Sweeping again (the resources gone) records nothing twice.
    run(clients, store, pol, now + timedelta(hours=1), True)
    assert len(store.savings()) == 2

    restore("AWS::SageMaker::Endpoint", store, clients, "idle", now)
    summary = summarize(store.savings(), [], now + DAY)
    assert summary.fixes == 2
    assert summary.restored == 1
    assert summary.since_install_usd == pytest.approx(15.00)  # the endpoint's no longer counts
    assert summarize(store.savings(), [], now).this_month_usd == pytest.approx(15.00)
    assert summary.by_team["search"].monthly_usd == 0.0
    # A day of the volume's net saving, give or take a cent.
    assert summary.by_detector["orphaned-volume"].accrued_usd == pytest.approx(
        15 / 730 * 24, abs=0.01
    )


def test_a_fix_that_would_add_more_than_it_stops_is_held(clients, store, now) -> None:
    # 1,000 GiB sc1 costs $15.00 a month; a snapshot of it up to $50.00.
    cold = make_volume(clients, REGION, f"{REGION}a", 1000, "sc1", team_tags("x"), now - 30 * DAY)
    report = run(clients, store, policy(**{"orphaned-volume": AUTO}), now, True)
    [finding] = report.findings
    assert finding.details["net_monthly_saving_usd"] == pytest.approx(-35.00)
    assert finding.proposed_action.startswith("none on its own")
    [action] = report.actions
    assert action.outcome.value == "held for a person"
    assert "would add $35.00/month more than it stops" in action.message
    assert volume_state(clients, cold) == "available"  # untouched, no snapshot taken
    assert store.savings() == []


def test_a_tag_saves_nothing_and_retention_saves_the_older_share(clients, store, now) -> None:
    make_log_group(clients, REGION, "/fresh", stored_gb=10)  # made just now: nothing is older
    bare = make_volume(clients, REGION, f"{REGION}a", 100, "gp3", [], now - 30 * DAY)
    pol = policy(
        **{
            "log-retention-gap": AUTO,
            "untagged-resource": {"mode": "auto", "tag_missing": True},
            "orphaned-volume": {"enabled": False},
        }
    )
    report = run(clients, store, pol, now, True)
    assert [a.outcome.value for a in report.actions] == ["remediated", "remediated"]
    saved = {s.resource_id: s.monthly_usd for s in store.savings()}
    assert saved == {"/fresh": 0.0, bare: 0.0}  # the volume still bills: tagged, not stopped


def test_the_digest_and_sns_lead_with_savings(clients, store, now) -> None:
    idle_endpoint(clients, now, name="fixed")
    idle_endpoint(clients, now, name="waiting")
    pol = policy()
    report = run(clients, store, pol, now, False)
    fixed = next(f for f in report.findings if f.resource_id == "fixed")
    decide_one(store, fixed.finding_id, Decision.APPROVE, by="ana", now=now)
    report = run(clients, store, pol, now, True)
    assert not endpoint_exists(clients, "fixed")
    states = {sf.finding_id: sf.state for sf in store.by_state(*State)}
    this_month = sum(s.monthly_usd or 0 for s in store.savings(f"{now:%Y-%m}"))
    digest = build_digest(report, pol, states, saved_this_month=this_month)
    waiting = next(f for f in report.findings if f.resource_id == "waiting").monthly_cost_usd
    expected = (
        f"saved ${fixed.monthly_cost_usd:,.2f}/month with this month's fixes, "
        f"${waiting:,.2f}/month more waiting for approval"
    )
    assert digest.title == f"govbot: {expected}"
    assert sns.text(digest, 10).splitlines()[0] == f"govbot {expected}."
