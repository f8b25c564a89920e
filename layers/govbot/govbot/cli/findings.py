"""`govbot findings` and the decisions on them: approve, reject, snooze, reopen."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from govbot.aws import AwsClients
from govbot.cli.app import (
    Format,
    ListFormat,
    OutputOption,
    PolicyOption,
    RoleOption,
    TableOption,
    TableRegionOption,
    app,
    cli_actor,
    emit,
    err,
    fail,
    known_detectors,
    open_store,
    out,
    policy_or_exit,
)
from govbot.cli.ids import UnknownId, resolve
from govbot.cli.report import (
    STORED_COLUMNS,
    render_one,
    render_stored,
    stored_row,
    to_csv,
)
from govbot.cycle.contracts import State, StoredFinding
from govbot.cycle.decisions import Decision, decide_one
from govbot.cycle.decisions import reopen as reopen_finding
from govbot.cycle.engine import Cycle
from govbot.cycle.models import Outcome
from govbot.detectors import Mode
from govbot.state.store import DEFAULT_TABLE, StateConflict, Store

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
    known_detectors("--detector", detector or [])
    store = open_store(AwsClients(), table, table_region, must_exist=True)
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
    store = open_store(AwsClients(), table, table_region, must_exist=True)
    found = store.get(_resolve_ids(store, [finding_id])[0])
    if found is None:
        fail(f"no finding {finding_id}", 1)
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
        fail(str(exc))


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
        lambda store, fid: decide_one(store, fid, decision, by=by or cli_actor(), now=now),
    )
    failed = refused
    if apply and decided:
        # The same cycle as a click in Slack: the policy's rails, the re-check, the claim.
        acting = AwsClients(role_arn=role_arn) if role_arn else store.clients
        cycle = Cycle(policy_or_exit(policy), store, now, False, cli_actor(), lambda _a: acting)
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
    store = open_store(AwsClients(), table, table_region, must_exist=True)
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
        fail(f"--until: {until!r} is not a date (YYYY-MM-DD)")
    now = datetime.now(UTC)
    if day < now.date():
        fail(f"--until: {until} is in the past")
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)
    _each_or_exit(
        finding_ids,
        table,
        table_region,
        lambda store, fid: decide_one(
            store, fid, Decision.SNOOZE, by=by or cli_actor(), now=now, snooze_until=end
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
    pol = policy_or_exit(policy)
    now = datetime.now(UTC)

    def back(store: Store, fid: str) -> Any:
        current = store.get(fid)
        if current is None:
            raise StateConflict(fid, None, "reopen it")
        mode = pol.settings(current.finding.detector).mode
        waiting = State.OPEN if mode in (Mode.REPORT, Mode.NOTIFY) else State.PENDING_APPROVAL
        return reopen_finding(store, fid, waiting=waiting, by=by or cli_actor(), now=now)

    _each_or_exit(finding_ids, table, table_region, back)
