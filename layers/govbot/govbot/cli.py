"""The govbot command line."""

from __future__ import annotations

import getpass
import json
import os
import sys
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
import yaml
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
    ProfileNotFound,
)
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from govbot.actions import action_for, restore_resource
from govbot.aws import AwsClients
from govbot.contracts import Saving, State, StoredFinding
from govbot.decisions import Decision, decide_one
from govbot.decisions import reopen as reopen_finding
from govbot.detectors import DETECTORS, Mode
from govbot.engine import Cycle, govern
from govbot.finding_ids import UnknownId, resolve
from govbot.html_report import render_html
from govbot.kinds import RESOURCE_TYPES, by_kind
from govbot.models import Outcome
from govbot.policy import Policy, PolicyError, load_policy
from govbot.price_list import PriceBook
from govbot.pricing import Pricer
from govbot.progress import SweepProgress
from govbot.report import (
    FINDING_COLUMNS,
    STORED_COLUMNS,
    finding_row,
    render,
    render_one,
    render_savings,
    render_stored,
    stored_row,
    to_csv,
    to_json,
)
from govbot.restore import RestoreError
from govbot.savings import summarize
from govbot.store import DEFAULT_TABLE, StateConflict, Store
from govbot.sweep import resolve_regions

app = typer.Typer(
    help="Governance bots for ML workloads on AWS: find idle, orphaned, untagged and runaway "
    "resources and what they cost a month.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
policy_app = typer.Typer(help="Check and show policies.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")
restore_app = typer.Typer(
    help="Undo a remediation from the audit log (the finding becomes rejected).",
    no_args_is_help=True,
)
app.add_typer(restore_app, name="restore")

# Piped output gets room for the table instead of rich's 80-column default.
out = Console(width=None if sys.stdout.isatty() or "COLUMNS" in os.environ else 140)
# Messages to a pipe or a log are not hard-wrapped, so they stay greppable.
err = Console(stderr=True, soft_wrap=not sys.stderr.isatty())

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


def _fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    err.print(f"[red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def _known_detectors(option: str, ids: list[str]) -> None:
    unknown = [d for d in ids if d not in DETECTORS]
    if unknown:
        _fail(f"{option}: unknown {', '.join(unknown)} (known: {', '.join(DETECTORS)})")


def _region(clients: AwsClients, region: str | None) -> str:
    chosen = region or clients.default_region
    if not chosen:
        _fail("no region: pass --region (or --table-region) or set AWS_DEFAULT_REGION")
    return chosen


def _store(clients: AwsClients, table: str, table_region: str | None, *, must_exist: bool) -> Store:
    store = Store(clients, _region(clients, table_region), table)
    if must_exist and not store.exists():
        _fail(f"state table {table} not found in {store.region}: run `govbot init` first")
    return store


def _actor() -> str:
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


def _policy_or_exit(path: Path | None) -> Policy:
    try:
        return load_policy(path)
    except PolicyError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(EXIT_USAGE) from exc


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
    pol = _policy_or_exit(policy)
    if detectors:
        chosen = [d.strip() for d in detectors.split(",") if d.strip()]
        _known_detectors("--detectors", chosen)
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
        table_store = Store(clients, _region(clients, table_region or first_region), table)
        try:
            store = table_store if table_store.exists() else None
            why = f"no state table {table} in {table_store.region} (`govbot init` creates it)"
        except (ClientError, BotoCoreError) as exc:
            store, why = None, f"state table {table} unavailable: {exc}"
        if store is None:
            if apply:
                _fail(f"{why}: nothing can be applied")
            note(f"{why}: findings are not stored")
        units = len(resolve_regions(pol, clients, None)) * len(pol.enabled_detectors())
        with SweepProgress(err, units, shown=Verbosity.level) as progress:
            report = govern(
                pol,
                clients,
                store,
                now=datetime.now(UTC),
                dry_run=not apply,
                actor=_actor(),
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
    """Create the state table where it is missing (in AWS the template creates it)."""
    store = Store(AwsClients(), _region(AwsClients(), table_region), table)
    created = store.create()
    out.print(f"state table {table} in {store.region}: {'created' if created else 'exists'}")


findings_app = typer.Typer(
    help="Stored findings: list them (filters below) or `show` one.",
)
app.add_typer(findings_app, name="findings")


@findings_app.callback(invoke_without_command=True)
def findings(
    ctx: typer.Context,
    state: Annotated[
        list[State] | None,
        typer.Option("--state", "-s", help="Only findings in this state (repeatable)."),
    ] = None,
    detector: Annotated[
        list[str] | None,
        typer.Option("--detector", "-d", help="Only this detector's findings (repeatable)."),
    ] = None,
    region: Annotated[
        list[str] | None,
        typer.Option("--region", "-r", help="Only resources in this region (repeatable)."),
    ] = None,
    account: Annotated[
        list[str] | None,
        typer.Option("--account", "-a", help="Only resources in this account (repeatable)."),
    ] = None,
    format: Annotated[
        ListFormat, typer.Option("--format", "-f", help="Output format.")
    ] = ListFormat.table,
    output: OutputOption = None,
    table: TableOption = DEFAULT_TABLE,
    table_region: TableRegionOption = None,
) -> None:
    """List stored findings and their states, costliest first."""
    if ctx.invoked_subcommand:
        ctx.obj = (table, table_region)
        return
    _known_detectors("--detector", detector or [])
    store = _store(AwsClients(), table, table_region, must_exist=True)
    stored = sorted(
        (
            sf
            for sf in store.as_seen(store.by_state(*(state or list(State))))
            if (not detector or sf.finding.detector in detector)
            and (not region or sf.finding.region in region)
            and (not account or sf.finding.account_id in account)
        ),
        key=lambda sf: (-(sf.finding.monthly_cost_usd or 0.0), sf.finding_id),
    )
    if format is ListFormat.json:
        # One JSON object, like `sweep --format json`.
        listed = [sf.model_dump(mode="json") for sf in stored]
        emit(output, json.dumps({"findings": listed, "count": len(listed)}, indent=2))
    elif format is ListFormat.csv:
        emit(output, to_csv([stored_row(sf) for sf in stored], STORED_COLUMNS))
    else:
        emit(output, table=lambda console: render_stored(stored, console))


@findings_app.command("show")
def findings_show(
    ctx: typer.Context,
    finding_id: Annotated[str, typer.Argument(help="A finding id, or a unique prefix of it.")],
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """Everything known about one finding: its state and decisions, the resource, the cost and
    how it was worked out, its details and tags, and its audit trail."""
    table, table_region = ctx.obj
    store = _store(AwsClients(), table, table_region, must_exist=True)
    found = store.get(_resolve_ids(store, [finding_id])[0])
    if found is None:
        _fail(f"no finding {finding_id}", 1)
    [sf] = store.as_seen([found])
    f = sf.finding
    trail = store.audit_trail(f.account_id, f.region, f.resource_type, f.resource_id)
    if format is Format.json:
        print(
            json.dumps(
                {
                    "finding": sf.model_dump(mode="json"),
                    "audit": [a.model_dump(mode="json") for a in trail],
                },
                indent=2,
            )
        )
        return
    render_one(sf, trail, out)


def _resolve_ids(store: Store, given: list[str]) -> list[str]:
    """Full ids for what was typed (full ids or unique prefixes, as git takes short hashes)."""
    if all(store.get(g) is not None for g in given):
        return given
    known = [sf.finding_id for sf in store.by_state(*State)]
    try:
        return [resolve(g, known) for g in given]
    except UnknownId as exc:
        _fail(str(exc))


def _decide(
    ids: list[str],
    approve: bool,
    by: str | None,
    table: str,
    table_region: str | None,
    *,
    apply: bool = False,
    policy: Path | None = None,
    role_arn: str | None = None,
) -> None:
    now = datetime.now(UTC)
    decision = Decision.APPROVE if approve else Decision.REJECT
    store, decided, refused = _each(
        ids,
        table,
        table_region,
        lambda store, fid: decide_one(store, fid, decision, by=by or _actor(), now=now),
    )
    failed = refused
    if apply and decided:
        # The same cycle as a click in Slack: the policy's rails, the re-check, the claim.
        acting = AwsClients(role_arn=role_arn) if role_arn else store.clients
        cycle = Cycle(_policy_or_exit(policy), store, now, False, _actor(), lambda _a: acting)
        for sf in decided:
            for o in cycle.decided(sf.finding_id):
                failed += o.outcome is Outcome.FAILED
                out.print(
                    f"{sf.finding_id}: {o.outcome.value}: {o.message}",
                    highlight=False,
                    soft_wrap=True,
                )
    if failed:
        raise typer.Exit(1)


ByOption = Annotated[str | None, typer.Option("--by", help="Who decides. Default: cli:<user>.")]
IdsArgument = Annotated[
    list[str],
    typer.Argument(help="Finding ids, or unique prefixes of them (see `govbot findings`)."),
]


@app.command()
def approve(
    finding_ids: IdsArgument,
    by: ByOption = None,
    apply: Annotated[
        bool,
        typer.Option(
            "--apply",
            help="Act now, under the policy's rails, as a click in Slack would. Default: the "
            "next `govbot sweep --apply` (or Lambda run) acts.",
        ),
    ] = False,
    policy: PolicyOption = None,
    role_arn: RoleOption = None,
    table: TableOption = DEFAULT_TABLE,
    table_region: TableRegionOption = None,
) -> None:
    """Approve findings: the next `govbot sweep --apply` (or Lambda run) acts on them."""
    _decide(
        finding_ids, True, by, table, table_region, apply=apply, policy=policy, role_arn=role_arn
    )


@app.command()
def reject(
    finding_ids: IdsArgument,
    by: ByOption = None,
    table: TableOption = DEFAULT_TABLE,
    table_region: TableRegionOption = None,
) -> None:
    """Reject findings: govbot will not act on them, however often they are found."""
    _decide(finding_ids, False, by, table, table_region)


def _each(
    ids: list[str], table: str, table_region: str | None, change: Any
) -> tuple[Store, list[StoredFinding], int]:
    """Apply ``change(store, id)`` to each finding, one line each: the store, the findings
    as changed, and how many refused (a StateConflict, said on stderr)."""
    store = _store(AwsClients(), table, table_region, must_exist=True)
    changed, refused = [], 0
    for fid in _resolve_ids(store, ids):
        try:
            sf = change(store, fid)
        except StateConflict as refusal:
            refused += 1
            err.print(f"[yellow]{escape(fid)}[/]: {escape(str(refusal))}", highlight=False)
            continue
        changed.append(sf)
        f = sf.finding
        out.print(
            f"{fid}: {sf.state.value} ({f.detector} {f.resource_id} in {f.region})",
            highlight=False,
            soft_wrap=True,
        )
    return store, changed, refused


def _each_or_exit(ids: list[str], table: str, table_region: str | None, change: Any) -> None:
    if _each(ids, table, table_region, change)[2]:
        raise typer.Exit(1)


@app.command()
def snooze(
    finding_ids: IdsArgument,
    until: Annotated[
        str, typer.Option("--until", help="Snoozed up to this day, YYYY-MM-DD (UTC).")
    ],
    by: ByOption = None,
    table: TableOption = DEFAULT_TABLE,
    table_region: TableRegionOption = None,
) -> None:
    """Snooze findings until a date: govbot leaves them alone, then asks again."""
    try:
        day = date.fromisoformat(until)
    except ValueError:
        _fail(f"--until: {until!r} is not a date (YYYY-MM-DD)")
    now = datetime.now(UTC)
    if day < now.date():
        _fail(f"--until: {until} is in the past")
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)
    _each_or_exit(
        finding_ids,
        table,
        table_region,
        lambda store, fid: decide_one(
            store, fid, Decision.SNOOZE, by=by or _actor(), now=now, snooze_until=end
        ),
    )


@app.command()
def reopen(
    finding_ids: IdsArgument,
    policy: PolicyOption = None,
    by: ByOption = None,
    table: TableOption = DEFAULT_TABLE,
    table_region: TableRegionOption = None,
) -> None:
    """Take back a rejection, a snooze or a failure: the finding waits again (pending approval,
    or open for report and notify modes)."""
    pol = _policy_or_exit(policy)
    now = datetime.now(UTC)

    def back(store: Store, fid: str) -> Any:
        current = store.get(fid)
        if current is None:
            raise StateConflict(fid, None, "reopen it")
        mode = pol.settings(current.finding.detector).mode
        waiting = State.OPEN if mode in (Mode.REPORT, Mode.NOTIFY) else State.PENDING_APPROVAL
        return reopen_finding(store, fid, waiting=waiting, by=by or _actor(), now=now)

    _each_or_exit(finding_ids, table, table_region, back)


def _restore(
    kind: str,
    resource: str,
    region: str | None,
    account: str | None,
    role_arn: str | None,
    external_id: str | None,
    table: str,
    table_region: str | None,
) -> None:
    base = AwsClients()
    where = _region(base, region)
    # The state table is in govbot's own account; the resource may be in a member's.
    store = _store(base, table, table_region, must_exist=True)
    clients = AwsClients(role_arn=role_arn, external_id=external_id) if role_arn else base
    reached = clients.account_id(where)
    account = account or reached
    if account != reached:
        _fail(
            f"{kind} {resource} was in account {account}, your credentials reach {reached}: "
            f"pass --role-arn arn:aws:iam::{account}:role/govbot-restore (the member restore "
            "role, templates/member-roles.yaml) and --external-id"
        )
    rtype = by_kind(kind)
    try:
        message = restore_resource(
            rtype.type,
            store,
            clients,
            region=where,
            account_id=account,
            resource_id=resource,
            actor=_actor(),
            now=datetime.now(UTC),
        )
    except RestoreError as exc:
        _fail(str(exc), 1)
    out.print(message, highlight=False, soft_wrap=True)


def _restore_command(kind: str, metavar: str, arg_help: str, doc: str) -> None:
    # The argument as a default, not in Annotated: annotations are strings here, read in the
    # module's namespace, where this function's locals are not.
    def command(
        resource: str = typer.Argument(..., metavar=metavar, help=arg_help),
        region: RegionOption = None,
        account: AccountOption = None,
        role_arn: RoleOption = None,
        external_id: ExternalIdOption = None,
        table: TableOption = DEFAULT_TABLE,
        table_region: TableRegionOption = None,
    ) -> None:
        _restore(kind, resource, region, account, role_arn, external_id, table, table_region)

    command.__doc__ = doc
    restore_app.command(kind)(command)


# One `govbot restore KIND` per kind govbot can restore, as resources.py describes it.
for _rt in RESOURCE_TYPES.values():
    if _rt.restore is not None:
        _restore_command(_rt.kind, _rt.restore.metavar, _rt.restore.arg_help, _rt.restore.doc)


@app.command("savings")
def savings_cmd(
    format: Annotated[
        ListFormat, typer.Option("--format", "-f", help="Output format (csv: one row per fix).")
    ] = ListFormat.table,
    output: OutputOption = None,
    table: TableOption = DEFAULT_TABLE,
    table_region: TableRegionOption = None,
) -> None:
    """What govbot's fixes saved: the monthly spend they stopped (net of what a fix adds, such
    as a snapshot), this month and since install, by detector, team and account; the spend
    avoided so far; and what waits for approval."""
    store = _store(AwsClients(), table, table_region, must_exist=True)
    now = datetime.now(UTC)
    summary = summarize(store.savings(), store.by_state(State.PENDING_APPROVAL), now)
    if format is ListFormat.json:
        emit(output, summary.model_dump_json(indent=2))
    elif format is ListFormat.csv:
        rows = [r.model_dump(mode="json") for r in summary.records]
        emit(output, to_csv(rows, tuple(Saving.model_fields)))
    else:
        emit(output, table=lambda console: render_savings(summary, console))


@app.command("report")
def report_cmd(
    html: Annotated[
        Path,
        typer.Option(
            "--html",
            help="Write the report to this HTML file (one page, nothing fetched).",
            dir_okay=False,
        ),
    ],
    policy: PolicyOption = None,
    table: TableOption = DEFAULT_TABLE,
    table_region: TableRegionOption = None,
) -> None:
    """A page people would rather look at: waste by detector, team and region as charts, the
    top findings with their costs and states, and savings over time, from the state table.
    Teams come from the policy's team_tags."""
    pol = _policy_or_exit(policy)
    store = _store(AwsClients(), table, table_region, must_exist=True)
    now = datetime.now(UTC)
    stored = store.by_state(*State)
    summary = summarize(
        store.savings(), [sf for sf in stored if sf.state is State.PENDING_APPROVAL], now
    )
    html.write_text(render_html(stored, summary, pol, now), encoding="utf-8")
    note(f"wrote {html}: {len(stored)} finding(s), {summary.fixes} fix(es)")


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
    pol = _policy_or_exit(policy)
    clients = AwsClients()
    where = _region(clients, region)
    book = PriceBook(clients, None, datetime.now(UTC))
    pricer = Pricer(pol.pricing, book)
    quotes = pricer.quotes(where, types or ())
    if types and not quotes:
        _fail(f"--type: govbot knows no price for {', '.join(types)} in {where}")
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
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", "-v", help="The whole walk: every table, metric and account state."
        ),
    ] = False,
) -> None:
    """Run govbot on an emulated AWS account (moto server on 127.0.0.1) seeded with an ML
    estate: the nightly sweep, Slack, decisions, fixes, a restore, a budget breach and what
    it all saved."""
    root = _checkout()
    if root is None:
        _fail("govbot demo runs from a govbot checkout (its emulator is not part of the package)")
    sys.path.insert(0, str(root))  # the emulator, a development package of the checkout
    from govbot_emulator.runner import run_demo

    verbose = verbose or Verbosity.level > 1
    raise typer.Exit(run_demo(out, err, serve=serve, verbose=verbose))


def _checkout() -> Path | None:
    """The govbot checkout this command runs from (an editable install), if any."""
    for start in (Path(__file__).resolve(), Path.cwd().resolve()):
        for parent in (start, *start.parents):
            if (parent / "govbot_emulator").is_dir() and (parent / "template.yaml").is_file():
                return parent
    return None


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
        _fail("--quiet and --verbose contradict each other")
    Verbosity.level = 0 if quiet else 2 if verbose else 1
    if profile:
        os.environ["AWS_PROFILE"] = profile  # every boto3 session of this run reads it


def explain(exc: BaseException) -> tuple[str, int]:
    """One line that says what is wrong and what to do, and the exit code for it: 1 when
    nothing could be done (AWS unreachable or refusing), 2 for bad input."""
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return (
            "no AWS credentials: set AWS_PROFILE (or pass --profile), run `aws sso login`, or "
            "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
            EXIT_NOTHING_SWEPT,
        )
    if isinstance(exc, ProfileNotFound):
        return f"{exc}: check AWS_PROFILE against ~/.aws/config", EXIT_USAGE
    if isinstance(exc, NoRegionError):
        return "no region: pass --region/--table-region or set AWS_DEFAULT_REGION", EXIT_USAGE
    if isinstance(exc, EndpointConnectionError):
        return (
            f"cannot reach {exc.kwargs.get('endpoint_url', 'AWS')}: check your network, or "
            "AWS_ENDPOINT_URL if you point govbot at an emulator",
            EXIT_NOTHING_SWEPT,
        )
    if isinstance(exc, ParamValidationError):
        return f"invalid value: {exc.kwargs.get('report', exc)}".replace("\n", " "), EXIT_USAGE
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return (
            f"AWS refused {exc.operation_name}: {error.get('Code')}: {error.get('Message')}",
            EXIT_NOTHING_SWEPT,
        )
    if isinstance(exc, BotoCoreError):
        return f"AWS call failed: {exc}", EXIT_NOTHING_SWEPT
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), EXIT_USAGE
    if isinstance(exc, ValueError):
        return str(exc), EXIT_USAGE
    return f"{type(exc).__name__}: {exc} (rerun with --debug and report it)", EXIT_NOTHING_SWEPT


def main() -> None:
    """The command line, with one error line instead of a traceback for user and environment
    errors (``--debug`` shows the traceback)."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:
        if "--debug" in sys.argv:
            raise
        message, code = explain(exc)
        err.print(f"[red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
        sys.exit(code)
