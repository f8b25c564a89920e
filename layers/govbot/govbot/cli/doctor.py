"""`govbot doctor`: what stands between an install and a working night, one check a line.

Each check says ok, or what is wrong and the fix (cli/checks.py; permissions, asked of IAM
itself, in cli/permissions.py). This module orders them and prints them.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from govbot.aws import AwsClients
from govbot.cli import checks as check
from govbot.cli import iam
from govbot.cli.app import (
    Format,
    PolicyOption,
    TableOption,
    TableRegionOption,
    app,
    fail,
    out,
    region_of,
)
from govbot.cli.checks import Check, Install
from govbot.cli.permissions import permissions
from govbot.state.store import DEFAULT_TABLE, Store


def run(
    clients: AwsClients, store: Store, policy_path: Path | None, install: Install
) -> list[Check]:
    """Every check, in the order a person would fix them; the caller is always checked as
    ``cli``."""
    done = [check.state_table(store)]
    caller = check.caller_arn(clients, store.region)  # asked once: who runs doctor
    deployed: str | None = None
    if install.stack:  # first: it names the roles, topics and policy to check
        found, install, deployed = check.from_stack(clients, install, store.region, caller)
        done += found
    if policy_path is None and deployed:
        policy, read = check.deployed_policy(clients, deployed, store.region)
    else:
        policy, read = check.policy_file(policy_path)
    done.append(read)
    if policy is not None:
        done.append(check.regions(clients, policy, store.region))
    for arn, role in {caller: "cli", **install.roles}.items():
        done.append(permissions(clients, arn, role, store.region))
    done.append(check.price_list(clients))
    if install.slack_secret:
        done += check.slack_app(clients, install.slack_secret, policy)
    if install.members and policy is not None:
        done.append(check.members(clients, policy, store.region, install.external_id, caller))
    for topic, publishers in (
        (install.digest_topic, check.DIGEST_PUBLISHERS),
        (install.alerts_topic, check.ALERT_PUBLISHERS),
    ):
        if topic:
            done.append(check.topic(clients, topic, publishers))
    return done


@app.command()
def doctor(
    policy: PolicyOption = None,
    role: Annotated[
        list[str] | None,
        typer.Option(
            "--role",
            help="ROLE=ARN: also check a deployed role as the govbot role it plays "
            "(sweep=arn:aws:iam::1…:role/…; repeatable).",
        ),
    ] = None,
    slack_secret: Annotated[
        str | None,
        typer.Option(help="The Slack secret's ARN: check it, the app's scopes and the channel."),
    ] = None,
    digest_topic: Annotated[
        str | None, typer.Option(help="DigestTopicArn: alarms must be able to publish to it.")
    ] = None,
    alerts_topic: Annotated[
        str | None,
        typer.Option(
            help="BudgetAlertsTopicArn: Budgets and Cost Anomaly Detection must publish to it."
        ),
    ] = None,
    stack: Annotated[
        str | None,
        typer.Option(
            help="The deployed stack: check its schedule and rules, and its topics and "
            "functions' roles without naming them.",
        ),
    ] = None,
    members: Annotated[
        bool,
        typer.Option(
            "--members",
            help="Assume every target account's member sweep role (run as the sweep worker's "
            "role, which they trust).",
        ),
    ] = False,
    external_id: Annotated[
        str | None,
        typer.Option(envvar="GOVBOT_EXTERNAL_ID", help="The member roles' ExternalId."),
    ] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    table: TableOption = DEFAULT_TABLE,
    table_region: TableRegionOption = None,
) -> None:
    """Check an install, one line a check: the state table and its schema, the policy and its
    regions, each role's permissions (asked of IAM, so what IAM evaluates counts), the Price
    List, and with their options the Slack secret, app and channel and the topics' policies.
    Exits 1 when a check fails, naming the fix."""
    roles: dict[str, str] = {}
    for given in role or []:
        kind, _, arn = given.partition("=")
        if kind not in iam.ROLES or not arn.startswith("arn:"):
            fail(f"--role {given!r}: ROLE=ARN with ROLE one of {', '.join(iam.ROLES)}")
        roles[arn] = kind
    clients = AwsClients()
    store = Store(clients, region_of(clients, table_region), table)
    install = Install(roles, slack_secret, digest_topic, alerts_topic, members, external_id, stack)
    results = run(clients, store, policy, install)
    if format is Format.json:
        print(json.dumps(as_json(results), indent=2))
    else:
        grid = Table(show_header=True, header_style="bold")
        for column in ("check", "", "what", "fix"):
            grid.add_column(column, overflow="fold")
        for c in results:
            mark = "[green]ok[/]" if c.ok else "[red]FAIL[/]"
            grid.add_row(escape(c.name), mark, escape(c.detail), escape(c.fix))
        out.print(grid)
    if not all(c.ok for c in results):
        raise typer.Exit(1)


def as_json(results: list[Check]) -> list[dict[str, Any]]:
    return [asdict(c) for c in results]
