"""Run one detector the way the sweep runs it (exemptions included)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from govbot.aws import AwsClients
from govbot.cycle.models import Finding, SweepReport
from govbot.cycle.policy import parse_policy
from govbot.cycle.sweep import run_sweep
from govbot.detectors import DETECTORS

REGION = "us-east-1"


def sweep_one(
    clients: AwsClients,
    detector: str,
    now: datetime,
    regions: tuple[str, ...] = (REGION,),
    **settings: Any,
) -> SweepReport:
    detectors: dict[str, dict[str, Any]] = {d: {"enabled": d == detector} for d in DETECTORS}
    detectors[detector].update(settings)
    policy = parse_policy({"regions": list(regions), "detectors": detectors})
    return run_sweep(policy, clients, now=now)


def by_id(report: SweepReport) -> dict[str, Finding]:
    assert not report.errors, report.errors
    return {f.resource_id: f for f in report.findings}
