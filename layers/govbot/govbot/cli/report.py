"""How a sweep report reads to a person (a rich table) and to a machine (one JSON object)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from govbot.cli.ids import short_forms
from govbot.cycle.contracts import AuditRecord, StoredFinding
from govbot.cycle.models import Finding, SweepReport, cost_text, money
from govbot.state.savings import Savings


def to_json(report: SweepReport) -> str:
    return json.dumps(report.model_dump(mode="json"), indent=2)


def _what(detector: str, resource: str, region: str, text: str) -> Text:
    """One finding in one cell: what and where on the first line, why below (wrapped), so a
    table stays readable at 80 columns."""
    cell = Text.assemble((detector, "cyan"), " ", resource, " ", (region, "dim"))
    if text:
        cell.append("\n" + text)
    return cell


def _findings_table(title: str) -> Table:
    table = Table(title=title, expand=True)
    table.add_column("id", style="bold", no_wrap=True)
    return table


FINDING_COLUMNS = (
    "finding_id",
    "detector",
    "resource_id",
    "resource_type",
    "region",
    "account_id",
    "monthly_cost_usd",
    "reason",
    "proposed_action",
)
STORED_COLUMNS = (
    "finding_id",
    "state",
    *FINDING_COLUMNS[1:],
    "first_seen",
    "last_seen",
    "decided_by",
    "decided_at",
    "note",
    "error",
)


def finding_row(f: Finding) -> dict[str, Any]:
    return f.model_dump(mode="json", include=set(FINDING_COLUMNS))


def stored_row(sf: StoredFinding) -> dict[str, Any]:
    flat = sf.model_dump(mode="json", exclude={"finding", "progress"})
    return {**finding_row(sf.finding), **flat}


def to_csv(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    """One row per finding with a header; blank where a value is unknown (an unpriced cost)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def render(
    report: SweepReport, console: Console, top: int | None = None, by_detector: bool = True
) -> None:
    """The report as tables: the findings (the ``top`` costliest, or all), totals by
    detector (unless told not to), the total, then actions and errors."""
    shown = report.findings[:top] if top is not None else report.findings
    table = _findings_table(
        "govbot findings (costliest first)"
        + (
            f": top {len(shown)} of {len(report.findings)}"
            if len(shown) < len(report.findings)
            else ""
        )
    )
    table.add_column("$/month", justify="right", no_wrap=True)
    table.add_column("finding", overflow="fold", ratio=1)
    short = short_forms(f.finding_id for f in report.findings)
    if not report.findings:
        table = Table(title="govbot findings: none", show_header=False, box=None)
    for f in shown:
        table.add_row(
            short[f.finding_id],
            cost_text(f.monthly_cost_usd, f.cost_kind, in_table=True),
            _what(f.detector, f.resource_id, f.region, f.reason),
        )
    console.print(table)

    if by_detector:
        totals = Table(title="by detector", expand=False)
        totals.add_column("detector", style="cyan")
        totals.add_column("findings", justify="right")
        totals.add_column("$/month", justify="right")
        for det_id, s in report.summary.by_detector.items():
            priced = cost_text(s.monthly_cost_usd, s.cost_kind, in_table=True) + (
                f" (+{s.unpriced} unpriced)" if s.unpriced else ""
            )
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
    if total.unattributed_monthly_usd:
        console.print(
            Text.assemble(
                ("Unattributed spend: ", "bold"),
                (money(total.unattributed_monthly_usd), "bold yellow"),
                "  (untagged resources' own monthly spend: not waste, not in the total above)",
            )
        )
    if total.pricing_note:
        console.print(f"[yellow]note:[/] {escape(total.pricing_note)}", highlight=False)
    if report.actions:
        render_actions(report, console)
    for e in report.errors:
        console.print(
            f"[yellow]error[/] {e.region} {e.detector or '(all detectors)'}: "
            f"{escape(e.code)}: {escape(e.message)}"
        )


def render_actions(report: SweepReport, console: Console) -> None:
    table = _findings_table("actions")
    table.add_column("outcome", style="magenta", no_wrap=True)
    table.add_column("$/month", justify="right", no_wrap=True)
    table.add_column("resource and detail", overflow="fold", ratio=1)
    short = short_forms(a.finding_id for a in report.actions)
    for a in report.actions:
        table.add_row(
            short[a.finding_id],
            a.outcome.value,
            money(a.monthly_cost_usd),
            _what(a.detector, a.resource_id, a.region, a.message),
        )
    console.print(table)


def render_stored(stored: list[StoredFinding], console: Console) -> None:
    if not stored:
        console.print("no stored findings match")
        return
    table = _findings_table(f"{len(stored)} stored finding(s)")
    table.add_column("state", style="magenta", no_wrap=True)
    table.add_column("$/month", justify="right", no_wrap=True)
    table.add_column("finding", overflow="fold", ratio=1)
    short = short_forms(sf.finding_id for sf in stored)
    for sf in stored:
        f = sf.finding
        decided = f"{sf.decided_by} {sf.decided_at:%Y-%m-%d %H:%M}" if sf.decided_at else ""
        note = " ".join(x for x in (decided, sf.note or "", sf.error or "") if x)
        table.add_row(
            short[sf.finding_id],
            sf.state.value,
            cost_text(f.monthly_cost_usd, f.cost_kind, in_table=True),
            _what(f.detector, f.resource_id, f.region, note or f.reason),
        )
    console.print(table)


def render_one(sf: StoredFinding, trail: list[AuditRecord], console: Console) -> None:
    """Everything known about one finding, for `govbot findings show`."""
    f = sf.finding
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold", no_wrap=True)
    facts.add_column(overflow="fold")
    when = "%Y-%m-%d %H:%M UTC"
    rows: list[tuple[str, str | None]] = [
        ("finding", f.finding_id),
        ("state", sf.state.value),
        ("detector", f.detector),
        ("resource", f"{f.resource_id} ({f.resource_type})"),
        ("arn", f.resource_arn),
        ("where", f"account {f.account_id}, {f.region}"),
        ("cost", cost_text(f.monthly_cost_usd, f.cost_kind)),
        ("cost basis", f.details.get("cost_basis")),
        ("reason", f.reason),
        ("fix", f.proposed_action),
        ("first seen", f"{sf.first_seen:{when}}"),
        ("last seen", f"{sf.last_seen:{when}}"),
        ("decided", f"{sf.decided_by} {sf.decided_at:{when}}" if sf.decided_at else None),
        ("snoozed until", f"{sf.snooze_until:{when}}" if sf.snooze_until else None),
        ("note", sf.note),
        ("error", sf.error),
        ("tags", ", ".join(f"{k}={v}" for k, v in sorted(f.tags.items())) or "none"),
    ]
    rows += [
        (f"  {k}", v if isinstance(v, str) else json.dumps(v))
        for k, v in f.details.items()
        if k != "cost_basis" and v is not None
    ]
    rows += [(f"  progress {k}", json.dumps(v)) for k, v in sf.progress.items()]
    for label, value in rows:
        if value:
            facts.add_row(label, Text(value))
    console.print(facts)
    if not trail:
        console.print("[dim]no audit records: govbot has not acted on this resource[/]")
        return
    audit = Table(title="audit trail (newest first)", expand=True)
    audit.add_column("at", no_wrap=True)
    audit.add_column("phase", style="magenta", no_wrap=True)
    audit.add_column("by and what", overflow="fold", ratio=1)
    for a in trail:
        audit.add_row(f"{a.at:%Y-%m-%d %H:%M}", a.phase, Text(f"{a.actor} {a.action}: {a.message}"))
    console.print(audit)


def render_savings(s: Savings, console: Console) -> None:
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold", no_wrap=True)
    facts.add_column(justify="right", no_wrap=True)
    facts.add_column(overflow="fold")
    facts.add_row(
        f"saved this month ({s.month})",
        f"{money(s.this_month_usd)}/month",
        f"{s.fixes_this_month} fix(es) made this month",
    )
    facts.add_row(
        "saved since install",
        f"{money(s.since_install_usd)}/month",
        f"{s.fixes} fix(es), {s.restored} restored, {s.unpriced} unpriced",
    )
    facts.add_row("spend avoided so far", money(s.accrued_usd), "each fix's rate since it was made")
    facts.add_row(
        "waiting for approval", f"{money(s.waiting_for_approval_usd)}/month", "`govbot approve`"
    )
    console.print(facts)
    for title, groups in (
        ("by detector", s.by_detector),
        ("by team", s.by_team),
        ("by account", s.by_account),
    ):
        if not groups:
            continue
        table = Table(title=title)
        table.add_column(title.removeprefix("by "), style="cyan", overflow="fold")
        table.add_column("fixes", justify="right")
        table.add_column("$/month now", justify="right", no_wrap=True)
        table.add_column("avoided so far", justify="right", no_wrap=True)
        for key, g in groups.items():
            table.add_row(key, str(g.fixes), money(g.monthly_usd), money(g.accrued_usd))
        console.print(table)
