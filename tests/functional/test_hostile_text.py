"""Text strangers wrote (tag values, names, AWS error text) never reaches Slack as controls.

Anyone who may tag a volume can write ``<!channel>`` or ``<https://evil.example|Approve>``
into an owner tag; Slack's mrkdwn would ping the channel and dress the link beside the
Approve buttons. Every renderer escapes what it did not write; govbot's own mentions (the
policy's owners, the approver who clicked) are the only controls left."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from govbot.cycle.engine import govern
from govbot.cycle.models import Finding, Outcome
from govbot.cycle.policy import parse_policy
from govbot.delivery import sns
from govbot.delivery.digest import build_digest
from govbot.delivery.slack import digest_messages
from govbot.handlers.remediate import _tell
from govbot_emulator.estate import make_volume
from tests.helpers.worker import told

REGION = "us-east-1"
HOSTILE = "<!channel> <https://evil.example/login|Approve here> <@U0BOSS> <!here> & <!subteam^S1>"
# What Slack would render as a control: a special mention, a user or group mention, a link.
CONTROL = re.compile(r"<(?:!|@|#|https?:|mailto:)[^>]*>")


def controls(rendered: object) -> set[str]:
    return set(CONTROL.findall(json.dumps(rendered)))


def test_a_digest_built_from_hostile_tags_carries_no_mention_or_link(clients, store, now) -> None:
    tags = [
        {"Key": "owner", "Value": HOSTILE},
        {"Key": "project", "Value": HOSTILE},
        {"Key": "cost-center", "Value": "cc-1"},
        {"Key": "environment", "Value": "dev"},
    ]
    hostile = make_volume(clients, REGION, f"{REGION}a", 100, "gp3", tags, now - timedelta(days=30))
    known = [{"Key": "owner", "Value": "ana"}]
    mine = make_volume(clients, REGION, f"{REGION}a", 100, "gp3", known, now - timedelta(days=30))
    policy = parse_policy(
        {
            "regions": [REGION],
            "detectors": {"orphaned-volume": {"mode": "approve"}},
            "slack": {"channel": "C1", "approvers": ["U0APPROVER"], "owners": {"ana": "U0ANA"}},
        }
    )
    report = govern(policy, clients, store, now=now, dry_run=True, actor="t").report
    assert {f.resource_id for f in report.findings} >= {hostile, mine}
    states = {f.finding_id: store.get(f.finding_id).state for f in report.findings}
    digest = build_digest(report, policy, states)
    assert any(t.awaits_approval for t in digest.items)  # the buttons are beside them
    messages = digest_messages(digest, policy.slack)
    # The one mention left is the one the policy asked for.
    assert controls(messages) == {"<@U0ANA>"}
    text = json.dumps(messages)
    assert "&lt;!channel&gt;" in text  # shown as typed, not dropped
    assert "&amp;" in text
    # SNS text: no angle brackets a rendering client could take for a mention or a link.
    assert not CONTROL.search(sns.text(digest, 50))


def finding(**kw: str) -> Finding:
    values = {
        "detector": "idle-endpoint",
        "resource_id": "ep",
        "resource_arn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint/ep",
        "resource_type": "AWS::SageMaker::Endpoint",
        "region": REGION,
        "account_id": "123456789012",
        "monthly_cost_usd": 10.0,
        "reason": "idle",
        "proposed_action": "delete",
    }
    return Finding(**{**values, **kw})  # type: ignore[arg-type]


def test_names_reasons_and_the_fix_in_the_confirm_dialog_are_escaped(store) -> None:
    from govbot.delivery.digest import Told
    from govbot.delivery.slack import finding_blocks

    f = finding(resource_id=HOSTILE, reason=HOSTILE, region=HOSTILE)
    blocks = finding_blocks(Told(f, None), parse_policy({}).slack)
    assert controls(blocks) == set()


def test_the_workers_reply_escapes_aws_error_text_and_keeps_the_approver(store) -> None:
    sent: list[dict] = []
    blocks = [{"type": "actions", "block_id": "decide:f1", "elements": []}]
    request, outcome = told(
        "https://hooks.slack.com/actions/T1/1/x",
        f"ValidationException: {HOSTILE}",
        Outcome.FAILED,
        decided_by="U0APPROVER",
        blocks=blocks,
    )
    _tell(request, outcome, lambda _url, payload: sent.append(payload))
    [payload] = sent
    assert controls(payload) == {"<@U0APPROVER>"}
    # The buttons became a line of text, which shows the error as typed.
    [line] = payload["blocks"]
    assert line["type"] == "context"
    assert "&lt;!channel&gt;" in line["elements"][0]["text"]


def test_a_clicking_user_id_that_is_not_an_id_is_text_not_a_mention() -> None:
    from govbot.delivery.mrkdwn import mention

    assert mention("U0ANA") == "<@U0ANA>"
    assert mention("S0TEAM") == "<!subteam^S0TEAM>"
    assert mention("U1> <!channel") == "U1&gt; &lt;!channel"
