"""One cycle for every path: each promise of the engine, as a test that fails without it.

GIVEN an emulated account, WHEN a sweep, an event, a click or two runs at once go through the
engine, THEN the account and the state table show exactly what the policy allows.
"""

from __future__ import annotations

import json
import threading
import traceback
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from govbot.aws import AwsClients
from govbot.cycle import org
from govbot.cycle.contracts import RemediationRequest, State
from govbot.cycle.decisions import Decision, decide_one
from govbot.cycle.engine import Cycle, govern
from govbot.cycle.models import Outcome
from govbot.cycle.policy import parse_policy
from govbot.detectors import DETECTORS
from govbot.state.store import StateConflict, Store
from govbot_emulator import moto_extensions as ext
from govbot_emulator.estate import (
    as_tags,
    make_endpoint,
    make_log_group,
    make_training_job,
    make_variant,
    make_volume,
    team_tags,
)
from tests.conftest import FakeLambdaContext, load_event, load_function, queued
from tests.helpers.slack import click_payload, form_body, function_url_event, signed_headers

REGION, ACCOUNT, MEMBER = "us-east-1", "123456789012", "444455556666"
DAY, HOUR, MINUTE = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)
APPROVER = "W111"


def policy(**detectors: dict[str, Any]) -> Any:
    return parse_policy({"regions": [REGION], "detectors": detectors})


def sweep(clients, store, pol, now, apply=False, clients_for=None):
    return govern(
        pol,
        clients,
        store,
        now=now,
        dry_run=not apply,
        actor="test",
        regions=[REGION],
        clients_for=clients_for,
    ).report


def cycle(clients, store, pol, now, dry_run=False) -> Cycle:
    return Cycle(pol, store, now, dry_run, "test", lambda _account: clients)


def finding_id(report, detector: str, resource_id: str) -> str:
    [f] = [f for f in report.findings if (f.detector, f.resource_id) == (detector, resource_id)]
    return f.finding_id


def idle_endpoint(clients, now, name="idle", itype="ml.m5.xlarge", tags=None):
    make_endpoint(
        clients,
        REGION,
        name,
        [make_variant("AllTraffic", itype)],
        team_tags("p") if tags is None else tags,
        now - 10 * DAY,
    )


def endpoint_names(clients) -> set[str]:
    return {e["EndpointName"] for e in clients.sagemaker(REGION).list_endpoints()["Endpoints"]}


def put_policy(text: str) -> None:
    AwsClients().ssm(REGION).put_parameter(
        Name="/govbot/policy", Value=text, Type="String", Overwrite=True
    )


def sqs_event(*bodies: str) -> dict[str, Any]:
    event = load_event("remediation-request-sqs.json")
    template = event["Records"][0]
    event["Records"] = [{**template, "messageId": f"m{i}", "body": b} for i, b in enumerate(bodies)]
    return event


@pytest.fixture
def lambda_env(store, slack, slack_secret, remediation_queue, monkeypatch):
    monkeypatch.setenv("GOVBOT_POLICY_PARAMETER", "/govbot/policy")
    monkeypatch.setenv("GOVBOT_EXTERNAL_ID", "ext-4f2b9c")
    monkeypatch.setenv("DRY_RUN", "false")


def click(slack, fid: str, user: str = APPROVER) -> dict[str, Any]:
    body = form_body(click_payload(fid, "govbot_approve", user, slack.response_url()))
    return function_url_event(body, signed_headers(body))


# -- defect 1: a member account's approval acts in the member, through its role ------------


def test_a_member_accounts_approval_in_slack_acts_in_the_member(
    account, lambda_env, store, slack, remediation_queue, now
) -> None:
    # GIVEN an idle endpoint in a member account, swept through the member's role
    member = org.member_clients(MEMBER, "govbot-sweep", "ext-4f2b9c", "seed")
    idle_endpoint(member, now, "search-member")  # in the member account
    idle_endpoint(AwsClients(), now, "search-member")  # same name in the central account
    put_policy(f"regions: [{REGION}]\nslack: {{channel: C0FINOPS, approvers: [{APPROVER}]}}\n")
    report = sweep(member, store, policy(), now)
    fid = finding_id(report, "idle-endpoint", "search-member")
    assert store.get(fid).finding.account_id == MEMBER

    # WHEN an approver clicks Approve and the worker takes the queued message
    ctx = FakeLambdaContext(function_name="govbot-slack")
    assert load_function("slack")(click(slack, fid), ctx)["statusCode"] == 200
    [message] = queued(remediation_queue)
    assert (message["account_id"], message["region"]) == (MEMBER, REGION)
    answer = load_function("remediate")(sqs_event(json.dumps(message)), FakeLambdaContext())

    # THEN the member's endpoint is gone, the central one of the same name is not
    assert answer == {"batchItemFailures": []}
    assert "search-member" not in endpoint_names(member)
    assert "search-member" in endpoint_names(AwsClients())
    stored = store.get(fid)
    assert stored.state is State.REMEDIATED
    [done, before] = store.audit_trail(MEMBER, REGION, "AWS::SageMaker::Endpoint", "search-member")
    assert (before.phase, done.phase) == ("before", "done")
    assert f"--region {REGION} --account {MEMBER}`" in done.message


def test_credentials_for_another_account_never_act_nor_claim_a_fix(clients, store, now) -> None:
    # GIVEN a member's approved finding, and only the central account's credentials
    member = org.member_clients(MEMBER, "govbot-sweep", None, "seed")
    idle_endpoint(member, now, "search-member")  # in the member account
    fid = finding_id(sweep(member, store, policy(), now), "idle-endpoint", "search-member")
    decide_one(store, fid, Decision.APPROVE, by="ana", now=now)
    # WHEN the cycle is handed the wrong account's clients
    [outcome] = cycle(clients, store, policy(), now).decided(fid)
    # THEN it refuses, changes nothing, and the finding stays approved for a proper run
    assert outcome.outcome is Outcome.FAILED
    assert "not the finding's 444455556666" in outcome.message
    assert "search-member" in endpoint_names(member)
    assert store.get(fid).state is State.APPROVED


# -- defect 2: a click never skips the policy's rails ---------------------------------------


def test_an_approval_of_an_opt_in_fix_the_policy_leaves_off_changes_nothing(
    clients, store, now
) -> None:
    make_endpoint(
        clients, REGION, "bare", [make_variant("AllTraffic", "ml.m5.large")], as_tags(), now
    )
    pol = policy(**{"untagged-resource": {"mode": "approve", "tag_missing": False}})
    fid = finding_id(sweep(clients, store, pol, now), "untagged-resource", "bare")
    decide_one(store, fid, Decision.APPROVE, by="ana", now=now)
    [outcome] = cycle(clients, store, pol, now).decided(fid)
    assert outcome.outcome is Outcome.NO_ACTION
    arn = clients.sagemaker(REGION).describe_endpoint(EndpointName="bare")["EndpointArn"]
    assert clients.sagemaker(REGION).list_tags(ResourceArn=arn)["Tags"] == []


@pytest.mark.parametrize(("elapsed", "acts"), [(DAY - MINUTE, False), (DAY + MINUTE, True)])
def test_the_grace_period_holds_an_approval_to_the_minute(
    clients, store, now, elapsed, acts
) -> None:
    idle_endpoint(clients, now)
    pol = policy(**{"idle-endpoint": {"grace_days": 1}})
    fid = finding_id(sweep(clients, store, pol, now), "idle-endpoint", "idle")
    decide_one(store, fid, Decision.APPROVE, by="ana", now=now)
    [outcome] = cycle(clients, store, pol, now + elapsed).decided(fid)
    assert outcome.outcome is (Outcome.REMEDIATED if acts else Outcome.WAITING_GRACE)
    assert ("idle" in endpoint_names(clients)) is not acts


def test_a_blast_radius_of_zero_holds_every_approval(clients, store, now) -> None:
    idle_endpoint(clients, now)
    pol = policy(**{"idle-endpoint": {"max_actions_per_run": 0}})
    fid = finding_id(sweep(clients, store, pol, now), "idle-endpoint", "idle")
    decide_one(store, fid, Decision.APPROVE, by="ana", now=now)
    [outcome] = cycle(clients, store, pol, now).decided(fid)
    assert outcome.outcome is Outcome.DEFERRED
    assert "idle" in endpoint_names(clients)


def test_the_blast_radius_counts_each_detector_on_its_own(clients, store, now) -> None:
    for name, itype in (("big", "ml.g4dn.xlarge"), ("small", "ml.m5.large")):
        idle_endpoint(clients, now, name, itype)
    for group, gb in (("/big", 50), ("/small", 1)):
        make_log_group(clients, REGION, group, stored_gb=gb)
    limit = {"mode": "auto", "max_actions_per_run": 1}
    pol = policy(**{"idle-endpoint": limit, "log-retention-gap": limit})
    report = sweep(clients, store, pol, now, apply=True)
    got = {a.resource_id: a.outcome for a in report.actions}
    assert got == {
        "big": Outcome.REMEDIATED,
        "small": Outcome.DEFERRED,
        "/big": Outcome.REMEDIATED,
        "/small": Outcome.DEFERRED,
    }
    retention = {
        g["logGroupName"]: g.get("retentionInDays")
        for g in clients.logs(REGION).describe_log_groups()["logGroups"]
    }
    assert retention == {"/big": 30, "/small": None}
    assert endpoint_names(clients) == {"small"}


# -- defect 3: an event is planned on its own ------------------------------------------------


def test_a_real_time_event_is_not_held_back_by_unrelated_findings(
    clients, store, now, monkeypatch
) -> None:
    monkeypatch.setenv("GOVBOT_POLICY_PARAMETER", "/govbot/policy")
    monkeypatch.setenv("DRY_RUN", "false")
    # GIVEN a costlier approved log group waiting (approve mode), then auto for new ones
    make_log_group(clients, REGION, "/big/old", stored_gb=500)
    approve_mode = policy(**{"log-retention-gap": {"mode": "approve"}})
    fid = finding_id(sweep(clients, store, approve_mode, now), "log-retention-gap", "/big/old")
    decide_one(store, fid, Decision.APPROVE, by="ana", now=now)
    put_policy(
        f"regions: [{REGION}]\ndetectors:\n  log-retention-gap: {{mode: auto, "
        "max_actions_per_run: 1}\n"
    )
    # WHEN a new log group's CreateLogGroup arrives
    make_log_group(clients, REGION, "/ml/feature-pipeline", stored_gb=0)
    result = load_function("realtime")(
        load_event("cloudtrail-create-log-group.json"), FakeLambdaContext()
    )
    # THEN the new group is fixed at once, and the waiting one is left to its own cycle
    assert [a["outcome"] for a in result["actions"]] == ["remediated"]
    retention = {
        g["logGroupName"]: g.get("retentionInDays")
        for g in clients.logs(REGION).describe_log_groups()["logGroups"]
    }
    assert retention == {"/big/old": None, "/ml/feature-pipeline": 30}
    assert store.get(fid).state is State.APPROVED


def test_a_real_time_event_for_an_exempt_resource_records_nothing(
    clients, store, now, monkeypatch
) -> None:
    monkeypatch.setenv("GOVBOT_POLICY_PARAMETER", "/govbot/policy")
    monkeypatch.setenv("DRY_RUN", "false")
    put_policy(f"regions: [{REGION}]\ndetectors:\n  log-retention-gap: {{mode: auto}}\n")
    make_log_group(clients, REGION, "/ml/feature-pipeline", stored_gb=1)
    clients.logs(REGION).tag_log_group(
        logGroupName="/ml/feature-pipeline", tags={"govbot:exempt": "true"}
    )
    result = load_function("realtime")(
        load_event("cloudtrail-create-log-group.json"), FakeLambdaContext()
    )
    assert result["findings"] == []
    assert result["actions"] == []
    [group] = clients.logs(REGION).describe_log_groups()["logGroups"]
    assert "retentionInDays" not in group
    assert store.by_state(*State) == []


# -- defect 4: concurrent writers are normal -------------------------------------------------


def race_once(clients: AwsClients, operation: str, rival: Any) -> None:
    """Run ``rival`` (another writer) just before the first ``operation`` call reaches AWS."""
    fired = threading.Event()

    def before(**_: Any) -> None:
        if not fired.is_set():
            fired.set()
            rival()

    clients.client("dynamodb", REGION).meta.events.register(
        f"before-call.dynamodb.{operation}", before
    )


def test_a_new_finding_recorded_by_two_sweeps_at_once_is_one_finding(clients, now) -> None:
    make_log_group(clients, REGION, "/app", stored_gb=1)
    store = Store(clients, REGION)
    store.create()
    rival = Store(AwsClients(), REGION)
    pol = policy(**{"log-retention-gap": {"mode": "auto"}})
    # The rival sweep records the same new finding between our read and our write.
    race_once(clients, "PutItem", lambda: sweep(AwsClients(), rival, pol, now))
    report = sweep(clients, store, pol, now)
    fid = finding_id(report, "log-retention-gap", "/app")
    stored = store.get(fid)
    assert stored.state is State.APPROVED
    # The rival's write stands; ours, re-applied to it, found nothing new to write.
    assert stored.version == 1
    assert len(store.in_scope(ACCOUNT, REGION, "log-retention-gap")) == 1


def test_a_claim_that_loses_the_race_does_not_act(clients, store, now) -> None:
    idle_endpoint(clients, now)
    fid = finding_id(sweep(clients, store, policy(), now), "idle-endpoint", "idle")
    decide_one(store, fid, Decision.APPROVE, by="ana", now=now)
    rival = Store(AwsClients(), REGION)
    planned = store.get(fid)
    # Another run claims it between our read and our conditional write.
    race_once(
        clients,
        "PutItem",
        lambda: rival.claim(fid, now=now, lease=HOUR, finding=planned.finding),
    )
    [outcome] = cycle(clients, Store(clients, REGION), policy(), now).decided(fid)
    assert outcome.outcome is Outcome.TAKEN
    assert clients.calls["sagemaker.DeleteEndpoint"] == 0
    assert store.get(fid).state is State.ACTING  # the rival's claim stands


def test_every_state_write_is_conditional_on_the_version_read(clients, store, now) -> None:
    idle_endpoint(clients, now)
    fid = finding_id(sweep(clients, store, policy(), now), "idle-endpoint", "idle")
    stale = store.get(fid)
    decide_one(store, fid, Decision.REJECT, by="ana", now=now)
    with pytest.raises(StateConflict, match="is rejected"):
        store.replace(stale, stale.model_copy(update={"state": State.APPROVED}))
    assert store.get(fid).state is State.REJECTED


def test_sixteen_overlapping_sweeps_budget_and_realtime_runs_never_crash(
    seeded, store, monkeypatch
) -> None:
    from govbot import runtime
    from govbot.handlers import budget as budget_app
    from govbot.handlers import realtime as realtime_app
    from govbot.handlers import sweep as nightly

    monkeypatch.setenv("GOVBOT_POLICY_PARAMETER", "/govbot/policy")
    put_policy(
        "regions: [us-east-1, eu-west-1]\ndetectors:\n  log-retention-gap: {mode: auto}\n"
        "on_budget_breach:\n  detectors:\n    runaway-training-job: {mode: auto}\n"
    )
    runtime.reset()
    settings = runtime.Settings.from_env().model_copy(update={"dry_run": False})
    budget_event = load_event("cost-anomaly-eventbridge.json")
    jobs = [
        lambda: nightly.nightly_sweep(settings, ACCOUNT),
        lambda: budget_app.respond(settings, budget_event, FakeLambdaContext()),
        lambda: realtime_app.judge(settings, load_event("cloudtrail-create-log-group.json")),
        lambda: realtime_app.judge(settings, load_event("cloudtrail-create-endpoint.json")),
    ]
    crashes: list[str] = []
    start = threading.Barrier(16)

    def run(job: Any) -> None:
        start.wait()
        try:
            job()
        except Exception as err:  # the budget's twin deliveries may be told "in progress"
            if type(err).__name__ != "IdempotencyAlreadyInProgressError":
                crashes.append(traceback.format_exc())  # where, should it ever happen

    threads = [threading.Thread(target=run, args=(jobs[i % 4],)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert crashes == []
    # One consistent set: every finding stored once, each in exactly one state.
    stored = store.by_state(*State)
    ids = [sf.finding_id for sf in stored]
    assert len(ids) == len(set(ids))
    assert {sf.state for sf in stored} <= {
        State.OPEN,
        State.PENDING_APPROVAL,
        State.APPROVED,
        State.REMEDIATED,
        State.RESOLVED,
    }


# -- defect 5: a budget breach is never lost to a timeout -----------------------------------


class Timeout(BaseException):
    """Lambda ending an invocation at its deadline: nothing in govbot can catch it."""


def test_a_breach_whose_invocation_timed_out_is_handled_by_the_retry(
    seeded, store, monkeypatch
) -> None:
    import time

    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
    )

    from govbot import runtime
    from govbot.handlers import budget as budget_app

    monkeypatch.setenv("GOVBOT_POLICY_PARAMETER", "/govbot/policy")
    monkeypatch.setenv("DRY_RUN", "false")
    put_policy(
        "regions: [us-east-1]\non_budget_breach:\n  detectors:\n"
        "    runaway-training-job: {mode: auto}\n"
    )
    runtime.reset()
    settings = runtime.Settings.from_env()
    event = load_event("cost-anomaly-eventbridge.json")

    class ShortLived(FakeLambdaContext):
        def get_remaining_time_in_millis(self) -> int:
            return 300  # the deadline: 0.3 s from now

    real_breach = budget_app._breach

    def times_out(*_a: Any, **_k: Any) -> Any:
        raise Timeout

    monkeypatch.setattr(budget_app, "_breach", times_out)
    with pytest.raises(Timeout):
        budget_app.respond(settings, event, ShortLived())
    monkeypatch.setattr(budget_app, "_breach", real_breach)
    # A retry while the first may still run is refused (Lambda retries it later) ...
    with pytest.raises(IdempotencyAlreadyInProgressError):
        budget_app.respond(settings, event, FakeLambdaContext())
    # ... and once the first one's deadline has passed, the retry handles the breach.
    time.sleep(0.5)
    [result] = budget_app.respond(settings, event, FakeLambdaContext())
    assert "breach" in result, result
    # And a delivery after that is a duplicate.
    [again] = budget_app.respond(settings, event, FakeLambdaContext())
    assert "duplicate" in again


# -- the worker's two guards, each on its own -----------------------------------------------


@pytest.fixture
def deleted_then_back(clients, store, now, monkeypatch) -> Any:
    """An idle endpoint approved and deleted by the worker, then recreated by hand."""
    monkeypatch.setenv("DRY_RUN", "false")
    idle_endpoint(clients, now)
    fid = finding_id(sweep(clients, store, policy(), now), "idle-endpoint", "idle")
    sf = decide_one(store, fid, Decision.APPROVE, by=APPROVER, now=now)
    request = RemediationRequest(
        finding_id=fid,
        account_id=ACCOUNT,
        region=REGION,
        decided_at=sf.decided_at,
        decided_by=APPROVER,
    )
    handler = load_function("remediate")
    assert handler(sqs_event(request.model_dump_json()), FakeLambdaContext()) == {
        "batchItemFailures": []
    }
    assert "idle" not in endpoint_names(clients)
    clients.sagemaker(REGION).create_endpoint(EndpointName="idle", EndpointConfigName="idle-config")
    ext.set_endpoint_created(REGION, "idle", now - 10 * DAY)
    return fid, request, handler


def test_the_worker_idempotency_alone_stops_a_redelivered_decision(
    deleted_then_back, store
) -> None:
    fid, request, handler = deleted_then_back
    # The state guard is out of the way: the finding is approved again by hand.
    store.transition(fid, {State.REMEDIATED}, State.APPROVED)
    handler(sqs_event(request.model_dump_json()), FakeLambdaContext())
    assert "idle" in endpoint_names(AwsClients())


def test_the_worker_state_guard_alone_stops_a_new_message_for_a_fixed_finding(
    deleted_then_back, store
) -> None:
    fid, request, handler = deleted_then_back
    # A new decision time is a new idempotency key: only the finding's state stands in the way.
    later = request.model_copy(update={"decided_at": request.decided_at + MINUTE})
    handler(sqs_event(later.model_dump_json()), FakeLambdaContext())
    assert "idle" in endpoint_names(AwsClients())
    assert store.get(fid).state is State.REMEDIATED


def test_a_message_naming_another_account_than_its_finding_acts_nowhere(
    clients, store, now, monkeypatch
) -> None:
    monkeypatch.setenv("DRY_RUN", "false")
    idle_endpoint(clients, now)
    fid = finding_id(sweep(clients, store, policy(), now), "idle-endpoint", "idle")
    sf = decide_one(store, fid, Decision.APPROVE, by=APPROVER, now=now)
    forged = RemediationRequest(
        finding_id=fid, account_id=MEMBER, region=REGION, decided_at=sf.decided_at, decided_by="x"
    )
    load_function("remediate")(sqs_event(forged.model_dump_json()), FakeLambdaContext())
    assert "idle" in endpoint_names(clients)
    assert store.get(fid).state is State.APPROVED


# -- every action: gone between the re-check and the change ---------------------------------


def _gone_endpoint(clients: AwsClients) -> None:
    clients.sagemaker(REGION).delete_endpoint(EndpointName="target")


def _gone_volume(clients: AwsClients) -> None:
    [vol] = clients.ec2(REGION).describe_volumes(
        Filters=[{"Name": "tag:project", "Values": ["gone"]}]
    )["Volumes"]
    clients.ec2(REGION).delete_volume(VolumeId=vol["VolumeId"])


def _gone_job(clients: AwsClients) -> None:
    ext.set_training_job_status(REGION, "target", "Completed", datetime.now(UTC))


def _gone_log_group(clients: AwsClients) -> None:
    clients.logs(REGION).delete_log_group(logGroupName="/target")


def _seed_endpoint(clients, now):
    idle_endpoint(clients, now, "target")


def _seed_bare_endpoint(clients, now):
    make_endpoint(
        clients, REGION, "target", [make_variant("AllTraffic", "ml.m5.large")], as_tags(), now
    )


def _seed_volume(clients, now):
    make_volume(clients, REGION, f"{REGION}a", 100, "gp3", team_tags("gone"), now - 30 * DAY)


def _seed_job(clients, now):
    make_training_job(
        clients, REGION, "target", "ml.p3.2xlarge", 1, team_tags("p"), now - 50 * HOUR
    )


def _seed_log_group(clients, now):
    make_log_group(clients, REGION, "/target", stored_gb=1)


@pytest.mark.parametrize(
    ("detector", "settings", "seed", "operation", "vanish"),
    [
        ("idle-endpoint", {}, _seed_endpoint, "sagemaker.DeleteEndpoint", _gone_endpoint),
        ("orphaned-volume", {}, _seed_volume, "ec2.CreateSnapshot", _gone_volume),
        ("runaway-training-job", {}, _seed_job, "sagemaker.StopTrainingJob", _gone_job),
        ("log-retention-gap", {}, _seed_log_group, "logs.PutRetentionPolicy", _gone_log_group),
        (
            "untagged-resource",
            {"tag_missing": True, "resource_kinds": ["sagemaker-endpoint"]},
            _seed_bare_endpoint,
            "sagemaker.AddTags",
            _gone_endpoint,
        ),
    ],
)
def test_every_action_gone_between_re_check_and_change_is_resolved_not_claimed(
    clients, store, now, detector, settings, seed, operation, vanish
) -> None:
    seed(clients, now)
    only: dict[str, dict[str, Any]] = {d: {"enabled": d == detector} for d in DETECTORS}
    only[detector].update({"mode": "auto", **settings})
    pol = policy(**only)
    report = sweep(clients, store, pol, now)
    [f] = report.findings
    service, op = operation.split(".")
    acting = AwsClients()
    acting.client(
        {"sagemaker": "sagemaker", "ec2": "ec2", "logs": "logs"}[service], REGION
    ).meta.events.register(f"before-call.{service}.{op}", lambda **_: vanish(AwsClients()))
    [outcome] = cycle(acting, store, pol, now).decided(f.finding_id)
    assert outcome.outcome is Outcome.ALREADY_GONE, outcome
    stored = store.get(f.finding_id)
    assert stored.state is State.RESOLVED
    phases = [r.phase for r in store.audit_trail(ACCOUNT, REGION, f.resource_type, f.resource_id)]
    assert "done" not in phases
