"""The realtime function's wiring: policy, store, queue and notifications around ``realtime``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from govbot import runtime
from govbot.models import SweepReport
from govbot.nightly import notify, queue_dispatch
from govbot.realtime import Judgement, Realtime
from govbot.runtime import Settings


def judge(settings: Settings, event: dict[str, Any]) -> Judgement:
    policy = runtime.load_policy(settings)
    store = runtime.store(settings)
    now = datetime.now(UTC)
    judgement = Realtime(
        policy=policy,
        clients=runtime.clients(),
        store=store,
        now=now,
        dry_run=settings.dry_run,
        dispatch=queue_dispatch(settings, now),
    ).handle(event)
    if judgement.findings:
        # Reported within seconds, through the same SNS and Slack digest as the nightly run.
        report = SweepReport.build(
            findings=judgement.findings, account_id=judgement.findings[0].account_id
        )
        notify(settings, policy, report, judgement.states)
    return judgement
