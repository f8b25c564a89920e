"""`govbot sweep`, `govbot init` and `govbot demo`: sweeping an account, real or emulated."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
)
from rich.console import Console
from rich.markup import escape

from govbot.aws import AwsClients
from govbot.cli.app import (
    EXIT_NOTHING_SWEPT,
    EXIT_USAGE,
    ListFormat,
    OutputOption,
    PolicyOption,
    TableOption,
    TableRegionOption,
    Verbosity,
    app,
    cli_actor,
    emit,
    err,
    fail,
    known_detectors,
    note,
    out,
    policy_or_exit,
    region_of,
)
from govbot.cli.progress import SweepProgress
from govbot.cli.report import (
    FINDING_COLUMNS,
    finding_row,
    render,
    to_csv,
    to_json,
)
from govbot.cycle.engine import govern
from govbot.cycle.policy import PolicyError
from govbot.cycle.sweep import resolve_regions
from govbot.state import migrations
from govbot.state.store import DEFAULT_TABLE, SCHEMA_VERSION, Store


@app.command()
def sweep(
    regions: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated regions, e.g. us-east-1,eu-west-1. Default: the policy's."
        ),
    ] = None,
    detectors: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated detector ids to run (see `govbot detectors`). Default: every "
            "detector the policy enables."
        ),
    ] = None,
    policy: PolicyOption = None,
    format: Annotated[
        ListFormat, typer.Option("--format", "-f", help="Output format.")
    ] = ListFormat.table,
    output: OutputOption = None,
    role_arn: Annotated[
        str | None,
        typer.Option(help="Assume this role first, e.g. to sweep a member account."),
    ] = None,
    external_id: Annotated[
        str | None, typer.Option(help="ExternalId the role's trust policy asks for.")
    ] = None,
    apply: Annotated[
        bool,
        typer.Option(
            "--apply", help="Act on approved findings and auto-mode ones. Default: dry run."
        ),
    ] = False,
    table: TableOption = DEFAULT_TABLE,
    table_region: TableRegionOption = None,
) -> None:
    """Sweep the account your credentials reach (or AWS_ENDPOINT_URL) and report waste.

    Findings are stored in the state table when it exists (`govbot init`), and the report
    says what would be done with them. Resources change only with --apply. Progress goes to
    stderr; with --format json, stdout is exactly one JSON object: findings, summary, errors,
    api_calls and actions. Exits 1 only when nothing could be swept.
    """
    pol = policy_or_exit(policy)
    if detectors:
        chosen = [d.strip() for d in detectors.split(",") if d.strip()]
        known_detectors("--detectors", chosen)
        pol = pol.only(chosen)
    region_list = [r.strip() for r in regions.split(",") if r.strip()] if regions else None
    if region_list:
        try:
            pol = pol.with_regions(region_list)
        except ValueError as exc:
            err.print(f"[red]error:[/] --regions: {escape(str(exc))}", highlight=False)
            raise typer.Exit(EXIT_USAGE) from exc
    try:
        clients = AwsClients(role_arn=role_arn, external_id=external_id)
        first_region = pol.regions[0] if pol.regions else None
        table_store = Store(clients, region_of(clients, table_region or first_region), table)
        try:
            store = table_store if table_store.exists() else None
            why = f"no state table {table} in {table_store.region} (`govbot init` creates it)"
        except (ClientError, BotoCoreError) as exc:
            store, why = None, f"state table {table} unavailable: {exc}"
        if store is None:
            if apply:
                fail(f"{why}: nothing can be applied")
            note(f"{why}: findings are not stored")
        units = len(resolve_regions(pol, clients, None)) * len(pol.enabled_detectors())
        with SweepProgress(err, units, shown=Verbosity.level) as progress:
            report = govern(
                pol,
                clients,
                store,
                now=datetime.now(UTC),
                dry_run=not apply,
                actor=cli_actor(),
                progress=progress,
            ).report
    except PolicyError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(EXIT_USAGE) from exc
    if format is ListFormat.json:
        emit(output, to_json(report))
    elif format is ListFormat.csv:
        emit(output, to_csv([finding_row(f) for f in report.findings], FINDING_COLUMNS))
    else:
        emit(output, table=lambda console: render(report, console))
    if report.nothing_swept:
        err.print("[red]nothing could be swept[/]: see errors above")
        raise typer.Exit(EXIT_NOTHING_SWEPT)


@app.command()
def init(table: TableOption = DEFAULT_TABLE, table_region: TableRegionOption = None) -> None:
    """Create the state table where it is missing (in AWS the template creates it), or bring
    one an older govbot wrote up to this version's schema, in place (safe to run again)."""
    store = Store(AwsClients(), region_of(AwsClients(), table_region), table)
    if store.create():
        out.print(f"state table {table} in {store.region}: created")
        return
    try:
        steps = migrations.upgrade(store)
    except migrations.SchemaError as why:
        fail(str(why), 1)
    said = "; ".join(steps) if steps else f"exists, schema {SCHEMA_VERSION}"
    out.print(f"state table {table} in {store.region}: {said}")


@app.command()
def demo(
    serve: Annotated[
        bool, typer.Option(help="Keep the emulated account running afterwards, to explore it.")
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", "-v", help="The whole walk: every table, metric and account state."
        ),
    ] = False,
    transcript: Annotated[
        Path | None,
        typer.Option(
            help="Also write the whole walk (what --verbose shows) to this file, at 140 "
            "columns, while the short one is shown.",
            dir_okay=False,
            writable=True,
        ),
    ] = None,
) -> None:
    """Run govbot on an emulated AWS account (moto server on 127.0.0.1) seeded with an ML
    estate: the nightly sweep, Slack, decisions, fixes, a restore, a budget breach and what
    it all saved."""
    root = _checkout()
    if root is None:
        fail("govbot demo runs from a govbot checkout (its emulator is not part of the package)")
    sys.path.insert(0, str(root))  # the emulator, a development package of the checkout
    from govbot_emulator.runner import run_demo

    verbose = verbose or Verbosity.level > 1
    if transcript is None:
        raise typer.Exit(run_demo(out, err, serve=serve, verbose=verbose))
    with transcript.open("w", encoding="utf-8") as file:
        whole = Console(file=file, width=140, color_system=None, soft_wrap=False)
        raise typer.Exit(run_demo(out, err, serve=serve, verbose=verbose, transcript=whole))


def _checkout() -> Path | None:
    """The govbot checkout this command runs from (an editable install), if any."""
    for start in (Path(__file__).resolve(), Path.cwd().resolve()):
        for parent in (start, *start.parents):
            if (parent / "govbot_emulator").is_dir() and (parent / "template.yaml").is_file():
                return parent
    return None
