"""idle-endpoint judges each kind of endpoint by the traffic it really reports, and prices it
by what it really runs: busy inference-component and async endpoints are never findings."""

from __future__ import annotations

from datetime import timedelta

import pytest

from govbot.cycle.contracts import State
from govbot.cycle.decisions import Decision, decide_one
from govbot.cycle.engine import Cycle, govern
from govbot.cycle.models import Outcome
from govbot.cycle.policy import parse_policy
from govbot_emulator import moto_extensions as ext
from govbot_emulator.estate import (
    make_async_endpoint,
    make_component_endpoint,
    make_endpoint,
    make_metric,
    make_serverless_endpoint,
    make_variant,
    team_tags,
)
from tests.helpers.restoring import restore
from tests.helpers.sweeping import REGION, by_id, sweep_one

DAY = timedelta(days=1)
G4DN = 0.736  # ml.g4dn.xlarge hosting, $/h in the bundled table (us-east-1)


def test_a_busy_inference_component_endpoint_is_never_a_finding(clients, now) -> None:
    make_component_endpoint(clients, REGION, "llm", "ml.g4dn.xlarge", 2, ["llm-a"], now - 30 * DAY)
    # Its traffic is under the component's name, not the endpoint's variant.
    make_metric(clients, REGION, "Invocations", {"InferenceComponentName": "llm-a"}, now)
    assert by_id(sweep_one(clients, "idle-endpoint", now)) == {}


def test_an_idle_inference_component_endpoint_costs_its_running_instances(clients, now) -> None:
    make_component_endpoint(
        clients, REGION, "llm", "ml.g4dn.xlarge", 2, ["llm-a", "llm-b"], now - 30 * DAY
    )
    f = by_id(sweep_one(clients, "idle-endpoint", now))["llm"]
    assert f.details["kind"] == "inference-components"
    assert f.details["components"] == ["llm-a", "llm-b"]
    assert f.monthly_cost_usd == pytest.approx(G4DN * 2 * 730)
    assert "across 2 inference component(s)" in f.reason


def test_instances_with_no_inference_component_are_waste_with_their_own_reason(
    clients, now
) -> None:
    make_component_endpoint(clients, REGION, "empty", "ml.g4dn.xlarge", 1, [], now - 30 * DAY)
    f = by_id(sweep_one(clients, "idle-endpoint", now))["empty"]
    assert "1 instance(s) running with no inference component" in f.reason
    assert f.monthly_cost_usd == pytest.approx(G4DN * 730)


@pytest.mark.parametrize(
    ("metric", "value"), [("InvocationsProcessed", 40.0), ("ApproximateBacklogSize", 3.0)]
)
def test_an_async_endpoint_that_worked_or_has_a_backlog_is_busy(
    clients, now, metric, value
) -> None:
    make_async_endpoint(clients, REGION, "batchy", "ml.g4dn.xlarge", now - 30 * DAY)
    make_metric(clients, REGION, metric, {"EndpointName": "batchy"}, now, value=value)
    assert by_id(sweep_one(clients, "idle-endpoint", now)) == {}


def test_an_async_endpoint_that_did_nothing_is_idle(clients, now) -> None:
    make_async_endpoint(clients, REGION, "batchy", "ml.g4dn.xlarge", now - 30 * DAY)
    f = by_id(sweep_one(clients, "idle-endpoint", now))["batchy"]
    assert f.details["kind"] == "async"
    assert "processed no asynchronous request" in f.reason


def test_a_variant_scaled_to_zero_bills_nothing_and_is_not_a_finding(clients, now) -> None:
    make_component_endpoint(clients, REGION, "asleep", "ml.g4dn.xlarge", 0, ["m"], now - 30 * DAY)
    assert by_id(sweep_one(clients, "idle-endpoint", now)) == {}


def test_only_the_instances_running_now_are_priced(clients, now) -> None:
    make_endpoint(
        clients,
        REGION,
        "two",
        [make_variant("A", "ml.g4dn.xlarge", 3), make_variant("B", "ml.g4dn.xlarge", 2)],
        team_tags("t"),
        now - 30 * DAY,
    )
    ext.set_variant_instances(REGION, "two", "A", 0)  # scaled in to zero
    f = by_id(sweep_one(clients, "idle-endpoint", now))["two"]
    assert f.monthly_cost_usd == pytest.approx(G4DN * 2 * 730)
    assert [v["instance_count"] for v in f.details["variants"]] == [0, 2]


def test_serverless_with_provisioned_concurrency_is_found_and_priced_only_if_known(
    clients, now
) -> None:
    make_serverless_endpoint(clients, REGION, "warm", 2048, 4, now - 30 * DAY)
    make_serverless_endpoint(clients, REGION, "cold", 2048, 0, now - 30 * DAY)
    found = by_id(sweep_one(clients, "idle-endpoint", now))
    assert set(found) == {"warm"}  # on-demand serverless bills nothing while idle
    warm = found["warm"]
    assert warm.monthly_cost_usd is None  # no figure is made up
    assert "no provisioned concurrency price" in warm.details["cost_basis"]

    policy = parse_policy(
        {
            "regions": [REGION],
            "detectors": {d: {"enabled": d == "idle-endpoint"} for d in ("idle-endpoint",)},
            "pricing": {"sagemaker_serverless_provisioned_gb_second": 0.000004},
        }
    )
    from govbot.cycle.sweep import run_sweep

    priced = {f.resource_id: f for f in run_sweep(policy, clients, now=now).findings}["warm"]
    # 4 x 2 GB x $0.000004/GB-s x 730 h x 3600 s
    assert priced.monthly_cost_usd == pytest.approx(4 * 2 * 0.000004 * 730 * 3600, rel=1e-3)


def test_an_endpoint_whose_kind_cannot_be_read_is_never_proposed(clients, now) -> None:
    make_endpoint(
        clients,
        REGION,
        "mystery",
        [make_variant("AllTraffic", "ml.m5.xlarge")],
        team_tags("t"),
        now - 30 * DAY,
    )
    clients.sagemaker(REGION).delete_endpoint_config(EndpointConfigName="mystery-config")
    report = sweep_one(clients, "idle-endpoint", now)
    assert report.findings == []
    [undecided] = report.cannot_judge
    assert undecided.resource_id == "mystery"
    assert "cannot judge: its endpoint config cannot be read" in undecided.reason
    assert report.summary.cannot_judge == 1


def test_an_idle_component_endpoint_is_deleted_with_its_components_and_restored(
    clients, store, now
) -> None:
    make_component_endpoint(clients, REGION, "llm", "ml.g4dn.xlarge", 1, ["llm-a"], now - 30 * DAY)
    pol = parse_policy({"regions": [REGION]})
    report = govern(pol, clients, store, now=now, dry_run=True, actor="t").report
    [f] = [f for f in report.findings if f.detector == "idle-endpoint"]
    decide_one(store, f.finding_id, Decision.APPROVE, by="ana", now=now)
    [outcome] = Cycle(pol, store, now, False, "t", lambda _a: clients).decided(f.finding_id)
    assert outcome.outcome is Outcome.REMEDIATED
    sm = clients.sagemaker(REGION)
    assert sm.list_inference_components()["InferenceComponents"] == []
    assert sm.list_endpoints()["Endpoints"] == []
    assert store.get(f.finding_id).state is State.REMEDIATED

    note = restore("AWS::SageMaker::Endpoint", store, clients, "llm", now, account_id=f.account_id)
    assert note.endswith("with its 1 inference component(s)")
    [component] = sm.list_inference_components(EndpointNameEquals="llm")["InferenceComponents"]
    assert component["InferenceComponentName"] == "llm-a"


TOKEN = "hf_NEVER_IN_CLEAR_0123456789"


def _component_fix(clients, store, now) -> tuple[str, Outcome]:
    make_component_endpoint(
        clients, REGION, "llm", "ml.g4dn.xlarge", 1, ["llm-a"], now - 30 * DAY,
        environment={"HF_TOKEN": TOKEN, "MAX_TOKENS": "512"},
    )  # fmt: skip
    pol = parse_policy({"regions": [REGION]})
    report = govern(pol, clients, store, now=now, dry_run=True, actor="t").report
    [f] = [f for f in report.findings if f.detector == "idle-endpoint"]
    decide_one(store, f.finding_id, Decision.APPROVE, by="ana", now=now)
    [outcome] = Cycle(pol, store, now, False, "t", lambda _a: clients).decided(f.finding_id)
    return f.account_id, outcome


def test_a_components_environment_is_recorded_sealed_and_restored_whole(
    clients, store, now, monkeypatch, caplog, capsys
) -> None:
    """Container environments often hold tokens: the audit log (which seven roles read) keeps
    them only sealed with the records key; restore opens them and deploys them again."""
    from govbot.state.sealing import KEY_SETTING

    key = clients.client("kms", REGION).create_key(Description="govbot records")["KeyMetadata"]
    monkeypatch.setenv(KEY_SETTING, key["Arn"])
    account, outcome = _component_fix(clients, store, now)
    ran = next(
        r.before["components"][0]["specification"]["Container"]["Image"]
        for r in store.audit_trail(account, REGION, "AWS::SageMaker::Endpoint", "llm")
        if r.phase == "before"
    )
    assert "@sha256:" in ran  # the digest that ran, recorded in CreateInferenceComponent's shape
    assert outcome.outcome is Outcome.REMEDIATED
    items = clients.client("dynamodb", store.region).scan(TableName=store.table)["Items"]
    table = str(items)
    assert TOKEN not in table  # nowhere in the state table: not the audit, not the finding
    assert "HF_TOKEN" in table  # its name stays readable
    note = restore("AWS::SageMaker::Endpoint", store, clients, "llm", now, account_id=account)
    assert note.endswith("with its 1 inference component(s)")
    sm = clients.sagemaker(REGION)
    spec = sm.describe_inference_component(InferenceComponentName="llm-a")["Specification"]
    assert spec["Container"]["Environment"] == {"HF_TOKEN": TOKEN, "MAX_TOKENS": "512"}
    # Deployed again from an input shape: the image that ran (its digest), not Describe's
    # DeployedImage read back (CreateInferenceComponent has no such member).
    deployed = spec["Container"]["DeployedImage"]
    assert deployed["SpecifiedImage"].endswith(
        "@sha256:" + deployed["ResolvedImage"].split("@sha256:")[1]
    )
    assert spec["ComputeResourceRequirements"] == {"MinMemoryRequiredInMb": 1024}
    logged = capsys.readouterr()
    assert TOKEN not in caplog.text + logged.out + logged.err


def test_without_the_records_key_a_component_with_an_environment_is_not_deleted(
    clients, store, now, monkeypatch
) -> None:
    from govbot.state.sealing import KEY_SETTING

    monkeypatch.delenv(KEY_SETTING, raising=False)
    _, outcome = _component_fix(clients, store, now)
    assert outcome.outcome is Outcome.FAILED
    assert KEY_SETTING in outcome.message
    assert clients.sagemaker(REGION).list_endpoints()["Endpoints"]  # nothing lost
    assert TOKEN not in outcome.message
