"""unused-capacity-reservation: reserved EC2 capacity no instance uses, the look-alikes left
alone (busy, young, unread, cancelled), those AWS will not let go of reported and held
(Capacity Blocks, commitments, fleets, partly used), the cancel, its re-check and restore."""

from datetime import timedelta
from typing import Any

import pytest

from govbot.cycle.contracts import State
from govbot.cycle.decisions import Decision, decide_one
from govbot.cycle.engine import Cycle, govern
from govbot.cycle.models import Outcome
from govbot.cycle.policy import parse_policy
from govbot.cycle.sweep import run_sweep
from govbot.detectors import DETECTORS
from govbot_emulator import capacity_reservations as cr
from govbot_emulator.estate import make_capacity_reservation, make_reservation_usage, team_tags
from tests.helpers.restoring import restore
from tests.helpers.sweeping import REGION, by_id, sweep_one

ACCOUNT = "123456789012"
DAY, HOUR = timedelta(days=1), timedelta(hours=1)
P5 = 55.04  # p5.48xlarge On-Demand, us-east-1 (the emulated Price List's answer)
DETECTOR = "unused-capacity-reservation"
TYPE = "AWS::EC2::CapacityReservation"


def reserve(clients, now, count=2, age=3 * DAY, used=0, usage=None, **kw: Any) -> str:
    rid = make_capacity_reservation(
        clients, REGION, f"{REGION}a", "p5.48xlarge", count, team_tags("llm"), now - age,
        used=used, **kw,
    )  # fmt: skip
    if usage is not False:
        make_reservation_usage(clients, REGION, rid, now, usage or {})
    return rid


def states(clients) -> dict[str, str]:
    listed = clients.ec2(REGION).describe_capacity_reservations()["CapacityReservations"]
    return {r["CapacityReservationId"]: r["State"] for r in listed}


def policy(**settings: Any) -> Any:
    return parse_policy({"regions": [REGION], "detectors": {DETECTOR: settings}})


def only(**settings: Any) -> Any:
    detectors: dict[str, Any] = {d: {"enabled": d == DETECTOR} for d in DETECTORS}
    detectors[DETECTOR].update(settings)
    return parse_policy({"regions": [REGION], "detectors": detectors})


def test_an_unused_reservation_costs_its_instances_at_on_demand_rates(clients, now) -> None:
    rid = reserve(clients, now)
    f = by_id(sweep_one(clients, DETECTOR, now))[rid]
    assert f.monthly_cost_usd == pytest.approx(2 * P5 * 730)
    assert f.reason == "2 of 2 x p5.48xlarge reserved in us-east-1a unused for the last 24 h"
    assert f.proposed_action.startswith("cancel the reservation")
    assert f.details["kept_because"] is None
    assert "2 x p5.48xlarge at $55.0400/h x 730 h" in f.details["cost_basis"]
    assert f.tags["project"] == "llm"


def test_a_reservation_used_to_the_full_in_the_window_is_left_alone(clients, now) -> None:
    # Empty now, but all of it ran five hours ago: used within the window.
    reserve(clients, now, usage={5: 2.0})
    assert by_id(sweep_one(clients, DETECTOR, now)) == {}


def test_partly_used_is_priced_by_what_was_never_used_and_held(clients, store, now) -> None:
    rid = reserve(clients, now, count=4, used=1, usage={2: 1.0})
    report = govern(only(mode="auto"), clients, store, now=now, dry_run=False, actor="test").report
    [f] = report.findings
    assert f.monthly_cost_usd == pytest.approx(3 * P5 * 730)
    assert f.reason.endswith("(at most 1 in use)")
    assert "shrink it to 1" in f.proposed_action
    [a] = report.actions
    assert a.outcome is Outcome.HELD
    assert states(clients)[rid] == "active"


def test_younger_than_the_window_unread_and_cancelled_are_not_findings(clients, now) -> None:
    reserve(clients, now, age=10 * HOUR)
    unread = reserve(clients, now, usage=False)
    gone = reserve(clients, now)
    clients.ec2(REGION).cancel_capacity_reservation(CapacityReservationId=gone)
    report = sweep_one(clients, DETECTOR, now)
    assert by_id(report) == {}
    assert [(u.resource_id, u.reason) for u in report.cannot_judge] == [
        (unread, "no AWS/EC2CapacityReservations UsedInstanceCount in the last 24 h")
    ]


def test_the_window_follows_the_policy(clients, now) -> None:
    reserve(clients, now, usage={30: 2.0})
    assert by_id(sweep_one(clients, DETECTOR, now)) != {}
    assert by_id(sweep_one(clients, DETECTOR, now, idle_hours=48)) == {}


@pytest.mark.parametrize(
    ("kind", "said"),
    [
        ("block", "a Capacity Block for ML cannot be cancelled, ends "),
        ("commitment", "committed until "),
        ("fleet", "part of Capacity Reservation Fleet crf-0123456789abcdef0"),
    ],
)
def test_what_aws_will_not_cancel_is_reported_and_held(clients, store, now, kind, said) -> None:
    kw: dict[str, Any] = {
        "block": {"block_ends": now + 5 * DAY},
        "commitment": {"CommitmentDuration": 30 * 86400},
        "fleet": {},
    }[kind]
    rid = reserve(clients, now, **kw)
    if kind == "fleet":
        cr.set_reservation(REGION, rid, ACCOUNT, CapacityReservationFleetId="crf-0123456789abcdef0")
    report = govern(only(mode="auto"), clients, store, now=now, dry_run=False, actor="test").report
    [f] = report.findings
    assert said in f.proposed_action
    assert f.monthly_cost_usd == pytest.approx(2 * P5 * 730)
    [a] = report.actions
    assert a.outcome is Outcome.HELD
    assert states(clients)[rid] == "active"


def test_another_platform_is_reported_without_a_made_up_price(clients, now) -> None:
    rid = reserve(clients, now, platform="Windows")
    f = by_id(sweep_one(clients, DETECTOR, now))[rid]
    assert f.monthly_cost_usd is None
    assert "no price for Windows on default tenancy" in f.details["cost_basis"]


def test_auto_cancels_it_and_restore_reserves_the_capacity_again(clients, store, now) -> None:
    rid = reserve(clients, now, InstanceMatchCriteria="targeted")
    report = govern(
        policy(mode="auto"), clients, store, now=now, dry_run=False, actor="test"
    ).report
    [a] = [a for a in report.actions if a.resource_id == rid]
    assert a.outcome is Outcome.REMEDIATED
    assert states(clients)[rid] == "cancelled"

    note = restore(TYPE, store, clients, rid, now)
    [new] = [r for r, s in states(clients).items() if s == "active"]
    got = clients.ec2(REGION).describe_capacity_reservations(CapacityReservationIds=[new])
    [again] = got["CapacityReservations"]
    assert (again["InstanceType"], again["TotalInstanceCount"]) == ("p5.48xlarge", 2)
    assert (again["AvailabilityZone"], again["InstanceMatchCriteria"]) == (
        "us-east-1a",
        "targeted",
    )
    tags = {t["Key"]: t["Value"] for t in again["Tags"]}
    assert (tags["project"], tags["govbot:restored-from"]) == ("llm", rid)
    assert note == f"reserved 2 x p5.48xlarge in us-east-1a again as {new} (was {rid})"
    assert restore(TYPE, store, clients, rid, now).startswith("already restored on")


def test_used_between_approval_and_fix_is_not_cancelled(clients, store, now) -> None:
    rid = reserve(clients, now)
    report = govern(policy(), clients, store, now=now, dry_run=True, actor="test").report
    [f] = [f for f in report.findings if f.detector == DETECTOR]
    decide_one(store, f.finding_id, Decision.APPROVE, by="ana", now=now)
    cr.set_reservation(REGION, rid, ACCOUNT, used=2)  # instances launched into it since
    make_reservation_usage(clients, REGION, rid, now, {0: 2.0}, hours=1)
    cycle = Cycle(policy(), store, now, False, "test", lambda _account: clients)
    [outcome] = cycle.decided(f.finding_id)
    assert outcome.outcome is not Outcome.REMEDIATED
    assert states(clients)[rid] == "active"
    assert store.get(f.finding_id).state is State.RESOLVED


def test_a_budget_naming_ec2_sweeps_it(clients, now) -> None:
    from govbot.detectors.registry import judging
    from govbot.kinds import billed_by

    assert TYPE in billed_by("Amazon Elastic Compute Cloud - Compute")
    assert DETECTOR in judging(TYPE)
    rid = reserve(clients, now)
    report = run_sweep(policy(), clients, now=now)
    assert rid in {f.resource_id for f in report.findings if f.detector == DETECTOR}


def test_a_re_check_reads_what_is_left_when_one_is_gone(clients, now) -> None:
    """EC2 fails a whole DescribeCapacityReservations when one id is unknown: the re-check
    then reads each on its own, and the gone one is simply absent."""
    from govbot.inventory import RegionInventory
    from govbot.kinds import capacity_reservation
    from govbot.pricing.pricer import Pricer

    rid = reserve(clients, now)
    scope = {TYPE: {rid, "cr-0123456789abcdef0"}}
    scoped = RegionInventory(clients, REGION, ACCOUNT, now, Pricer(), scope=scope)
    assert capacity_reservation.KIND.existing(scoped) == {rid}
