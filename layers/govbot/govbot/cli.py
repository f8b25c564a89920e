"""The govbot command line."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console

from govbot.aws import AwsClients
from govbot.policy import Policy, PolicyError, load_policy
from govbot.report import render, to_json
from govbot.sweep import run_sweep

app = typer.Typer(
    help="Governance bots for ML workloads on AWS: find idle, orphaned, untagged and runaway "
    "resources and what they cost a month.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
policy_app = typer.Typer(help="Check and show policies.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")

# Piped output gets room for the table instead of rich's 80-column default.
out = Console(width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True)

EXIT_NOTHING_SWEPT = 1
EXIT_USAGE = 2


class Format(StrEnum):
    table = "table"
    json = "json"


PolicyOption = Annotated[
    Path | None,
    typer.Option(
        "--policy",
        "-p",
        help="Policy YAML file (see policies/default.yaml). Default: the built-in defaults.",
        dir_okay=False,
    ),
]


def _policy_or_exit(path: Path | None) -> Policy:
    try:
        return load_policy(path)
    except PolicyError as exc:
        err.print(f"[red]error:[/] {exc}", highlight=False)
        raise typer.Exit(EXIT_USAGE) from exc


@app.command()
def sweep(
    regions: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated regions, e.g. us-east-1,eu-west-1. Default: the policy's."
        ),
    ] = None,
    policy: PolicyOption = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    role_arn: Annotated[
        str | None,
        typer.Option(help="Assume this role first, e.g. to sweep a member account."),
    ] = None,
    external_id: Annotated[
        str | None, typer.Option(help="ExternalId the role's trust policy asks for.")
    ] = None,
) -> None:
    """Sweep the account your credentials reach (or AWS_ENDPOINT_URL) and report waste.

    Changes nothing. Progress goes to stderr; with --format json, stdout is exactly one JSON
    object: findings, summary, errors and api_calls. Exits 1 only when nothing could be swept.
    """
    pol = _policy_or_exit(policy)
    region_list = [r.strip() for r in regions.split(",") if r.strip()] if regions else None
    if region_list:
        try:
            pol = pol.with_regions(region_list)
        except ValueError as exc:
            err.print(f"[red]error:[/] --regions: {exc}", highlight=False)
            raise typer.Exit(EXIT_USAGE) from exc
    try:
        clients = AwsClients(role_arn=role_arn, external_id=external_id)
        report = run_sweep(pol, clients, progress=lambda msg: err.print(f"[dim]{msg}[/]"))
    except PolicyError as exc:
        err.print(f"[red]error:[/] {exc}", highlight=False)
        raise typer.Exit(EXIT_USAGE) from exc
    if format is Format.json:
        print(to_json(report))
    else:
        render(report, out)
    if report.nothing_swept:
        err.print("[red]nothing could be swept[/]: see errors above")
        raise typer.Exit(EXIT_NOTHING_SWEPT)


@policy_app.command("check")
def policy_check(
    file: Annotated[Path, typer.Argument(help="Policy YAML file to validate.", dir_okay=False)],
) -> None:
    """Validate a policy file; errors name the bad field."""
    pol = _policy_or_exit(file)
    enabled = ", ".join(pol.enabled_detectors()) or "none"
    out.print(f"{file}: valid. Detectors enabled: {enabled}.", highlight=False)


@policy_app.command("show")
def policy_show(policy: PolicyOption = None) -> None:
    """Print the effective policy, defaults filled in, as YAML."""
    pol = _policy_or_exit(policy)
    print(yaml.safe_dump(pol.model_dump(mode="json", by_alias=True), sort_keys=False), end="")


@app.command()
def demo(
    serve: Annotated[
        bool, typer.Option(help="Keep the emulated account running afterwards, to explore it.")
    ] = False,
) -> None:
    """Run govbot on an emulated AWS account (moto server on 127.0.0.1) seeded with an ML estate."""
    from govbot.demo.runner import run_demo

    raise typer.Exit(run_demo(out, err, serve=serve))


def main() -> None:
    app()
