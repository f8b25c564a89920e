"""A fix's outcome as the worker tells it, for tests of the worker's Slack reply."""

from __future__ import annotations

from typing import Any

from govbot.cycle.contracts import RemediationRequest
from govbot.cycle.models import ActionOutcome, Outcome


def told(
    response_url: str,
    message: str,
    outcome: Outcome = Outcome.REMEDIATED,
    decided_by: str = "U0ANA",
    blocks: list[dict[str, Any]] | None = None,
) -> tuple[RemediationRequest, ActionOutcome]:
    """An approved endpoint deletion's queue message (pointing at ``response_url``) and its
    outcome, saying ``message``."""
    request = RemediationRequest.model_validate(
        {
            "finding_id": "f1",
            "account_id": "123456789012",
            "region": "us-east-1",
            "decided_at": "2026-12-06T00:00:00Z",
            "decided_by": decided_by,
            "slack": {"response_url": response_url, "blocks": blocks or []},
        }
    )
    result = ActionOutcome(
        finding_id="f1",
        detector="idle-endpoint",
        resource_id="ep",
        region="us-east-1",
        action="delete-endpoint",
        outcome=outcome,
        message=message,
    )
    return request, result
