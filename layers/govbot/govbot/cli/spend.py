"""`govbot savings` and `govbot report`: what the waste costs and what the fixes saved."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from govbot.aws import AwsClients
from govbot.cli.app import (
    ListFormat,
    OutputOption,
    PolicyOption,
    TableOption,
    TableRegionOption,
    app,
    emit,
    note,
    open_store,
    policy_or_exit,
)
from govbot.cli.html_report import render_html
from govbot.cli.report import (
    render_savings,
    to_csv,
)
from govbot.cycle.contracts import Saving, State
from govbot.state.savings import summarize
from govbot.state.store import DEFAULT_TABLE


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
    store = open_store(AwsClients(), table, table_region, must_exist=True)
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
    pol = policy_or_exit(policy)
    store = open_store(AwsClients(), table, table_region, must_exist=True)
    now = datetime.now(UTC)
    stored = store.by_state(*State)
    summary = summarize(
        store.savings(), [sf for sf in stored if sf.state is State.PENDING_APPROVAL], now
    )
    html.write_text(render_html(stored, summary, pol, now), encoding="utf-8")
    note(f"wrote {html}: {len(stored)} finding(s), {summary.fixes} fix(es)")
