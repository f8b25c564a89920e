"""The remediation worker: settle one approved finding from the queue through the engine's
cycle (the policy's rails, the re-check, the claim, the act), then say how it went.

Idempotent per decision (Powertools Idempotency on the finding id and decision time) and per
finding (the engine's conditional claim): redelivery, a second message for the same finding or
a finding fixed meanwhile all end with at most one change.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Json

from govbot import runtime
from govbot.cycle.contracts import RemediationRequest, Respond, decision_block
from govbot.cycle.engine import Cycle
from govbot.cycle.models import ActionOutcome, Outcome
from govbot.delivery.channels import acting_clients
from govbot.delivery.mrkdwn import escape, mention
from govbot.delivery.slack import respond
from govbot.runtime import Settings

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


# -- the function's wiring ------------------------------------------------------------
class RemediationRecord(SqsRecordModel):
    body: Json[RemediationRequest]


class WorkerApp:
    def __init__(self, settings: Settings, context: LambdaContext | None) -> None:
        self.settings = settings

        # One decision is one key: the same approval delivered twice acts once; a later
        # approval of the same finding (after a failure) is a new decision.
        @runtime.idempotent(
            settings,
            "remediate",
            data="request",
            key="[finding_id, decided_at]",
            days=1,
            context=context,
        )
        def run(request: RemediationRequest) -> dict[str, Any]:
            policy = runtime.load_policy(settings)
            cycle = Cycle(
                policy=policy,
                store=runtime.store(settings),
                now=datetime.now(UTC),
                dry_run=settings.dry_run,  # a dry-run deployment takes decisions, changes nothing
                actor=f"slack:{request.decided_by}",
                clients_for=acting_clients(settings, policy),
            )
            return remediate_request(request, cycle=cycle, respond=respond)

        self._run = run

    def handle_record(self, record: RemediationRecord) -> dict[str, Any]:
        # An exception here fails only this record: SQS retries it, then the DLQ keeps it.
        return self._run(request=record.body)  # type: ignore[no-any-return]
