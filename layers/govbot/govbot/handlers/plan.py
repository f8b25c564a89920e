"""Organisation sweep, step 1 (the plan function): the accounts and regions to sweep."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from govbot import runtime
from govbot.cycle import org
from govbot.runtime import Settings


class PlanEvent(BaseModel):
    run_id: str


def plan_targets(settings: Settings, run_id: str) -> dict[str, Any]:
    """The accounts (one Map item each) and the regions, once: the Map's ItemSelector gives
    every item the run's regions and id."""
    policy = runtime.load_policy(settings)
    planned = org.plan(policy, runtime.clients(), settings.region, run_id)
    return {
        "run_id": run_id,
        "started": datetime.now(UTC).isoformat(),
        "regions": planned.regions,
        "targets": [{"account_id": a} for a in planned.accounts],
    }
