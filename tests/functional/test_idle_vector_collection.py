"""idle-vector-collection: OpenSearch Serverless collections no one searches or indexes into,
priced by their share of the OCU minimum, the knowledge bases that use them named; the
look-alikes left alone (busy, young, unread, time series); no fix unless the policy allows a
delete, by approval only, never for one a knowledge base uses."""

from datetime import timedelta
from typing import Any

import pytest

from govbot.cycle.decisions import Decision, decide_one
from govbot.cycle.engine import Cycle, govern
from govbot.cycle.models import Outcome
from govbot.cycle.policy import PolicyError, parse_policy
from govbot.detectors import DETECTORS
from govbot_emulator.estate import (
    make_collection_requests,
    make_knowledge_base,
    make_search_collection,
    team_tags,
)
from tests.helpers.sweeping import REGION, by_id, sweep_one

DAY = timedelta(days=1)
DETECTOR = "idle-vector-collection"
OCU_MONTH = 0.24 * 730


def collection(clients, now, name="rag-proto", age=30 * DAY, requests: Any = None, **kw: Any):
    made = make_search_collection(clients, REGION, name, team_tags("assistant"), now - age, **kw)
    if requests is not False:
        make_collection_requests(clients, REGION, made, now, **(requests or {}))
    return made


def names(clients) -> set[str]:
    aoss = clients.client("opensearchserverless", REGION)
    return {c["name"] for c in aoss.list_collections()["collectionSummaries"]}


def only(**settings: Any) -> Any:
    detectors: dict[str, Any] = {d: {"enabled": d == DETECTOR} for d in DETECTORS}
    detectors[DETECTOR].update(settings)
    return parse_policy({"regions": [REGION], "detectors": detectors})


def test_an_idle_collection_costs_the_ocu_minimum_it_holds(clients, now) -> None:
    made = collection(clients, now)
    f = by_id(sweep_one(clients, DETECTOR, now))[made["id"]]
    assert f.monthly_cost_usd == pytest.approx(2 * OCU_MONTH)
    assert f.reason == (
        "vectorsearch collection rag-proto with no search and no indexing requests in the "
        "last 14 days"
    )
    assert f.proposed_action.startswith("none by default: deleting it loses the index")
    assert f.tags["project"] == "assistant"
    assert "the 2-OCU minimum (standby replicas on) at $0.24/OCU-hour" in f.details["cost_basis"]


def test_collections_sharing_a_key_share_the_minimum(clients, now) -> None:
    a = collection(clients, now, "rag-a", standby="DISABLED")
    b = collection(clients, now, "rag-b", standby="DISABLED")
    found = by_id(sweep_one(clients, DETECTOR, now))
    assert found[a["id"]].monthly_cost_usd == pytest.approx(OCU_MONTH / 2)
    assert found[b["id"]].monthly_cost_usd == pytest.approx(OCU_MONTH / 2)


@pytest.mark.parametrize("requests", [{"search": {40: 3.0}}, {"ingest": {300: 120.0}}])
def test_a_search_or_an_indexing_request_in_the_window_means_busy(clients, now, requests) -> None:
    collection(clients, now, requests=requests)
    assert by_id(sweep_one(clients, DETECTOR, now)) == {}


def test_young_unread_and_time_series_collections_are_not_findings(clients, now) -> None:
    collection(clients, now, "new-rag", age=5 * DAY)
    unread = collection(clients, now, "quiet-rag", requests=False)
    collection(clients, now, "app-logs", kind="TIMESERIES")
    report = sweep_one(clients, DETECTOR, now)
    assert by_id(report) == {}
    assert [(u.resource_id, u.reason) for u in report.cannot_judge] == [
        (unread["id"], "no AWS/AOSS ActiveCollection in the last 14 days")
    ]


def test_the_reason_names_the_knowledge_bases_that_use_it(clients, store, now) -> None:
    made = collection(clients, now)
    kb = make_knowledge_base(clients, REGION, "support-docs", made["arn"])
    pol = only(mode="approve", allow_delete=True)
    [f] = govern(pol, clients, store, now=now, dry_run=False, actor="t").report.findings
    assert f.reason.endswith(f"; Bedrock knowledge base(s) support-docs ({kb}) store vectors in it")
    # Even approved, a collection a knowledge base uses is left to a person.
    decide_one(store, f.finding_id, Decision.APPROVE, by="ana", now=now)
    [outcome] = Cycle(pol, store, now, False, "t", lambda _account: clients).decided(f.finding_id)
    assert outcome.outcome is Outcome.HELD
    assert "delete them first" in outcome.message
    assert names(clients) == {"rag-proto"}


def test_no_fix_unless_the_policy_allows_a_delete(clients, store, now) -> None:
    collection(clients, now)
    report = govern(only(), clients, store, now=now, dry_run=False, actor="t").report
    assert [a.outcome for a in report.actions] in ([], [Outcome.NO_ACTION])
    assert names(clients) == {"rag-proto"}


def test_the_delete_is_by_approval_only_and_says_it_cannot_be_undone(clients, store, now) -> None:
    with pytest.raises(PolicyError, match="mode auto is not allowed here"):
        only(mode="auto", allow_delete=True)
    made = collection(clients, now)
    pol = only(mode="approve", allow_delete=True)
    report = govern(pol, clients, store, now=now, dry_run=True, actor="t").report
    [f] = report.findings
    from govbot.actions import describe_fix

    assert "this cannot be undone" in describe_fix(f)
    decide_one(store, f.finding_id, Decision.APPROVE, by="ana", now=now)
    cycle = Cycle(pol, store, now, False, "t", lambda _account: clients)
    [outcome] = cycle.decided(f.finding_id)
    assert outcome.outcome is Outcome.REMEDIATED
    assert outcome.message == f"deleted collection rag-proto ({made['id']}); it cannot be restored"
    assert names(clients) == set()
