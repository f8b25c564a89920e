"""Hostile, broken and slow input gets a deliberate answer and loses nothing.

Each case below was measured to crash or to lose a decision before; each is now an answer:
401 for anything unauthenticated, 400 with the reason for signed nonsense, 200 once a
decision is stored, a kept or acknowledged event, a retry for what is transient.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from govbot.aws import AwsClients
from govbot.cycle.contracts import RemediationRequest, State
from govbot.cycle.decisions import Decision, decide_one
from govbot.cycle.policy import parse_policy
from govbot.cycle.sweep import run_sweep
from govbot_emulator.estate import make_log_group
from tests.conftest import FakeLambdaContext, load_event, load_function, queued
from tests.helpers.aws_errors import fail_operation
from tests.helpers.findings import idle_endpoint_finding
from tests.helpers.slack import (
    click_payload,
    form_body,
    function_url_event,
    signed_headers,
)
from tests.helpers.worker import told

REGION = "us-east-1"
APPROVER = "W111"
POLICY = (
    f"regions: [{REGION}]\nslack: {{channel: C0FINOPS, approvers: [{APPROVER}, S0APPROVERS]}}\n"
)


@pytest.fixture
def finding(clients, store, now, slack, slack_secret, remediation_queue, monkeypatch) -> str:
    clients.ssm(REGION).put_parameter(Name="/govbot/policy", Value=POLICY, Type="String")
    monkeypatch.setenv("GOVBOT_POLICY_PARAMETER", "/govbot/policy")
    return idle_endpoint_finding(clients, store, now).finding_id


def unchanged(store, finding, remediation_queue) -> bool:
    return store.get(finding).state is State.PENDING_APPROVAL and queued(remediation_queue) == []


# -- the Slack function: unauthenticated means 401, before anything is parsed --------------


def _headers(body: str, **override: str) -> dict[str, str]:
    return {**signed_headers(body), **override}


@pytest.mark.parametrize(
    "forge",
    [
        "empty-timestamp",
        "word-timestamp",
        "float-timestamp",
        "non-ascii-signature",
        "not-base64",
        "base64-not-utf8",
    ],
)
def test_unauthenticated_requests_of_every_odd_shape_are_401(
    finding, slack, store, remediation_queue, forge
) -> None:
    body = form_body(click_payload(finding, "govbot_approve", APPROVER, slack.response_url()))
    event = {
        "empty-timestamp": lambda: function_url_event(
            body, _headers(body, **{"x-slack-request-timestamp": ""})
        ),
        "word-timestamp": lambda: function_url_event(
            body, _headers(body, **{"x-slack-request-timestamp": "abc"})
        ),
        "float-timestamp": lambda: function_url_event(
            body, _headers(body, **{"x-slack-request-timestamp": "1.5e9"})
        ),
        "non-ascii-signature": lambda: function_url_event(
            body, _headers(body, **{"x-slack-signature": "v0=é" + "0" * 63})
        ),
        "not-base64": lambda: {
            **function_url_event(body, signed_headers(body)),
            "body": "%%% not base64 %%%",
            "isBase64Encoded": True,
        },
        "base64-not-utf8": lambda: {
            **function_url_event(body, signed_headers(body)),
            "body": base64.b64encode(b"\xff\xfe\xfd").decode(),
            "isBase64Encoded": True,
        },
    }[forge]()
    answer = load_function("slack")(event, FakeLambdaContext())
    assert answer["statusCode"] == 401
    assert unchanged(store, finding, remediation_queue)
    assert slack.responses() == []


# -- signed but malformed: 400 with the reason, and nothing decided -------------------------


def _signed(payload: Any, raw: bool = False) -> dict[str, Any]:
    body = payload if raw else "payload=" + json.dumps(payload)
    return function_url_event(body, signed_headers(body))


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        (lambda p: [p], "payload"),
        (lambda p: "a string", "payload"),
        (lambda p: None, "payload"),
        (lambda p: {**p, "message": ["not", "an", "object"]}, "message"),
        (lambda p: {**p, "message": {"blocks": "not a list"}}, "message.blocks"),
        (lambda p: {**p, "message": {"blocks": [1, 2]}}, "message.blocks.0"),
        (lambda p: {**p, "response_url": 42}, "response_url"),
        (lambda p: {**p, "response_url": "file:///etc/passwd"}, "response_url"),
        (lambda p: {**p, "user": {"id": ["W111"]}}, "user.id"),
        (lambda p: {**p, "actions": []}, "actions"),
    ],
)
def test_signed_nonsense_is_a_400_that_decides_nothing(
    finding, slack, store, remediation_queue, mangle, reason
) -> None:
    payload = click_payload(finding, "govbot_approve", APPROVER, slack.response_url())
    answer = load_function("slack")(_signed(mangle(payload)), FakeLambdaContext())
    assert answer["statusCode"] == 400
    assert reason in answer["body"]
    assert unchanged(store, finding, remediation_queue)


def test_a_body_that_is_not_a_form_is_a_400(finding, store, remediation_queue) -> None:
    answer = load_function("slack")(_signed("just text", raw=True), FakeLambdaContext())
    assert answer["statusCode"] == 400
    assert unchanged(store, finding, remediation_queue)


# -- after the decision, nothing turns a click that worked into an error --------------------


def _refusing_url() -> str:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/actions/click"


@pytest.fixture
def hanging_url() -> Any:
    """A server that accepts the connection and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/actions/click"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


@pytest.mark.parametrize("kind", ["refusing", "hanging"])
def test_a_response_url_that_refuses_or_hangs_still_answers_200_within_slacks_budget(
    finding, store, remediation_queue, hanging_url, kind
) -> None:
    url = _refusing_url() if kind == "refusing" else hanging_url
    body = form_body(click_payload(finding, "govbot_approve", APPROVER, url))
    started = time.monotonic()
    answer = load_function("slack")(
        function_url_event(body, signed_headers(body)), FakeLambdaContext()
    )
    assert time.monotonic() - started < 3  # Slack's budget for the whole answer
    assert answer["statusCode"] == 200
    assert store.get(finding).state is State.APPROVED
    [message] = queued(remediation_queue)
    assert message["finding_id"] == finding


def test_a_queue_that_cannot_be_reached_leaves_the_approval_to_the_next_sweep(
    finding, slack, store, monkeypatch
) -> None:
    monkeypatch.setenv("REMEDIATION_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/1/nope")
    body = form_body(click_payload(finding, "govbot_approve", APPROVER, slack.response_url()))
    answer = load_function("slack")(
        function_url_event(body, signed_headers(body)), FakeLambdaContext()
    )
    assert answer["statusCode"] == 200
    assert store.get(finding).state is State.APPROVED  # the next sweep's cycle acts on it
    [reply] = slack.responses()
    assert "with the next sweep" in reply["text"]


def test_a_group_id_clicking_is_not_an_approver_by_its_name(
    finding, slack, store, remediation_queue
) -> None:
    body = form_body(click_payload(finding, "govbot_approve", "S0APPROVERS", slack.response_url()))
    load_function("slack")(function_url_event(body, signed_headers(body)), FakeLambdaContext())
    assert unchanged(store, finding, remediation_queue)
    assert "not allowed" in slack.responses()[0]["text"]


# -- events: judged, acknowledged, kept, or refused by name ----------------------------------


def test_a_budget_alert_delivered_as_a_plain_json_string_is_kept_not_crashed_on(
    seeded, store, monkeypatch
) -> None:
    monkeypatch.setenv("DRY_RUN", "false")
    text = json.dumps(load_event("budgets-sns.json"))
    answer = load_function("budget")(text, FakeLambdaContext())
    [result] = answer["results"]
    # A JSON string holding the SNS event is read as that event.
    assert "breach" in result or "unreadable" in result
    answer = load_function("budget")("not json at all", FakeLambdaContext())
    [kept] = answer["results"]
    assert kept["unreadable"] == "the event is not a JSON object"


def test_a_create_log_group_whose_response_elements_are_the_string_null_is_judged(
    clients, store, monkeypatch
) -> None:
    monkeypatch.setenv("DRY_RUN", "false")
    make_log_group(clients, REGION, "/ml/feature-pipeline", stored_gb=0)
    event = load_event("cloudtrail-create-log-group.json")
    event["detail"]["responseElements"] = "null"
    result = load_function("realtime")(event, FakeLambdaContext())
    assert result["ignored"] is None
    assert result["resource"] == "/ml/feature-pipeline"
    assert [f["detector"] for f in result["findings"]] == ["log-retention-gap"]


def test_a_scheduler_event_without_version_is_swept(seeded, store, monkeypatch) -> None:
    event = load_event("scheduler-event.json")
    event.pop("version", None)
    event.pop("id", None)
    report = load_function("sweep")(event, FakeLambdaContext())
    assert report["summary"]["findings"] > 0


def test_an_event_the_sweep_cannot_take_is_refused_by_name(account) -> None:
    from govbot.handlers.events import BadEvent

    with pytest.raises(BadEvent, match=r"the sweep function expects ScheduledEvent: account"):
        load_function("sweep")(
            {"source": "aws.events", "time": "2026-01-01T00:00:00Z"}, FakeLambdaContext()
        )


# -- transient means retry ------------------------------------------------------------------


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Any:
        yield self.data

    def read(self, *_: Any) -> bytes:
        return self.data


def answer_bad_gateway(clients: AwsClients, service: str, operation: str, times: int) -> None:
    """A gateway's plain-text 502, ``times`` times, before the service answers."""
    client = clients.client(service, REGION)
    left = {"n": times}

    def send(request: Any, **_: Any) -> AWSResponse | None:
        if left["n"] > 0:
            left["n"] -= 1
            return AWSResponse(
                request.url, 502, {"Content-Type": "text/plain"}, _Body(b"Bad Gateway")
            )
        return None

    service_id = client.meta.service_model.service_id.hyphenize()
    client.meta.events.register(f"before-send.{service_id}.{operation}", send)


@pytest.mark.parametrize(
    ("service", "operation"),
    [("ec2", "DescribeVolumes"), ("sts", "GetCallerIdentity"), ("sagemaker", "ListEndpoints")],
)
def test_a_plain_text_5xx_is_retried_not_the_end_of_the_sweep(seeded, service, operation) -> None:
    clients = AwsClients()
    answer_bad_gateway(clients, service, operation, times=2)
    report = run_sweep(parse_policy({"regions": [REGION]}), clients, now=seeded.now)
    assert report.errors == []
    assert report.summary.findings > 0


@pytest.fixture
def approved(clients, store, now, monkeypatch):
    monkeypatch.setenv("DRY_RUN", "false")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # botocore's own retries spent at once
    f = idle_endpoint_finding(clients, store, now)
    sf = decide_one(store, f.finding_id, Decision.APPROVE, by=APPROVER, now=now)
    request = RemediationRequest(
        finding_id=f.finding_id,
        account_id=f.account_id,
        region=f.region,
        decided_at=sf.decided_at,
        decided_by=APPROVER,
    )
    event = load_event("remediation-request-sqs.json")
    event["Records"][0]["body"] = request.model_dump_json()
    return f.finding_id, event


def test_a_fix_throttled_past_the_retries_is_redelivered_not_failed(
    approved, clients, store
) -> None:
    from govbot import runtime

    finding_id, event = approved
    handler = load_function("remediate")
    fail_operation(runtime.clients(), "sagemaker", "DeleteEndpoint", REGION, "ThrottlingException")
    answer = handler(event, FakeLambdaContext())
    assert answer == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    stored = store.get(finding_id)
    assert stored.state is State.APPROVED  # handed back, for the redelivery
    assert "ThrottlingException" in stored.error
    assert "idle" in {
        e["EndpointName"] for e in clients.sagemaker(REGION).list_endpoints()["Endpoints"]
    }

    # SQS delivers it again; AWS has calmed down.
    handler = load_function("remediate")
    assert handler(event, FakeLambdaContext()) == {"batchItemFailures": []}
    assert store.get(finding_id).state is State.REMEDIATED
    assert clients.sagemaker(REGION).list_endpoints()["Endpoints"] == []


def test_a_fix_refused_for_good_is_failed_with_the_reason_and_acknowledged(approved, store) -> None:
    from govbot import runtime

    finding_id, event = approved
    handler = load_function("remediate")
    fail_operation(
        runtime.clients(), "sagemaker", "DeleteEndpoint", REGION, "AccessDeniedException"
    )
    assert handler(event, FakeLambdaContext()) == {"batchItemFailures": []}
    stored = store.get(finding_id)
    assert stored.state is State.FAILED
    assert "AccessDeniedException" in stored.error


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/actions/T1/1/x",
        "https://hooks.slack.com.evil.example/actions/x",
        "https://user@hooks.slack.com/actions/x",
        "https://hooks.slack.com:8443/actions/x",
        "http://hooks.slack.com/actions/x",
        "http://127.0.0.1:9001/2018-06-01/runtime/invocation/next",  # the Lambda runtime API
    ],
)
def test_a_click_whose_response_url_is_not_slacks_is_refused_before_anything(
    finding, slack, store, remediation_queue, monkeypatch, url
) -> None:
    from govbot.delivery.slack import LOOPBACK_SETTING

    monkeypatch.delenv(LOOPBACK_SETTING)  # as in Lambda: only Slack's address
    payload = click_payload(finding, "govbot_approve", APPROVER, url)
    answer = load_function("slack")(_signed(payload), FakeLambdaContext())
    assert answer["statusCode"] == 400
    assert "response_url is not Slack's" in answer["body"]
    assert unchanged(store, finding, remediation_queue)


def test_the_worker_posts_nowhere_a_queue_message_names_but_slack(slack, monkeypatch) -> None:
    from govbot.delivery.slack import LOOPBACK_SETTING, respond
    from govbot.handlers.remediate import _tell

    monkeypatch.delenv(LOOPBACK_SETTING)
    request, outcome = told(slack.response_url("worker"), "deleted endpoint ep")
    _tell(request, outcome, respond)  # logged, never raised: the fix stands
    assert slack.responses() == []  # no request was made
    monkeypatch.setenv(LOOPBACK_SETTING, "1")
    _tell(request, outcome, respond)
    assert len(slack.responses()) == 1


def test_a_malformed_slack_secret_leaves_no_trace_of_itself_in_the_logs(
    finding, slack, store, remediation_queue, capsys, caplog
) -> None:
    """A secret with a misspelt key: the click is answered 503, and neither the token nor the
    signing secret appears in anything logged (pydantic's errors print their input)."""
    from govbot.delivery import slack as slack_notify

    token, signing = "xoxb-1111-NEVER-LOGGED", "s1gn1ng-NEVER-LOGGED"
    AwsClients().client("secretsmanager", REGION).put_secret_value(
        SecretId="govbot/slack",
        SecretString=json.dumps({"bot_tokne": token, "signing_secret": signing}),
    )
    slack_notify._secrets.cache_clear()
    payload = click_payload(finding, "govbot_approve", APPROVER, slack.response_url())
    answer = load_function("slack")(_signed(payload), FakeLambdaContext())
    assert answer["statusCode"] == 503
    assert unchanged(store, finding, remediation_queue)
    logged = capsys.readouterr()
    everything = logged.out + logged.err + caplog.text
    assert "bot_token" in everything  # the error names the field...
    assert token not in everything  # ...never the values
    assert signing not in everything
    assert "NEVER-LOGGED" not in everything
