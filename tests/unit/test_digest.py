"""What a sweep tells people: SNS within its size limit, Slack within its block limits."""

import json

import pytest

from govbot.cycle.contracts import State
from govbot.cycle.models import Finding, SweepReport
from govbot.cycle.policy import Policy, parse_policy
from govbot.delivery import sns
from govbot.delivery.digest import build_digest
from govbot.delivery.slack import MAX_BLOCKS, MAX_TEXT, digest_messages


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
    from govbot.cycle.policy import PolicyError

    with pytest.raises(PolicyError, match=r"slack\.approvers\.0"):
        parse_policy({"slack": {"approvers": ["ana"]}})


def test_a_dollar_means_one_thing_waste_untagged_spend_and_per_run_advice_apart() -> None:
    """A busy untagged notebook is not waste, and a spot saving per run is not per month:
    neither adds to waste anywhere (summary, digest, SNS, Slack), and each says what it is."""
    idle = finding(1, cost=100.0)
    untagged_busy = finding(2, "untagged-resource", cost=400.0, cost_kind="unattributed")
    untagged_idle = finding(1, "untagged-resource", cost=100.0, cost_kind="unattributed")
    advice = finding(3, "training-without-spot", cost=250.0, cost_kind="per_run")
    report = report_of([idle, untagged_busy, untagged_idle, advice])
    assert report.summary.total_monthly_cost_usd == 100.0
    assert report.summary.unattributed_monthly_usd == 500.0
    assert report.summary.by_detector["training-without-spot"].cost_kind == "per_run"
    pol = parse_policy({"detectors": {d: {"mode": "notify"} for d in ("untagged-resource",)}})
    digest = build_digest(report, pol)
    assert digest.total_monthly_cost_usd == 100.0
    assert digest.unattributed_monthly_usd == 500.0
    assert digest.severity == "medium"  # $100 of waste, not $850
    text = sns.text(digest, 10)
    assert "govbot: $100.00/month of waste" in text
    assert "$500.00/month of untagged spend (unattributed, not waste)" in text
    assert "- $250.00 per run training-without-spot res-00003" in text
    assert "training-without-spot: 1 finding(s), $250.00 per run" in text
    assert "- $400.00/month unattributed untagged-resource res-00002" in text
    machine = sns.machine(digest, 10)
    assert machine["total_monthly_cost_usd"] == 100.0
    assert machine["by_detector"]["untagged-resource"]["cost_kind"] == "unattributed"
    assert [f["cost_kind"] for f in machine["findings"]].count("per_run") == 1
    slack = json.dumps(digest_messages(digest, pol.slack))
    assert "$250.00 per run" in slack
    assert "$100.00/month of waste" in slack
    assert "$850" not in slack
    assert "$850" not in text


def test_the_html_report_charts_waste_only_and_shows_untagged_spend_beside_it() -> None:
    from datetime import UTC, datetime

    from govbot.cli.html_report import render_html
    from govbot.cycle.contracts import StoredFinding
    from govbot.state.savings import summarize

    now = datetime(2026, 12, 6, tzinfo=UTC)
    stored = [
        StoredFinding(finding=f, state=State.OPEN, first_seen=now, last_seen=now)
        for f in (
            finding(1, cost=100.0),
            finding(2, "untagged-resource", cost=400.0, cost_kind="unattributed"),
            finding(3, "training-without-spot", cost=250.0, cost_kind="per_run"),
        )
    ]
    html = render_html(stored, summarize([], [], now), parse_policy({}), now)
    assert "Waste found, still standing<b>$100.00/month</b>" in html
    assert "Unattributed spend (untagged, not waste)<b>$400.00/month</b>" in html
    charts = html[html.index("Where the waste is") :]
    assert "untagged-resource:" not in charts.split("<table")[0]  # no bar for untagged spend
    assert "$250.00 per run" in html


def test_a_tally_keeping_a_few_tells_the_same_figures_as_the_whole_digest() -> None:
    """An organisation's digest is tallied a finding at a time, holding only the costliest:
    its figures must be the ones the whole digest gives, and both channels say how many more
    there are."""
    from govbot.delivery.digest import Tally

    policy = Policy()
    findings = [finding(i, cost=float(i)) for i in range(1, 301)]
    # The same endpoint flagged by a second detector: its cost counts once, at its most.
    findings.append(finding(300, detector="overprovisioned-endpoint", cost=120.0))
    findings.append(finding(999, detector="untagged-resource", cost=50.0, cost_kind="unattributed"))
    states = stored(findings, State.PENDING_APPROVAL)
    whole = build_digest(report_of(findings), policy, states)
    tally = Tally(policy, keep=5)
    for f in findings:
        tally.add(f, states[f.finding_id])
    kept = tally.digest(report_of([]))
    assert kept.total_monthly_cost_usd == whole.total_monthly_cost_usd == sum(range(1, 301))
    assert kept.unattributed_monthly_usd == whole.unattributed_monthly_usd == 50.0
    assert (kept.findings, kept.awaiting_approval) == (whole.findings, whole.awaiting_approval)
    assert kept.waiting_usd == whole.waiting_usd
    assert kept.by_detector == whole.by_detector
    assert [t.finding.resource_id for t in kept.items] == [
        t.finding.resource_id for t in whole.items[:5]
    ]
    slack = " ".join(json.dumps(m) for m in digest_messages(kept, policy.slack))
    assert "and 297 more finding(s)" in slack
    assert f"{len(findings)} finding(s)" in slack
    body = json.loads(json.loads(sns.message(kept))["sqs"])
    assert body["findings_total"] == len(findings)


def test_read_detector_by_detector_only_the_rarer_side_is_remembered() -> None:
    """The organisation's digest reads over-provisioned endpoints before idle ones: an idle
    endpoint is held against what was remembered and never remembered itself, and a resource
    both flag still counts once, at its most."""
    from govbot.delivery.digest import Tally, streamed_detectors

    assert streamed_detectors() == {"idle-endpoint"}
    over = finding(1, detector="overprovisioned-endpoint", cost=30.0)
    idle = [finding(1, cost=100.0), finding(2, cost=50.0), finding(3, cost=20.0)]
    tally = Tally(Policy(), keep=2, streamed=streamed_detectors())
    for f in [over, *idle]:  # the order organisation_report reads them in
        tally.add(f, State.OPEN)
    whole = build_digest(report_of([over, *idle]), Policy())
    assert tally.total("waste") == whole.total_monthly_cost_usd == 170.0
    assert sum(len(t) for t in tally.twice.values()) == 1  # the over-provisioned one alone
