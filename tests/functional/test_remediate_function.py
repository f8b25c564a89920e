"""functions/remediate: the SQS worker acting on approved findings, under moto."""

import json

import pytest

from govbot.cycle.contracts import RemediationRequest, SlackContext, State
from govbot.cycle.decisions import Decision, decide_one
from govbot_emulator.estate import make_traffic
from tests.conftest import load_event, load_function
from tests.helpers.findings import idle_endpoint_finding

REGION = "us-east-1"


@pytest.fixture
def approved(clients, store, now, monkeypatch):
    monkeypatch.setenv("DRY_RUN", "false")
    f = idle_endpoint_finding(clients, store, now)
    return decide_one(store, f.finding_id, Decision.APPROVE, by="W111", now=now)


def sqs_event(*requests: RemediationRequest | str) -> dict:
    event = load_event("remediation-request-sqs.json")
    template = event["Records"][0]
    event["Records"] = [
        {**template, "messageId": f"m{i}", "body": r if isinstance(r, str) else r.model_dump_json()}
        for i, r in enumerate(requests)
    ]
    return event


def request_for(sf, slack=None) -> RemediationRequest:
    return RemediationRequest(
        finding_id=sf.finding_id,
        account_id=sf.finding.account_id,
        region=sf.finding.region,
        decided_at=sf.decided_at,
        decided_by=sf.decided_by,
        slack=slack,
    )


def endpoint_exists(clients) -> bool:
    return any(
        e["EndpointName"] == "idle" for e in clients.sagemaker(REGION).list_endpoints()["Endpoints"]
    )


def test_the_worker_acts_and_tells_slack_how_to_restore(
    approved, clients, store, slack, lambda_context
) -> None:
    blocks = [{"type": "actions", "block_id": f"decide:{approved.finding_id}", "elements": []}]
    context = SlackContext(response_url=slack.response_url(), blocks=blocks)
    answer = load_function("remediate")(sqs_event(request_for(approved, context)), lambda_context)
    assert answer == {"batchItemFailures": []}
    assert not endpoint_exists(clients)
    assert store.get(approved.finding_id).state is State.REMEDIATED
    [update] = slack.responses()
    assert (
        "remediated: deleted endpoint idle; restore with `govbot restore endpoint idle"
        in update["text"]
    )
    assert update["blocks"][0]["type"] == "context"


def test_redelivery_acts_once(approved, clients, store, lambda_context) -> None:
    handler = load_function("remediate")
    event = sqs_event(request_for(approved))
    assert handler(event, lambda_context) == {"batchItemFailures": []}
    assert handler(event, lambda_context) == {"batchItemFailures": []}
    assert handler(sqs_event(request_for(approved), request_for(approved)), lambda_context) == {
        "batchItemFailures": []
    }
    from govbot import runtime

    assert runtime.clients().calls["sagemaker.DeleteEndpoint"] == 1


def test_a_resource_fixed_between_click_and_action_is_left_alone(
    approved, clients, store, slack, now, lambda_context
) -> None:
    make_traffic(clients, REGION, "idle", "AllTraffic", now, hours_ago=[0.05], value=3)
    context = SlackContext(response_url=slack.response_url(), blocks=[])
    load_function("remediate")(sqs_event(request_for(approved, context)), lambda_context)
    assert endpoint_exists(clients)
    assert store.get(approved.finding_id).state is State.RESOLVED
    assert "no longer qualifies" in slack.responses()[0]["text"]


def test_a_malformed_message_fails_alone(approved, clients, store, lambda_context) -> None:
    event = sqs_event("{not json", request_for(approved), json.dumps({"finding_id": 3}))
    answer = load_function("remediate")(event, lambda_context)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m0"}, {"itemIdentifier": "m2"}]}
    assert not endpoint_exists(clients)  # the good one in between was acted on


def test_a_finding_rejected_after_queueing_is_not_acted_on(
    approved, clients, store, now, lambda_context
) -> None:
    decide_one(store, approved.finding_id, Decision.REJECT, by="U0BEN", now=now)
    load_function("remediate")(sqs_event(request_for(approved)), lambda_context)
    assert endpoint_exists(clients)
    assert store.get(approved.finding_id).state is State.REJECTED


def test_a_dry_run_deployment_decides_but_changes_nothing(
    approved, clients, store, monkeypatch, lambda_context
) -> None:
    monkeypatch.setenv("DRY_RUN", "true")
    load_function("remediate")(sqs_event(request_for(approved)), lambda_context)
    assert endpoint_exists(clients)
    assert store.get(approved.finding_id).state is State.APPROVED
