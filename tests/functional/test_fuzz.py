"""Fuzzing both doors: thousands of generated Slack requests and events.

The promises: no request or event ends in an unhandled exception; nothing that is not
correctly signed changes anything; a signed request is a 200 or a 400, never a 5xx. The counts
run here are in the module's constants (and the issue's notes).
"""

from __future__ import annotations

import base64
import copy
import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govbot.aws import AwsClients
from govbot.cycle.contracts import State
from govbot.handlers.slack import handle_request, raw_body
from govbot.state.store import Store
from tests.conftest import EVENTS, FakeLambdaContext, load_event, load_function
from tests.helpers.findings import idle_endpoint_finding
from tests.helpers.slack import (
    SIGNING_SECRET,
    click_payload,
    form_body,
    function_url_event,
    signed_headers,
)

REGION = "us-east-1"
# The request handling itself (signature, decoding, parsing, the once-only check) is fuzzed
# at these counts against fakes; about a hundred of each go through the whole Lambda handler,
# the emulated account and the store, to hold the wiring to the same promises.
UNSIGNED_REQUESTS = int(os.environ.get("FUZZ_UNSIGNED", 1500))
SIGNED_REQUESTS = 1500
END_TO_END = 100
REALTIME_EVENTS = 1000
BUDGET_EVENTS = 300
SWEEP_EVENTS = 200
FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,  # the same examples every run: a failure here is reproducible
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def paths(doc: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from paths(v, (*prefix, i))


@st.composite
def mutated(draw: Any, sample: Any) -> Any:
    """A published or sample payload with one to three of its parts replaced or removed."""
    doc = copy.deepcopy(sample)
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(list(paths(doc))))
        if not where:
            return draw(json_values)
        parent = doc
        for step in where[:-1]:
            parent = parent[step]
        if draw(st.booleans()) and isinstance(parent, dict):
            parent.pop(where[-1], None)
        else:
            parent[where[-1]] = draw(json_values)
    return doc


# -- the Slack function ---------------------------------------------------------------------


@pytest.fixture
def slack_door(account, slack, slack_secret, remediation_queue, monkeypatch) -> Any:
    clients = AwsClients()
    store = Store(clients, REGION)
    store.create()
    clients.ssm(REGION).put_parameter(
        Name="/govbot/policy",
        Value=f"regions: [{REGION}]\nslack: {{channel: C0F, approvers: [W111]}}\n",
        Type="String",
    )
    monkeypatch.setenv("GOVBOT_POLICY_PARAMETER", "/govbot/policy")
    f = idle_endpoint_finding(clients, store, datetime.now(UTC))
    return {
        "handler": load_function("slack"),
        "store": store,
        "finding": f.finding_id,
        "waiting": lambda: int(
            clients.client("sqs", REGION).get_queue_attributes(
                QueueUrl=remediation_queue, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]["ApproximateNumberOfMessages"]
        ),
        "payload": click_payload(f.finding_id, "govbot_approve", "W111", slack.response_url()),
    }


header_values = st.none() | st.text(max_size=30) | st.integers().map(str)


def forged_event(data: Any, payload: Any) -> dict[str, Any]:
    """A Function URL event Slack did not sign: the body, the headers or the encoding off."""
    body = data.draw(
        st.sampled_from(["form", "raw"]).map(
            lambda kind: form_body(payload) if kind == "form" else json.dumps(payload)
        )
    )
    secret = data.draw(st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=40))
    forged = signed_headers(body, secret=secret)
    headers = data.draw(
        st.fixed_dictionaries(
            {},
            optional={
                "x-slack-request-timestamp": header_values
                | st.just(forged["x-slack-request-timestamp"])
                | st.just(str(int(time.time()))),
                "x-slack-signature": header_values | st.just(forged["x-slack-signature"]),
                "content-type": st.just("application/x-www-form-urlencoded"),
            },
        )
    )
    event = function_url_event(body, {k: v for k, v in headers.items() if v is not None})
    if data.draw(st.booleans()):
        raw = data.draw(st.binary(max_size=64)) if data.draw(st.booleans()) else body.encode()
        event.update(body=base64.b64encode(raw).decode(), isBase64Encoded=True)
    return event


def handled(
    event: dict[str, Any], seen: set[str] | None = None
) -> tuple[int, str, list[Any], set[str]]:
    """The Slack function's request handling on its own (as functions/slack/app.py calls it),
    with a click handler and a once-only record (``seen``) that only note what reaches them."""
    clicks: list[Any] = []
    seen = set() if seen is None else seen

    def once(key: str, _until: Any) -> bool:
        first = key not in seen
        seen.add(key)
        return first

    status, answer = handle_request(
        raw_body(event.get("body"), bool(event.get("isBase64Encoded"))),
        event["headers"],
        signing_secret=SIGNING_SECRET,
        handle=lambda click: clicks.append(click) or "",
        once=once,
    )
    return status, answer, clicks, seen


PUBLISHED_CLICK = click_payload("f-0", "govbot_approve", "W111", "https://hooks.slack.com/a/1")


@settings(FUZZ, max_examples=UNSIGNED_REQUESTS)
@given(data=st.data())
def test_no_unsigned_or_forged_request_reaches_a_decision(data) -> None:
    event = forged_event(data, data.draw(mutated(PUBLISHED_CLICK) | json_values))
    status, _, clicks, seen = handled(event)
    assert status == 401
    assert clicks == []  # nothing parsed, nothing decided
    assert seen == set()  # nor even recorded as seen


@settings(FUZZ, max_examples=SIGNED_REQUESTS)
@given(data=st.data())
def test_signed_requests_are_a_200_or_a_400_and_each_is_accepted_once(data) -> None:
    payload = data.draw(mutated(PUBLISHED_CLICK) | json_values)
    body = form_body(payload) if data.draw(st.booleans()) else data.draw(st.text(max_size=80))
    event = function_url_event(body, signed_headers(body), encode=data.draw(st.booleans()))
    status, answer, clicks, seen = handled(event)
    assert status in (200, 400), answer
    assert len(clicks) == (1 if status == 200 else 0)
    if clicks:  # the same request again decides nothing
        again, answer, clicks, _ = handled(event, seen)
        assert (again, answer, clicks) == (200, "already handled", [])


@settings(FUZZ, max_examples=END_TO_END)
@given(data=st.data())
def test_no_unsigned_or_forged_request_changes_anything(slack_door, data) -> None:
    door = slack_door
    payload = data.draw(mutated(door["payload"]) | json_values)
    event = forged_event(data, payload)
    before = door["store"].get(door["finding"])
    answer = door["handler"](event, FakeLambdaContext())
    assert answer["statusCode"] == 401
    after = door["store"].get(door["finding"])
    assert (after.state, after.version) == (before.state, before.version)
    assert door["waiting"]() == 0


@settings(FUZZ, max_examples=END_TO_END)
@given(data=st.data())
def test_signed_requests_of_any_shape_are_a_200_or_a_400(slack_door, data) -> None:
    door = slack_door
    payload = data.draw(mutated(door["payload"]) | json_values)
    body = form_body(payload) if data.draw(st.booleans()) else data.draw(st.text(max_size=80))
    event = function_url_event(body, signed_headers(body), encode=data.draw(st.booleans()))
    answer = door["handler"](event, FakeLambdaContext())
    assert answer["statusCode"] in (200, 400), answer
    state = door["store"].get(door["finding"]).state
    if answer["statusCode"] == 400:
        assert state in (State.PENDING_APPROVAL, State.APPROVED, State.REJECTED, State.SNOOZED)


# -- events ---------------------------------------------------------------------------------

REALTIME_SAMPLES = [
    load_event(p.name)
    for p in sorted(EVENTS.glob("*.json"))
    if p.name.startswith(("cloudtrail-", "sagemaker-"))
]
BUDGET_SAMPLES = [
    load_event(name)
    for name in ("budgets-sns.json", "cost-anomaly-sns.json", "cost-anomaly-eventbridge.json")
]


@pytest.fixture
def event_doors(account, monkeypatch) -> Any:
    store = Store(AwsClients(), REGION)
    store.create()
    monkeypatch.setenv("DRY_RUN", "true")
    return {
        "realtime": load_function("realtime"),
        "budget": load_function("budget"),
        "sweep": load_function("sweep"),
    }


def _event(samples: list[Any]) -> Any:
    return st.one_of(*(mutated(s) for s in samples)) | json_values | st.text(max_size=40)


@settings(FUZZ, max_examples=REALTIME_EVENTS)
@given(event=_event(REALTIME_SAMPLES))
def test_every_real_time_event_is_judged_or_acknowledged_with_a_reason(event_doors, event) -> None:
    judgement = event_doors["realtime"](event, FakeLambdaContext())
    assert judgement["event"]
    assert judgement["ignored"] is None or judgement["ignored"].strip()


@settings(FUZZ, max_examples=BUDGET_EVENTS)
@given(event=_event(BUDGET_SAMPLES))
def test_every_budget_event_is_handled_or_kept_as_unreadable(event_doors, event) -> None:
    results = event_doors["budget"](event, FakeLambdaContext())["results"]
    for r in results:
        assert {"breach", "duplicate", "unreadable"} & set(r), r


@settings(FUZZ, max_examples=SWEEP_EVENTS)
@given(event=_event([load_event("scheduled-event.json"), load_event("scheduler-event.json")]))
def test_every_sweep_event_is_swept_or_refused_by_name(event_doors, event) -> None:
    from govbot.handlers.events import BadEvent

    try:
        report = event_doors["sweep"](event, FakeLambdaContext())
    except BadEvent as refused:
        said = str(refused)
        report = {"summary": said} if "the sweep function expects ScheduledEvent" in said else {}
    assert "summary" in report


def test_every_payload_in_events_is_answered_by_its_function(event_doors) -> None:
    """Every sample the repository ships reaches its function without an exception."""
    for path in sorted(EVENTS.glob("*.json")):
        event = load_event(path.name)
        name = path.name
        if name.startswith(("cloudtrail-", "sagemaker-")):
            assert event_doors["realtime"](event, FakeLambdaContext())["event"]
        elif name.startswith(("budgets-", "cost-anomaly-")):
            assert event_doors["budget"](event, FakeLambdaContext())["results"]
        elif name.startswith(("scheduled-", "scheduler-")):
            assert "summary" in event_doors["sweep"](event, FakeLambdaContext())
