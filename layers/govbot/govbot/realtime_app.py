"""The realtime function's wiring: policy, store, queue and notifications around ``realtime``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from govbot import runtime
from govbot.delivery import acting_clients, notify, queue_dispatch, reading_clients
from govbot.engine import Cycle
from govbot.models import SweepReport
from govbot.realtime import Judgement, Realtime
from govbot.runtime import Settings


def judge(settings: Settings, event: dict[str, Any]) -> Judgement:
    policy = runtime.load_policy(settings)
    now = datetime.now(UTC)
    cycle = Cycle(
        policy=policy,
        store=runtime.store(settings),
        now=now,
        dry_run=settings.dry_run,
        actor="realtime",
        clients_for=acting_clients(settings, policy),
        dispatch=queue_dispatch(settings, now),
    )
    judgement = Realtime(cycle, reading_clients(settings, policy)).handle(event)
    if judgement.findings:
        # Reported within seconds, through the same SNS and Slack digest as the nightly run.
        report = SweepReport.build(
            findings=judgement.findings, account_id=judgement.findings[0].account_id
        )
        notify(settings, policy, report, judgement.states)
    return judgement
