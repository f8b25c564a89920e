"""The remediation worker: settle one approved finding from the queue through the engine's
cycle (the policy's rails, the re-check, the claim, the act), then say how it went.

Idempotent per decision (Powertools Idempotency on the finding id and decision time) and per
finding (the engine's conditional claim): redelivery, a second message for the same finding or
a finding fixed meanwhile all end with at most one change.
"""

from __future__ import annotations

import logging
from typing import Any

from govbot.contracts import RemediationRequest, Respond, decision_block
from govbot.engine import Cycle
from govbot.models import ActionOutcome, Outcome
from govbot.notify.mrkdwn import escape, mention

log = logging.getLogger(__name__)


class TryAgainLater(RuntimeError):
    """The fix failed for now (throttled, a 5xx, a timeout): the message is to be redelivered."""


ICONS = {"remediated": ":white_check_mark:", "failed": ":x:"}


def remediate_request(
    request: RemediationRequest, *, cycle: Cycle, respond: Respond
) -> dict[str, Any]:
    sf = cycle.store.get(request.finding_id)
    if sf is None:
        return {"finding_id": request.finding_id, "outcome": "unknown finding"}
    f = sf.finding
    if (f.account_id, f.region) != (request.account_id, request.region):
        # The stored finding is the truth; a message that disagrees acts nowhere.
        return {
            "finding_id": sf.finding_id,
            "outcome": f"refused: the message names {request.account_id} {request.region}, "
            f"the finding is in {f.account_id} {f.region}",
        }
    outcomes = cycle.decided(sf.finding_id)
    if not outcomes:
        # Redelivered, or decided otherwise since: nothing to do, and nothing to retry.
        return {"finding_id": sf.finding_id, "outcome": f"nothing to do: {sf.state.value}"}
    [outcome] = outcomes
    if outcome.outcome is Outcome.RETRY:
        # The record fails, so SQS delivers it again after its visibility timeout (and the
        # dead-letter queue keeps it after the last try; the finding stays approved for the
        # next sweep). Slack hears only the end.
        raise TryAgainLater(f"{outcome.finding_id}: {outcome.message}")
    _tell(request, outcome, respond)
    return outcome.model_dump(mode="json")


def _tell(request: RemediationRequest, outcome: ActionOutcome, respond: Respond) -> None:
    slack = request.slack
    if not (slack and slack.response_url):
        return
    icon = ICONS.get(outcome.outcome.value, ":information_source:")
    by = mention(request.decided_by)
    text = f"{icon} {outcome.outcome.value}: {escape(outcome.message)} (approved by {by})"
    try:
        respond(
            slack.response_url,
            {
                "replace_original": True,
                "text": text,
                "blocks": decision_block(slack.blocks, outcome.finding_id, text),
            },
        )
    except Exception:  # the fix is done and recorded; a lost message update is only logged
        log.warning("could not update the Slack message of %s", outcome.finding_id, exc_info=True)
