"""`govbot report --html`: one self-contained page (no network fetches: inline CSS and SVG, and
a Content-Security-Policy that forbids any other source) with the waste by detector, team and
region as charts, the top findings with their costs and states, and savings over time."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from html import escape

from govbot.cycle.contracts import Saving, State, StoredFinding
from govbot.cycle.models import cost_text, money, spend
from govbot.cycle.policy import Policy
from govbot.state.savings import Savings

# Findings that still cost money: everything but what was fixed or went away.
STANDING = set(State) - {State.REMEDIATED, State.RESOLVED}
TOP = 25
PALETTE = ("#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed", "#0891b2", "#db2777")


def waste_by(
    stored: Iterable[StoredFinding],
    key: Callable[[StoredFinding], str | None],
) -> list[tuple[str, float, int]]:
    """(label, $/month, findings) per key, each resource's cost counted once per label."""
    cost: dict[str, dict[str, float]] = defaultdict(dict)
    count: dict[str, int] = defaultdict(int)
    for sf in stored:
        f = sf.finding
        label = key(sf) or "(no tag)"
        count[label] += 1
        cost[label][f.resource_arn] = max(
            cost[label].get(f.resource_arn, 0.0), f.monthly_cost_usd or 0.0
        )
    rows = [(label, round(sum(c.values()), 2), count[label]) for label, c in cost.items()]
    return sorted(rows, key=lambda r: (-r[1], r[0]))


def bar_chart(title: str, rows: list[tuple[str, float, int]], width: int = 520) -> str:
    """Horizontal bars, one per row, labelled with the cost and the number of findings."""
    if not rows:
        return f'<figure><figcaption>{escape(title)}</figcaption><p class="none">none</p></figure>'
    bar_h, gap, label_w, value_w = 22, 8, 170, 150
    top = max(r[1] for r in rows) or 1.0
    span = width - label_w - value_w
    height = len(rows) * (bar_h + gap)
    parts = [
        f'<svg role="img" aria-label="{escape(title)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (label, usd, n) in enumerate(rows):
        y = i * (bar_h + gap)
        w = max(2.0, span * usd / top)
        colour = PALETTE[i % len(PALETTE)]
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" class="label">'
            f"{escape(label[:26])}</text>"
            f'<rect class="bar" x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" '
            f'fill="{colour}" rx="3"><title>{escape(label)}: {money(usd)}/month</title></rect>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 15}" class="value">{money(usd)} '
            f"({n})</text>"
        )
    parts.append("</svg>")
    return f"<figure><figcaption>{escape(title)}</figcaption>{''.join(parts)}</figure>"


def savings_chart(records: list[Saving], now: datetime, width: int = 1060) -> str:
    """The monthly spend govbot's fixes stop, day by day since the first fix (a restore
    lowers it again)."""
    title = "Savings over time ($/month stopped by fixes in force)"
    if not records:
        return (
            f"<figure><figcaption>{escape(title)}</figcaption>"
            '<p class="none">no fixes yet</p></figure>'
        )
    steps: list[tuple[datetime, float]] = []
    for s in records:
        steps.append((s.at, s.monthly_usd or 0.0))
        if s.restored_at:
            steps.append((s.restored_at, -(s.monthly_usd or 0.0)))
    steps.sort(key=lambda step: step[0])
    start = min(steps[0][0], now - timedelta(days=1))
    total, points = 0.0, [(start, 0.0)]
    for at, delta in steps:
        points.append((at, total))
        total += delta
        points.append((at, total))
    points.append((now, total))
    height, pad, axis = 220, 30, 90
    seconds = max((now - start).total_seconds(), 1.0)
    peak = max(p[1] for p in points) or 1.0

    def xy(at: datetime, usd: float) -> str:
        x = axis + (width - axis - pad) * (at - start).total_seconds() / seconds
        y = height - pad - (height - 2 * pad) * usd / peak
        return f"{x:.1f},{y:.1f}"

    line = " ".join(xy(at, usd) for at, usd in points)
    return (
        f"<figure><figcaption>{escape(title)}</figcaption>"
        f'<svg role="img" aria-label="{escape(title)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
        f'<line x1="{axis}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
        'class="axis"/>'
        f'<line x1="{axis}" y1="{pad}" x2="{axis}" y2="{height - pad}" class="axis"/>'
        f'<text x="{axis - 6}" y="{pad + 4}" text-anchor="end" class="value">{money(peak)}</text>'
        f'<text x="{axis - 6}" y="{height - pad}" text-anchor="end" class="value">$0</text>'
        f'<text x="{axis}" y="{height - 8}" class="value">{start:%Y-%m-%d}</text>'
        f'<text x="{width - pad}" y="{height - 8}" text-anchor="end" class="value">'
        f"{now:%Y-%m-%d}</text>"
        f'<polyline class="savings" points="{line}" fill="none" stroke="#16a34a" '
        'stroke-width="2.5"/></svg></figure>'
    )


STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px 32px;
color:#111827;background:#f9fafb}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.sub{color:#6b7280;margin:0 0 18px}
.cards{display:flex;gap:14px;flex-wrap:wrap}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:12px 16px;min-width:200px}
.card b{display:block;font-size:22px}.card.saved b{color:#16a34a}.card.waste b{color:#dc2626}
.charts{display:flex;flex-wrap:wrap;gap:18px}
figure{background:#fff;border:1px solid #e5e7eb;border-radius:8px;margin:0;padding:12px}
figcaption{font-weight:600;margin-bottom:8px}
svg text{font:12px system-ui,sans-serif;fill:#374151}.axis{stroke:#9ca3af}
table{border-collapse:collapse;background:#fff;width:100%;border:1px solid #e5e7eb}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #f3f4f6;vertical-align:top}
th{background:#f3f4f6;font-weight:600}td.num{text-align:right;white-space:nowrap}
.state{font-size:12px;padding:1px 6px;border-radius:9px;background:#e5e7eb;white-space:nowrap}
.none{color:#6b7280}code{font-size:12px}
"""
# Nothing but inline styles and inline images may load: the page fetches nothing.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def render_html(
    stored: list[StoredFinding], savings: Savings, policy: Policy, now: datetime
) -> str:
    standing = [sf for sf in stored if sf.state in STANDING]
    found = [sf.finding for sf in standing]
    untagged = spend(found, "unattributed")
    accounts = sorted({sf.finding.account_id for sf in stored}) or ["none yet"]
    regions = sorted({sf.finding.region for sf in stored})
    cards = (
        ("waste", "Waste found, still standing", f"{money(spend(found))}/month"),
        (
            "",
            "Unattributed spend (untagged, not waste)",
            f"{money(untagged)}/month",
        ),
        ("saved", "Saved by fixes in force", f"{money(savings.since_install_usd)}/month"),
        ("saved", f"Saved this month ({savings.month})", f"{money(savings.this_month_usd)}/month"),
        ("", "Waiting for approval", f"{money(savings.waiting_for_approval_usd)}/month"),
        ("", "Spend avoided so far", money(savings.accrued_usd)),
    )
    top = sorted(standing, key=lambda sf: (-(sf.finding.monthly_cost_usd or 0.0), sf.finding_id))
    rows = "".join(
        "<tr>"
        f'<td class="num">{cost_text(sf.finding.monthly_cost_usd, sf.finding.cost_kind)}</td>'
        f'<td><span class="state">{escape(sf.state.value)}</span></td>'
        f"<td>{escape(sf.finding.detector)}</td>"
        f"<td><b>{escape(sf.finding.resource_id)}</b><br>{escape(sf.finding.reason)}</td>"
        f"<td>{escape(sf.finding.region)}<br><code>{escape(sf.finding.account_id)}</code></td>"
        f"<td>{escape(policy.team_of(sf.finding.tags) or '')}</td>"
        f"<td><code>{escape(sf.finding_id)}</code></td>"
        "</tr>"
        for sf in top[:TOP]
    )
    # Only waste is charted as waste: neither untagged spend nor per-run advice.
    wasted = [sf for sf in standing if sf.finding.cost_kind == "waste"]
    charts = "".join(
        bar_chart(f"Waste by {name} ($/month)", waste_by(wasted, key))
        for name, key in (
            ("detector", lambda sf: sf.finding.detector),
            ("team", lambda sf: policy.team_of(sf.finding.tags)),
            ("region", lambda sf: sf.finding.region),
        )
    )
    saved_by = bar_chart(
        "Saved by detector ($/month, fixes in force)",
        [(d, g.monthly_usd, g.fixes) for d, g in savings.by_detector.items()],
        width=440,
    )
    card_html = "".join(
        f'<div class="card {c}">{escape(t)}<b>{escape(v)}</b></div>' for c, t, v in cards
    )
    rows = rows or '<tr><td colspan="7" class="none">no standing findings</td></tr>'
    where = f"Account(s) {', '.join(accounts)} · {', '.join(regions) or 'no regions'}"
    counts = f"{len(standing)} standing finding(s) of {len(stored)} stored"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>govbot report {now:%Y-%m-%d}</title><style>{STYLE}</style></head>
<body>
<h1>govbot: ML waste and savings</h1>
<p class="sub">{escape(where)} · {counts} · generated {now:%Y-%m-%d %H:%M} UTC</p>
<div class="cards">{card_html}</div>
<h2>Where the waste is</h2>
<div class="charts">{charts}</div>
<h2>Savings</h2>
<div class="charts">{saved_by}{savings_chart(savings.records, now, width=600)}</div>
<h2>Top findings (costliest {min(TOP, len(top))} of {len(top)} standing)</h2>
<table><thead><tr><th>$/month</th><th>state</th><th>detector</th><th>resource and reason</th>
<th>where</th><th>team</th><th>finding</th></tr></thead><tbody>{rows}</tbody></table>
<p class="sub">Costs are monthly rates from on-demand prices; each resource is counted once in
totals. Savings are net of what a fix adds (a snapshot it keeps).</p>
</body></html>
"""
