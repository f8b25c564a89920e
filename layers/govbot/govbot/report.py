"""How a sweep report reads to a person (a rich table) and to a machine (one JSON object)."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table
from rich.text import Text

from govbot.contracts import StoredFinding
from govbot.models import SweepReport


def money(value: float | None) -> str:
    return "unpriced" if value is None else f"${value:,.2f}"


def to_json(report: SweepReport) -> str:
    return json.dumps(report.model_dump(mode="json"), indent=2)


def render(report: SweepReport, console: Console) -> None:
    table = Table(title="govbot findings (costliest first)", show_lines=False, expand=True)
    table.add_column("detector", style="cyan", no_wrap=True)
    table.add_column("resource", no_wrap=True)
    table.add_column("region", no_wrap=True)
    table.add_column("$/month", justify="right", no_wrap=True)
    table.add_column("reason", overflow="fold")
    for f in report.findings:
        table.add_row(f.detector, f.resource_id, f.region, money(f.monthly_cost_usd), f.reason)
    console.print(table)

    totals = Table(title="by detector", expand=False)
    totals.add_column("detector", style="cyan")
    totals.add_column("findings", justify="right")
    totals.add_column("$/month", justify="right")
    for det_id, s in report.summary.by_detector.items():
        priced = money(s.monthly_cost_usd) + (f" (+{s.unpriced} unpriced)" if s.unpriced else "")
        totals.add_row(det_id, str(s.findings), priced)
    console.print(totals)

    total = report.summary
    console.print(
        Text.assemble(
            ("Estimated monthly waste: ", "bold"),
            (money(total.total_monthly_cost_usd), "bold red"),
            f"  ({total.findings} findings in {', '.join(total.regions)}; "
            f"{total.exempted} exempted; "
            "each resource counted once)",
        )
    )
    if report.actions:
        render_actions(report, console)
    for e in report.errors:
        console.print(
            f"[yellow]error[/] {e.region} {e.detector or '(all detectors)'}: {e.code}: {e.message}"
        )


def render_actions(report: SweepReport, console: Console) -> None:
    table = Table(title="actions", expand=True)
    table.add_column("outcome", style="magenta", no_wrap=True)
    table.add_column("resource", overflow="fold", ratio=2)
    table.add_column("region", no_wrap=True)
    table.add_column("$/month", justify="right", no_wrap=True)
    table.add_column("detail", overflow="fold", ratio=3)
    for a in report.actions:
        table.add_row(
            a.outcome.value, a.resource_id, a.region, money(a.monthly_cost_usd), a.message
        )
    console.print(table)


def render_stored(stored: list[StoredFinding], console: Console) -> None:
    table = Table(title=f"{len(stored)} stored finding(s)", expand=True)
    table.add_column("finding", no_wrap=True)
    table.add_column("state", style="magenta", no_wrap=True)
    table.add_column("resource", no_wrap=True)
    table.add_column("region", no_wrap=True)
    table.add_column("$/month", justify="right", no_wrap=True)
    table.add_column("decided / note", overflow="fold")
    for sf in stored:
        f = sf.finding
        decided = f"{sf.decided_by} {sf.decided_at:%Y-%m-%d %H:%M}" if sf.decided_at else ""
        table.add_row(
            f.finding_id,
            sf.state.value,
            f.resource_id,
            f.region,
            money(f.monthly_cost_usd),
            " ".join(x for x in (decided, sf.note or "", sf.error or "") if x),
        )
    console.print(table)
