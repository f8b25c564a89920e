"""`govbot detectors`, `govbot prices`, `govbot iam-policy` and `govbot policy`: what govbot
judges, the prices it uses, the IAM each role needs, and how a policy sets it."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.markup import escape
from rich.table import Table

from govbot.actions import action_for
from govbot.aws import AwsClients
from govbot.cli import iam
from govbot.cli.app import (
    Format,
    PolicyOption,
    app,
    fail,
    note,
    out,
    policy_or_exit,
    region_of,
)
from govbot.detectors import DETECTORS
from govbot.pricing.price_list import PriceBook
from govbot.pricing.pricer import Pricer

policy_app = typer.Typer(help="Check and show policies.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")


@app.command("detectors")
def detectors_cmd(
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """Each detector: what it flags, its fix, its settings with their defaults, and the IAM
    actions it reads with (what a role needs to run it)."""
    listed: list[dict[str, Any]] = []
    for det_id, det in DETECTORS.items():
        action = action_for(det_id)
        listed.append(
            {
                "id": det_id,
                "about": (det.__doc__ or sys.modules[det.__module__].__doc__ or "").strip(),
                "fix": action.name if action else None,
                "fix_permissions": sorted(action.permissions) if action else [],
                "settings": det.settings_model().model_dump(mode="json"),
                "reads": list(det.reads()),
            }
        )
    if format is Format.json:
        print(json.dumps({"detectors": listed}, indent=2))
        return
    for d in listed:
        out.print(f"[bold cyan]{d['id']}[/]  fix: {d['fix'] or 'none'}", highlight=False)
        out.print(f"  {escape(d['about'].splitlines()[0])}", highlight=False)
        settings = ", ".join(f"{k}={json.dumps(v)}" for k, v in d["settings"].items())
        out.print(f"  settings: {escape(settings)}", highlight=False)
        out.print(f"  reads: {', '.join(d['reads'])}", highlight=False)
        if d["fix_permissions"]:
            out.print(f"  fix needs: {', '.join(d['fix_permissions'])}", highlight=False)


@app.command("iam-policy")
def iam_policy(
    role: Annotated[
        str,
        typer.Option(
            "--for",
            help="The role: cli (the command line, --apply and restore included); a deployed "
            "function's: sweep, remediate, slack, realtime, budget, plan, sweep-worker, "
            "org-digest; or member-sweep, member-remediate, member-restore (the roles "
            "templates/member-roles.yaml makes in each member account).",
        ),
    ] = "cli",
    account: Annotated[
        str, typer.Option(help="The account id the ARNs name (default: any account).")
    ] = "*",
    region: Annotated[str, typer.Option(help="The region the ARNs name (default: any).")] = "*",
    partition: Annotated[str, typer.Option(help="aws, aws-cn or aws-us-gov.")] = "aws",
    table: Annotated[str, typer.Option(help="The state table's name.")] = "govbot",
    stack: Annotated[
        str, typer.Option(help="The SAM stack's name (its queue, topics and policy parameter).")
    ] = "govbot",
) -> None:
    """The least-privilege IAM policy a govbot role needs, as JSON to attach to a role you
    make yourself: every action from the same declarations the templates are tested against
    (detectors' reads, the fixes and their conditions, restore, the state table)."""
    if role not in iam.ROLES:
        fail(f"--for: no role {role!r} (known: {', '.join(iam.ROLES)})")
    document = iam.policy(
        role, account=account, region=region, partition=partition, table=table, stack=stack
    )
    print(json.dumps(document, indent=2))


@app.command("prices")
def prices_cmd(
    region: Annotated[
        str | None,
        typer.Option("--region", help="Region to price. Default: your default region."),
    ] = None,
    types: Annotated[
        list[str] | None,
        typer.Option(
            "--type",
            "-t",
            help="Only this instance type, volume type, tier or model id (repeatable), e.g. "
            "--type g5.xlarge --type gp3.",
        ),
    ] = None,
    policy: PolicyOption = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """The price govbot would use for each type it knows, per hour, GB-month, IOPS-month or
    MiBps-month, with its source (the AWS Price List's SKU and date, the bundled table and its
    date, or the policy) and the discount applied: hold any figure against the AWS pricing
    calculator."""
    pol = policy_or_exit(policy)
    clients = AwsClients()
    where = region_of(clients, region)
    book = PriceBook(clients, None, datetime.now(UTC))
    pricer = Pricer(pol.pricing, book)
    quotes = pricer.quotes(where, types or ())
    if types and not quotes:
        fail(f"--type: govbot knows no price for {', '.join(types)} in {where}")
    why = book.note() if pol.pricing.use_price_list else "the policy turns the Price List off"
    if format is Format.json:
        shown = [q.model_dump(mode="json") for q in quotes]
        print(json.dumps({"region": where, "note": why, "prices": shown}, indent=2))
        return
    table = Table(title=f"govbot prices in {where}", expand=False)
    for column, justify in (("kind", "left"), ("type", "left"), ("price", "right")):
        table.add_column(column, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    table.add_column("source", overflow="fold")
    for q in quotes:
        price = "none" if q.usd is None else f"${q.usd:,.6g} per {q.per}"
        listed = f" (listed {q.listed})" if q.listed and not q.listed.endswith(q.per) else ""
        table.add_row(q.kind, escape(q.type), price, escape(q.source + listed))
    out.print(table)
    if why:
        note(f"note: {why}")


@policy_app.command("check")
def policy_check(
    file: Annotated[Path, typer.Argument(help="Policy YAML file to validate.", dir_okay=False)],
) -> None:
    """Validate a policy file; errors name the bad field."""
    pol = policy_or_exit(file)
    enabled = ", ".join(pol.enabled_detectors()) or "none"
    out.print(f"{file}: valid. Detectors enabled: {enabled}.", highlight=False)


@policy_app.command("show")
def policy_show(policy: PolicyOption = None) -> None:
    """Print the effective policy, defaults filled in, as YAML."""
    pol = policy_or_exit(policy)
    print(yaml.safe_dump(pol.model_dump(mode="json", by_alias=True), sort_keys=False), end="")
