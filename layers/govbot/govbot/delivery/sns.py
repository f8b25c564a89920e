"""One SNS message per sweep: text for people, JSON for machines, attributes for filters."""

from __future__ import annotations

import json
from typing import Any

from govbot.aws import AwsClients
from govbot.cycle.models import cost_text, money
from govbot.delivery.digest import Digest
from govbot.delivery.mrkdwn import plain

MAX_BYTES = 256 * 1024  # SNS limit for message and attributes together
BUDGET = MAX_BYTES - 8 * 1024  # room for attributes and the envelope
MACHINE_PROTOCOLS = ("sqs", "lambda", "http", "https", "firehose")
PERMISSIONS = ("sns:Publish",)


def text(digest: Digest, shown: int) -> str:
    lines = [digest.headline, ""] if digest.headline else []
    if digest.savings_line:  # what govbot saved leads, before what is still wasted
        lines += [f"govbot {digest.savings_line}.", ""]
    lines += [
        f"govbot: {money(digest.total_monthly_cost_usd)}/month of waste in account "
        f"{digest.account_id} ({', '.join(digest.regions)}), {digest.findings} finding(s)"
        + (
            f"; {money(digest.unattributed_monthly_usd)}/month of untagged spend (unattributed, "
            "not waste)."
            if digest.unattributed_monthly_usd
            else "."
        ),
        "",
    ]
    if digest.pricing_note:
        lines += [f"Note: {digest.pricing_note}.", ""]
    lines += [f"Done: {line}" for line in digest.done]
    lines += [
        f"  {det}: {s.findings} finding(s), {cost_text(s.monthly_cost_usd, s.cost_kind)}"
        for det, s in digest.by_detector.items()
    ]
    lines.append("")
    for t in digest.items[:shown]:
        f = t.finding
        wait = " [awaiting approval]" if t.awaits_approval else ""
        lines.append(
            f"- {cost_text(f.monthly_cost_usd, f.cost_kind)} {f.detector} {f.resource_id} "
            f"({f.region}): {f.reason}{wait}"
        )
    if shown < digest.findings:
        lines.append(f"... and {digest.findings - shown} more (govbot findings lists them all)")
    # Names, tags and error text are the account's: no client may render them as mentions.
    return plain("\n".join(lines))


def machine(digest: Digest, shown: int) -> dict[str, Any]:
    return {
        "headline": digest.headline,
        "done": list(digest.done),
        "account_id": digest.account_id,
        "regions": digest.regions,
        "severity": digest.severity,
        "total_monthly_cost_usd": digest.total_monthly_cost_usd,
        "unattributed_monthly_usd": digest.unattributed_monthly_usd,
        "saved_this_month_usd": digest.saved_this_month,
        "pricing_note": digest.pricing_note,
        "waiting_for_approval_usd": digest.waiting_usd,
        "by_detector": {
            d: s.model_dump(exclude={"unpriced"}) for d, s in digest.by_detector.items()
        },
        "findings_total": digest.findings,
        "findings": [
            t.finding.model_dump(mode="json", exclude={"tags", "details"})
            | {"state": t.state.value if t.state else None}
            for t in digest.items[:shown]
        ],
    }


def message(digest: Digest) -> str:
    """The MessageStructure=json body: the most findings that fit under SNS's size limit."""

    def render(shown: int) -> str:
        body = json.dumps(machine(digest, shown), separators=(",", ":"))
        human = text(digest, shown)
        return json.dumps(
            {"default": human, "email": human, **dict.fromkeys(MACHINE_PROTOCOLS, body)}
        )

    low, high = 0, len(digest.items)
    while low < high:  # the largest count that fits
        mid = (low + high + 1) // 2
        if len(render(mid).encode()) <= BUDGET:
            low = mid
        else:
            high = mid - 1
    return render(low)


def attributes(digest: Digest) -> dict[str, Any]:
    return {
        "detector": {"DataType": "String.Array", "StringValue": json.dumps(digest.detectors)},
        "account_id": {"DataType": "String", "StringValue": digest.account_id},
        "severity": {"DataType": "String", "StringValue": digest.severity},
    }


def publish(clients: AwsClients, topic_arn: str, digest: Digest) -> str:
    region = topic_arn.split(":")[3]
    answer = clients.client("sns", region).publish(
        TopicArn=topic_arn,
        Subject=digest.title[:100],
        Message=message(digest),
        MessageStructure="json",
        MessageAttributes=attributes(digest),
    )
    return str(answer["MessageId"])
