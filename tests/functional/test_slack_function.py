"""functions/slack: signed Slack button clicks through a Lambda Function URL, under moto."""

import json
import time

import pytest
from slack_sdk.signature import Clock

from govbot.cycle.contracts import State
from govbot.cycle.engine import govern
from govbot.cycle.policy import parse_policy
from govbot.handlers.slack import verify
from govbot_emulator.estate import make_endpoint, make_variant, team_tags
from tests.conftest import PUBLIC_EVENTS, load_function, queued
from tests.helpers.slack import (
    click_payload,
    form_body,
    function_url_event,
    signed_headers,
)

APPROVER, OTHER_APPROVER, STRANGER, GROUP_MEMBER = "W111", "U0BEN", "U0MALLORY", "U0CAROL"
POLICY = (
    "regions: [us-east-1]\n"
    f"slack: {{channel: C0FINOPS, approvers: [{APPROVER}, {OTHER_APPROVER}, S0APPROVERS]}}\n"
)


class FixedClock(Clock):
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


@pytest.fixture
def finding(clients, store, now, slack, slack_secret, remediation_queue, monkeypatch) -> str:
    """An idle endpoint's finding, pending approval, and the Slack function's environment."""
    clients.ssm("us-east-1").put_parameter(Name="/govbot/policy", Value=POLICY, Type="String")
    monkeypatch.setenv("GOVBOT_POLICY_PARAMETER", "/govbot/policy")
    make_endpoint(
        clients,
        "us-east-1",
        "idle",
        [make_variant("AllTraffic", "ml.m5.xlarge")],
        team_tags("p"),
        now.replace(year=now.year - 1),
    )
    cycle = govern(
        parse_policy({"regions": ["us-east-1"]}),
        clients,
        store,
        now=now,
        dry_run=True,
        actor="test",
    )
    [f] = [f for f in cycle.report.findings if f.detector == "idle-endpoint"]
    return f.finding_id


def click(slack, finding_id, user=APPROVER, action="govbot_approve", **kw):
    payload = click_payload(finding_id, action, user, slack.response_url(), kw.pop("blocks", None))
    body = form_body(payload)
    headers = kw.pop("headers", None) or signed_headers(body, **kw)
    return function_url_event(body, headers)


def test_slacks_published_signing_example_verifies(clients) -> None:
    example = json.loads(
        (PUBLIC_EVENTS / "slack-signature-documented-example_slash-command.json").read_text()
    )
    headers, body = example["headers"], example["body"]
    at_the_time = FixedClock(int(headers["X-Slack-Request-Timestamp"]) + 10)
    assert verify(body, headers, example["signing_secret"], at_the_time)
    assert not verify(body + "&x=1", headers, example["signing_secret"], at_the_time)
    assert not verify(body, headers, example["signing_secret"])  # 2018 is far outside 5 minutes


def test_an_approvers_click_approves_queues_and_updates_the_message(
    finding, slack, store, remediation_queue, lambda_context
) -> None:
    blocks = [
        {"type": "section", "block_id": f"finding:{finding}"},
        {"type": "actions", "block_id": f"decide:{finding}", "elements": []},
    ]
    answer = load_function("slack")(click(slack, finding, blocks=blocks), lambda_context)
    assert answer["statusCode"] == 200
    stored = store.get(finding)
    assert stored.state is State.APPROVED
    assert stored.decided_by == APPROVER
    [request] = queued(remediation_queue)
    assert request["finding_id"] == finding
    assert request["decided_by"] == APPROVER
    [update] = slack.responses()
    assert update["replace_original"] is True
    assert f"Approved by <@{APPROVER}>: delete endpoint idle" in update["text"]
    # The buttons of this finding are replaced by the decision; other blocks stay.
    assert [b["type"] for b in update["blocks"]] == ["section", "context"]


@pytest.mark.parametrize("forge", ["wrong-secret", "tampered-body", "unsigned", "stale"])
def test_requests_not_signed_by_slack_are_refused_and_change_nothing(
    finding, slack, store, remediation_queue, lambda_context, forge
) -> None:
    payload = click_payload(finding, "govbot_approve", APPROVER, slack.response_url())
    body = form_body(payload)
    headers = {
        "wrong-secret": signed_headers(body, secret="not-the-secret"),
        "tampered-body": signed_headers(form_body({**payload, "user": {"id": "U0MALLORY"}})),
        "unsigned": {"content-type": "application/x-www-form-urlencoded"},
        "stale": signed_headers(body, timestamp=int(time.time()) - 6 * 60),
    }[forge]
    answer = load_function("slack")(function_url_event(body, headers), lambda_context)
    assert answer["statusCode"] == 401
    assert store.get(finding).state is State.PENDING_APPROVAL
    assert queued(remediation_queue) == []
    assert slack.responses() == []


def test_a_replayed_request_changes_nothing(
    finding, slack, store, remediation_queue, lambda_context, now
) -> None:
    """A captured click, sent again within Slack's five minutes, is answered "already
    handled" before anything is read: not even a finding reopened since is decided again."""
    from govbot import runtime
    from govbot.cycle.decisions import reopen

    event = click(slack, finding, action="govbot_reject")
    handler = load_function("slack")
    assert handler(event, lambda_context)["statusCode"] == 200
    assert store.get(finding).state is State.REJECTED
    reopen(store, finding, waiting=State.PENDING_APPROVAL, by="ana", now=now)
    replies, reads = len(slack.responses()), runtime.clients().calls["dynamodb.GetItem"]
    again = handler(event, lambda_context)
    assert (again["statusCode"], again["body"]) == (200, "already handled")
    assert store.get(finding).state is State.PENDING_APPROVAL  # the replay decided nothing
    assert runtime.clients().calls["dynamodb.GetItem"] == reads  # nor read the finding
    assert len(slack.responses()) == replies
    assert queued(remediation_queue) == []
    # A new click (its own timestamp and signature) is a new decision.
    fresh = click(slack, finding, action="govbot_reject", timestamp=int(time.time()) + 1)
    later = handler(fresh, lambda_context)
    assert later["statusCode"] == 200
    assert store.get(finding).state is State.REJECTED


def test_someone_not_an_approver_is_told_so_and_nothing_changes(
    finding, slack, store, remediation_queue, lambda_context
) -> None:
    load_function("slack")(click(slack, finding, user=STRANGER), lambda_context)
    assert store.get(finding).state is State.PENDING_APPROVAL
    assert queued(remediation_queue) == []
    [reply] = slack.responses()
    assert reply["response_type"] == "ephemeral"
    assert "not allowed" in reply["text"]


def test_a_member_of_an_approver_group_may_decide(finding, slack, store, lambda_context) -> None:
    load_function("slack")(click(slack, finding, user=GROUP_MEMBER), lambda_context)
    assert store.get(finding).decided_by == GROUP_MEMBER
    assert slack.posted("usergroups.users.list") == [{"usergroup": "S0APPROVERS"}]


def test_two_approvers_clicking_end_with_one_action_and_an_honest_reply(
    finding, slack, store, remediation_queue, lambda_context
) -> None:
    handler = load_function("slack")
    handler(click(slack, finding, user=APPROVER), lambda_context)
    handler(click(slack, finding, user=OTHER_APPROVER), lambda_context)
    assert len(queued(remediation_queue)) == 1
    assert store.get(finding).decided_by == APPROVER
    assert slack.responses()[-1]["text"] == (
        f"Nothing changed: this finding is already approved by <@{APPROVER}>."
    )


@pytest.mark.parametrize(
    ("action", "state"), [("govbot_reject", State.REJECTED), ("govbot_snooze", State.SNOOZED)]
)
def test_reject_and_snooze_queue_nothing(
    finding, slack, store, remediation_queue, lambda_context, action, state
) -> None:
    load_function("slack")(click(slack, finding, action=action), lambda_context)
    stored = store.get(finding)
    assert stored.state is state
    assert queued(remediation_queue) == []
    if state is State.SNOOZED:
        assert (stored.snooze_until - stored.decided_at).days == 7


def test_a_signed_request_that_is_not_a_click_is_a_clear_400(
    finding, slack, lambda_context
) -> None:
    body = "payload=" + json.dumps({"type": "view_submission"})
    answer = load_function("slack")(function_url_event(body, signed_headers(body)), lambda_context)
    assert answer["statusCode"] == 400
    assert "not a govbot button click: type" in answer["body"]


def test_a_base64_encoded_body_is_verified_as_sent(finding, slack, store, lambda_context) -> None:
    payload = click_payload(finding, "govbot_approve", APPROVER, slack.response_url())
    body = form_body(payload)
    event = function_url_event(body, signed_headers(body), encode=True)
    assert load_function("slack")(event, lambda_context)["statusCode"] == 200
    assert store.get(finding).state is State.APPROVED
