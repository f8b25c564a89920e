"""`govbot restore` as the tests call it: one resource of the emulated account, by ana."""

from __future__ import annotations

from datetime import datetime

from govbot.actions import restore_resource
from govbot.aws import AwsClients
from govbot.state.store import Store

ACCOUNT, REGION = "123456789012", "us-east-1"


def restore(
    rtype: str,
    store: Store,
    clients: AwsClients,
    resource_id: str,
    now: datetime,
    *,
    account_id: str = ACCOUNT,
    actor: str = "ana",
) -> str:
    """Undo govbot's latest fix of one resource in the test region; returns what it says."""
    return restore_resource(
        rtype,
        store,
        clients,
        region=REGION,
        account_id=account_id,
        resource_id=resource_id,
        actor=actor,
        now=now,
    )
