"""idle-provisioned-throughput: Bedrock model units nobody invokes, the look-alikes left alone,
committed terms held, the delete, the re-check and the restore."""

from datetime import timedelta
from typing import Any

import pytest

from govbot.cycle.contracts import State
from govbot.cycle.decisions import Decision, decide_one
from govbot.cycle.engine import Cycle, govern
from govbot.cycle.models import Outcome
from govbot.cycle.policy import parse_policy
from govbot_emulator.estate import make_bedrock_invocations, make_provisioned_throughput, team_tags
from tests.helpers.restoring import restore
from tests.helpers.sweeping import REGION, by_id, sweep_one

ACCOUNT = "123456789012"
DAY = timedelta(days=1)
INSTANT = "anthropic.claude-instant-v1"


def provisioned(clients, now, name="pt", age=10 * DAY, **kw: Any) -> str:
    return make_provisioned_throughput(
        clients, REGION, name, team_tags("assistant"), now - age, **kw
    )


def invoked(clients, now, model_id: str, days_ago: float = 3) -> None:
    make_bedrock_invocations(clients, REGION, model_id, now, hours_ago=[days_ago * 24])


def names(clients) -> set[str]:
    listed = clients.client("bedrock", REGION).list_provisioned_model_throughputs()
    return {p["provisionedModelName"] for p in listed["provisionedModelSummaries"]}


def policy(**settings: Any) -> Any:
    return parse_policy(
        {"regions": [REGION], "detectors": {"idle-provisioned-throughput": settings}}
    )


def test_model_units_nobody_invokes_cost_their_hourly_price(clients, now) -> None:
    provisioned(clients, now, units=2)
    f = by_id(sweep_one(clients, "idle-provisioned-throughput", now))["pt"]
    assert f.monthly_cost_usd == pytest.approx(44.0 * 730 * 2)
    assert f.reason == f"2 model unit(s) of {INSTANT} with no invocations in the last 168 h"
    assert f.details["deletable"] is True
    assert f.tags["project"] == "assistant"


def test_invocations_under_its_own_arn_mean_busy(clients, now) -> None:
    arn = provisioned(clients, now)
    invoked(clients, now, arn)
    assert by_id(sweep_one(clients, "idle-provisioned-throughput", now)) == {}


def test_on_demand_traffic_to_the_base_model_does_not_count(clients, now) -> None:
    provisioned(clients, now)
    invoked(clients, now, INSTANT)
    assert "pt" in by_id(sweep_one(clients, "idle-provisioned-throughput", now))


def test_younger_than_the_window_is_not_judged(clients, now) -> None:
    provisioned(clients, now, age=2 * DAY)
    assert by_id(sweep_one(clients, "idle-provisioned-throughput", now)) == {}


def test_a_model_without_a_price_is_unpriced_until_the_policy_gives_one(clients, now) -> None:
    provisioned(clients, now, model="cohere.command-text-v14")
    f = by_id(sweep_one(clients, "idle-provisioned-throughput", now))["pt"]
    assert f.monthly_cost_usd is None
    assert "pricing.bedrock_model_unit_hourly['cohere.command-text-v14']" in f.details["cost_basis"]
    from govbot.cycle.sweep import run_sweep
    from govbot.detectors import DETECTORS

    pol = parse_policy(
        {
            "regions": [REGION],
            "detectors": {d: {"enabled": d == "idle-provisioned-throughput"} for d in DETECTORS},
            "pricing": {"bedrock_model_unit_hourly": {"cohere.command-text-v14": 49.5}},
        }
    )
    assert by_id(run_sweep(pol, clients, now=now))["pt"].monthly_cost_usd == pytest.approx(
        49.5 * 730
    )


def test_a_committed_term_is_reported_with_its_end_and_held(clients, store, now) -> None:
    provisioned(clients, now, commitmentDuration="OneMonth")
    report = govern(
        policy(mode="auto"), clients, store, now=now, dry_run=False, actor="test"
    ).report
    [f] = [f for f in report.findings if f.detector == "idle-provisioned-throughput"]
    assert f.monthly_cost_usd == pytest.approx(39.6 * 730)
    assert "committed (OneMonth) until" in f.reason
    assert f.proposed_action.startswith("none before")
    [a] = [a for a in report.actions if a.resource_id == "pt"]
    assert a.outcome is Outcome.HELD
    assert names(clients) == {"pt"}


def test_a_re_check_reads_the_term_from_get(clients, now) -> None:
    """The re-check before a delete reads one throughput with GetProvisionedModelThroughput:
    its commitment must come from that answer too."""
    from govbot.inventory import RegionInventory
    from govbot.kinds import provisioned_throughput
    from govbot.pricing.pricer import Pricer

    provisioned(clients, now, commitmentDuration="SixMonths")
    scoped = RegionInventory(
        clients, REGION, ACCOUNT, now, Pricer(), scope={provisioned_throughput.TYPE: {"pt"}}
    )
    [got] = scoped.listed(provisioned_throughput.KIND)
    assert got["commitmentDuration"] == "SixMonths"
    assert got["commitmentExpirationTime"] - got["creationTime"] >= timedelta(days=180)
    assert got["commitmentExpirationTime"] > now


def test_auto_deletes_it_and_restore_buys_the_units_again(clients, store, now) -> None:
    old_arn = provisioned(clients, now, units=2)
    report = govern(
        policy(mode="auto"), clients, store, now=now, dry_run=False, actor="test"
    ).report
    [a] = [a for a in report.actions if a.resource_id == "pt"]
    assert a.outcome is Outcome.REMEDIATED
    assert names(clients) == set()

    note = restore("AWS::Bedrock::ProvisionedModelThroughput", store, clients, "pt", now)
    got = clients.client("bedrock", REGION).get_provisioned_model_throughput(
        provisionedModelId="pt"
    )
    assert (got["modelUnits"], got["provisionedModelArn"] != old_arn) == (2, True)
    assert "commitmentDuration" not in got
    assert note.startswith("bought 2 model unit(s) of pt again, no term")
    again = restore("AWS::Bedrock::ProvisionedModelThroughput", store, clients, "pt", now)
    assert again.startswith("already restored on")


def test_invoked_between_approval_and_fix_is_not_deleted(clients, store, now) -> None:
    arn = provisioned(clients, now)
    report = govern(policy(), clients, store, now=now, dry_run=True, actor="test").report
    [f] = [f for f in report.findings if f.detector == "idle-provisioned-throughput"]
    decide_one(store, f.finding_id, Decision.APPROVE, by="ana", now=now)
    invoked(clients, now, arn, days_ago=0.01)  # someone started using it
    cycle = Cycle(policy(), store, now, False, "test", lambda _account: clients)
    [outcome] = cycle.decided(f.finding_id)
    assert outcome.outcome is not Outcome.REMEDIATED
    assert names(clients) == {"pt"}
    assert store.get(f.finding_id).state is State.RESOLVED
