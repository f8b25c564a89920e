"""What a sweep tells people: SNS within its size limit, Slack within its block limits."""

import json

import pytest

from govbot.contracts import State
from govbot.models import Finding, SweepReport
from govbot.notify import sns
from govbot.notify.digest import build_digest
from govbot.notify.slack import MAX_BLOCKS, MAX_TEXT, digest_messages
from govbot.policy import Policy, parse_policy


def finding(i: int, detector: str = "idle-endpoint", cost: float | None = 10.0, **kw) -> Finding:
    return Finding(
        detector=detector,
        resource_id=f"res-{i:05d}",
        resource_arn=f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/res-{i:05d}",
        resource_type="AWS::SageMaker::Endpoint",
        region="us-east-1",
        account_id="123456789012",
        monthly_cost_usd=cost,
        reason=kw.pop("reason", "no invocations in the last 24 h"),
        proposed_action="delete",
        **kw,
    )


def report_of(findings: list[Finding]) -> SweepReport:
    return SweepReport.build(
        findings=findings,
        errors=[],
        api_calls={},
        regions=["us-east-1"],
        detector_ids=["idle-endpoint"],
        exempted=0,
        units_swept=1,
        units_failed=0,
        account_id="123456789012",
    )


def stored(findings: list[Finding], state: State) -> dict[str, State]:
    return {f.finding_id: state for f in findings}


def test_report_mode_and_decided_findings_are_not_told() -> None:
    told, quiet = finding(1), finding(2, detector="log-retention-gap")
    rejected = finding(3)
    policy = parse_policy({"detectors": {"log-retention-gap": {"mode": "report"}}})
    states = stored([told], State.PENDING_APPROVAL) | stored([rejected], State.REJECTED)
    digest = build_digest(report_of([told, quiet, rejected]), policy, states)
    assert [t.finding.resource_id for t in digest.items] == ["res-00001"]
    assert digest.items[0].awaits_approval


@pytest.mark.parametrize(("cost", "severity"), [(5.0, "low"), (150.0, "medium"), (2500.0, "high")])
def test_sns_attributes_let_subscribers_filter(cost, severity) -> None:
    digest = build_digest(report_of([finding(1, cost=cost)]), Policy())
    attrs = sns.attributes(digest)
    assert attrs["severity"]["StringValue"] == severity
    assert json.loads(attrs["detector"]["StringValue"]) == ["idle-endpoint"]
    assert attrs["detector"]["DataType"] == "String.Array"
    assert attrs["account_id"]["StringValue"] == "123456789012"


def test_sns_message_has_text_for_people_and_json_for_machines() -> None:
    digest = build_digest(report_of([finding(1, cost=100.0), finding(2, cost=50.0)]), Policy())
    body = json.loads(sns.message(digest))
    assert body["default"].startswith("govbot: $150.00/month of waste in account 123456789012")
    assert body["email"] == body["default"]
    machine = json.loads(body["sqs"])
    assert machine["findings_total"] == 2
    assert [f["resource_id"] for f in machine["findings"]] == ["res-00001", "res-00002"]
    assert body["lambda"] == body["https"] == body["sqs"]


def test_a_large_sweep_is_summarised_under_the_sns_limit() -> None:
    many = [finding(i, reason="x" * 300) for i in range(5000)]
    digest = build_digest(report_of(many), Policy())
    text = sns.message(digest)
    assert len(text.encode()) <= sns.MAX_BYTES
    body = json.loads(text)
    machine = json.loads(body["sqs"])
    assert machine["findings_total"] == 5000
    assert 0 < len(machine["findings"]) < 5000
    assert f"and {5000 - len(machine['findings'])} more" in body["default"]


def test_slack_messages_stay_within_block_limits_and_keep_buttons_with_their_finding() -> None:
    many = [finding(i, cost=float(i)) for i in range(60)]
    digest = build_digest(report_of(many), Policy(), stored(many, State.PENDING_APPROVAL))
    messages = digest_messages(digest, Policy().slack)
    assert len(messages) > 1  # the rest go to the thread
    assert all(len(m) <= MAX_BLOCKS for m in messages)
    blocks = [b for m in messages for b in m]
    sections = [b for b in blocks if b.get("block_id", "").startswith("finding:")]
    buttons = [b for b in blocks if b.get("block_id", "").startswith("decide:")]
    assert len(sections) == len(buttons) == 60
    for m in messages:
        ids = [b["block_id"] for b in m if "block_id" in b]
        assert all(ids[i + 1] == f"decide:{ids[i].split(':', 1)[1]}" for i in range(0, len(ids), 2))
    first = buttons[0]["elements"]
    assert [e["action_id"] for e in first] == ["govbot_approve", "govbot_reject", "govbot_snooze"]
    assert {e["value"] for e in first} == {digest.items[0].finding.finding_id}
    assert "costliest first" in messages[0][1]["text"]["text"]


def test_only_findings_awaiting_approval_get_buttons() -> None:
    open_one = finding(1, detector="untagged-resource")
    digest = build_digest(report_of([open_one]), Policy(), stored([open_one], State.OPEN))
    [message] = digest_messages(digest, Policy().slack)
    assert not any(b["type"] == "actions" for b in message)


def test_long_text_is_clipped_and_owners_are_mentioned() -> None:
    f = finding(1, reason="y" * 5000, tags={"owner": "ana"})
    policy = parse_policy({"slack": {"owners": {"ana": "U024BE7LH"}}})
    [message] = digest_messages(build_digest(report_of([f]), policy), policy.slack)
    text = message[3]["text"]["text"]
    assert len(text) <= MAX_TEXT
    assert "owner <@U024BE7LH>" in text


def test_slack_settings_are_validated() -> None:
    from govbot.policy import PolicyError

    with pytest.raises(PolicyError, match=r"slack\.approvers\.0"):
        parse_policy({"slack": {"approvers": ["ana"]}})
