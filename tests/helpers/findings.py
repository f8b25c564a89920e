"""A stored finding to act on: an idle endpoint, swept and recorded (dry run)."""

from __future__ import annotations

from datetime import datetime, timedelta

from govbot.aws import AwsClients
from govbot.cycle.engine import govern
from govbot.cycle.models import Finding
from govbot.cycle.policy import parse_policy
from govbot.detectors import DETECTORS
from govbot.state.store import Store
from govbot_emulator.estate import make_endpoint, make_variant, team_tags

REGION = "us-east-1"


def idle_endpoint_finding(
    clients: AwsClients, store: Store, now: datetime, name: str = "idle"
) -> Finding:
    """An ml.m5.xlarge endpoint idle for ten days, its finding pending approval."""
    make_endpoint(
        clients,
        REGION,
        name,
        [make_variant("AllTraffic", "ml.m5.xlarge")],
        team_tags("p"),
        now - timedelta(days=10),
    )
    # Only the detector that finds it: the rest would read the whole region for nothing.
    only = {
        "regions": [REGION],
        "detectors": {d: {"enabled": d == "idle-endpoint"} for d in DETECTORS},
    }
    report = govern(parse_policy(only), clients, store, now=now, dry_run=True, actor="test").report
    [f] = [f for f in report.findings if (f.detector, f.resource_id) == ("idle-endpoint", name)]
    return f
