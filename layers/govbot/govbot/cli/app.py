"""The command line's application: its options, its output, and the helpers every command
group shares."""

from __future__ import annotations

import getpass
import os
import sys
from enum import StrEnum
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from govbot.aws import AwsClients
from govbot.cycle.policy import Policy, PolicyError, load_policy
from govbot.detectors import DETECTORS
from govbot.state import migrations
from govbot.state.store import Store

app = typer.Typer(
    help="Governance bots for ML workloads on AWS: find idle, orphaned, untagged and runaway "
    "resources and what they cost a month.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def console_settings() -> tuple[dict[str, Any], dict[str, Any]]:
    """How the command's two consoles are made for this process's stdout and stderr: piped
    output gets room for the table instead of rich's 80-column default, and messages to a pipe
    or a log are not hard-wrapped, so they stay greppable."""
    return (
        {"width": None if sys.stdout.isatty() or "COLUMNS" in os.environ else 140},
        {"stderr": True, "soft_wrap": not sys.stderr.isatty()},
    )


out = Console(**console_settings()[0])
err = Console(**console_settings()[1])

EXIT_NOTHING_SWEPT = 1
EXIT_USAGE = 2


class Format(StrEnum):
    table = "table"
    json = "json"


class ListFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class Verbosity:
    """--quiet and --verbose, for every command of this run."""

    level = 1  # 0 quiet: errors only; 1 normal; 2 verbose


def note(message: str) -> None:
    """A message for the person at the terminal (stderr), unless --quiet."""
    if Verbosity.level:
        err.print(f"[dim]{escape(message)}[/]", highlight=False, soft_wrap=True)


OutputOption = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write to this file instead of stdout.", dir_okay=False),
]


def emit(output: Path | None, text: str | None = None, table: Any = None) -> None:
    """Machine output (text) or a table (``table(console)``), to stdout or to --output."""
    if output is None:
        if text is not None:
            print(text, end="" if text.endswith("\n") else "\n")
        else:
            table(out)
        return
    with output.open("w", encoding="utf-8") as fh:
        if text is not None:
            fh.write(text if text.endswith("\n") else text + "\n")
        else:
            table(Console(file=fh, width=120, color_system=None))
    note(f"wrote {output}")


TableOption = Annotated[
    str,
    typer.Option("--table", envvar="GOVBOT_TABLE", help="The state table (DynamoDB)."),
]
TableRegionOption = Annotated[
    str | None,
    typer.Option(
        "--table-region",
        envvar="GOVBOT_TABLE_REGION",
        help="Region of the state table. Default: your default region.",
    ),
]
RegionOption = Annotated[
    str | None,
    typer.Option("--region", help="Region of the resource. Default: your default region."),
]


AccountOption = Annotated[
    str | None,
    typer.Option(
        "--account",
        help="Account the resource was in (as govbot's restore hint says). Default: the "
        "account your credentials reach.",
    ),
]
RoleOption = Annotated[
    str | None,
    typer.Option(
        "--role-arn", help="Assume this role first: a member account's govbot-restore role."
    ),
]
ExternalIdOption = Annotated[
    str | None,
    typer.Option(
        "--external-id",
        envvar="GOVBOT_EXTERNAL_ID",
        help="ExternalId the member role's trust policy asks for.",
    ),
]


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    err.print(f"[red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def known_detectors(option: str, ids: list[str]) -> None:
    unknown = [d for d in ids if d not in DETECTORS]
    if unknown:
        fail(f"{option}: unknown {', '.join(unknown)} (known: {', '.join(DETECTORS)})")


def region_of(clients: AwsClients, region: str | None) -> str:
    chosen = region or clients.default_region
    if not chosen:
        fail("no region: pass --region (or --table-region) or set AWS_DEFAULT_REGION")
    return chosen


def open_store(
    clients: AwsClients, table: str, table_region: str | None, *, must_exist: bool
) -> Store:
    store = Store(clients, region_of(clients, table_region), table)
    if must_exist and not store.exists():
        fail(f"state table {table} not found in {store.region}: run `govbot init` first")
    if must_exist:
        try:
            migrations.current(store)
        except migrations.SchemaError as why:
            fail(str(why))
    return store


def cli_actor() -> str:
    return f"cli:{getpass.getuser()}"


PolicyOption = Annotated[
    Path | None,
    typer.Option(
        "--policy",
        "-p",
        help="Policy YAML file (see policies/default.yaml). Default: the built-in defaults.",
        dir_okay=False,
    ),
]


def policy_or_exit(path: Path | None) -> Policy:
    try:
        return load_policy(path)
    except PolicyError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(EXIT_USAGE) from exc


def _print_version(value: bool) -> None:
    if value:
        out.print(f"govbot {package_version('govbot')}", highlight=False)
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print govbot's version and exit.",
            is_eager=True,
            callback=_print_version,
        ),
    ] = False,
    profile: Annotated[
        str | None,
        typer.Option("--profile", help="The AWS profile to use (as AWS_PROFILE does)."),
    ] = None,
    debug: Annotated[
        bool,
        typer.Option("--debug", help="On an error, print the whole traceback (for bug reports)."),
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only results and errors: no progress.")
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="Say more: each region and detector as it ends."),
    ] = False,
) -> None:
    if quiet and verbose:
        fail("--quiet and --verbose contradict each other")
    Verbosity.level = 0 if quiet else 2 if verbose else 1
    if profile:
        os.environ["AWS_PROFILE"] = profile  # every boto3 session of this run reads it
