"""A night of the organisation sweep: the Map's unit of work measured on emulated member
accounts, then projected to 300 and 3,000 accounts x 20 regions through the Distributed Map.

Seeds member accounts (in-process moto, each reached through an assumed role, as the worker
reaches it) with ML estates in one to three of 20 regions, the others empty. Each account's unit
(``fanout.sweep_account``: every region swept, findings stored and settled in the management
account's state table) is recorded live once, then replayed with every member-account call
answered after ``--latency-ms`` (the state table's calls wait the same latency, then moto
answers): a first night (empty table) and an unchanged night. Then all the units at once, and
the organisation digest over copies of the findings for the projected number of accounts.
Writes benchmarks/org_results.md.

    python benchmarks/org_night.py [--accounts 6] [--latency-ms 50] [--out FILE]
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import os
import platform
import sys
import threading
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws
from sweep_calls import (  # sets the emulator's credentials first
    ORGANISATION_REGIONS,
    Tape,
    item_units,
    seed,
    write_units,
)

from govbot.aws import AwsClients
from govbot.cycle import org
from govbot.cycle.contracts import State
from govbot.cycle.policy import Policy
from govbot.handlers.org_digest import organisation_report
from govbot.handlers.sweep_worker import sweep_account
from govbot.state.store import Store, _finding_item
from govbot_emulator import moto_extensions
from govbot_emulator.estate import member_session

HOME = "us-east-1"
REGIONS = ORGANISATION_REGIONS  # the 17 every account has, and three opt-in ones
OPEN_STATES = (State.OPEN, State.PENDING_APPROVAL, State.APPROVED)
# A unit's result beside its account id, as sweep_account returns it (sizes the Map's output).
UNIT_RESULT = {"findings": 291, "total_monthly_cost_usd": 123456.78, "errors": 0, "actions": 0}
# How many of its 20 regions hold ML work, account after account: most accounts work in one.
BUSY_REGIONS = (1, 1, 1, 2, 2, 3)
PROJECTED_ACCOUNTS = 300
LARGE_ORGANISATION = 3000  # projected too: where enterprises with the largest ML bills are

DIGEST_ACCOUNTS = (12, 36)  # the digest is also timed over copies of the accounts, this many
MAX_CONCURRENCY = 100  # template.yaml's MaxConcurrency default
CONCURRENCY_CHOICES = (40, 100, 160)
# What a new on-demand table (and each of its indexes) takes at once: 4,000 writes a second
# ("Pre-warming a table for on-demand capacity mode", DynamoDB Developer Guide); the by-state
# index's 8 shards keep a first night off one partition's 1,000.
TABLE_WRITES_PER_S = 4000
WORKER_MEMORY_MB = 1024  # template.yaml's SweepWorkerFunction MemorySize
DIGEST_MEMORY_MB = 2048  # template.yaml's OrgDigestFunction MemorySize
# Lambda gives a function CPU in proportion to its memory: one full vCPU at 1,769 MB.
FULL_VCPU_MB = 1769
MEMORY_CHOICES = (512, 1024, 1769)
# Step Functions overhead per child workflow (start, Lambda invoke, result), as AWS documents
# no figure: a conservative allowance.
CHILD_OVERHEAD_S = 0.3
TRANSITIONS_PER_CHILD = 2  # one for starting the child (Distributed Map), one for its task
TRANSITIONS_PARENT = 5  # Plan, the Map, Digest, start and end

# us-east-1 list prices, as AWS publishes them (read 2025-06).
PRICES_DATE = "2025-06"
PRICE = {
    "lambda_gb_s": 0.0000133334,  # arm64, first tier
    "lambda_request": 0.20 / 1e6,
    "transition": 0.025 / 1000,  # Step Functions Standard
    "wru": 0.625 / 1e6,  # DynamoDB on demand, since November 2024
    "rru": 0.125 / 1e6,
    "metric": 0.01 / 1000,  # CloudWatch GetMetricData, per metric requested
    "cw_request": 0.01 / 1000,  # CloudWatch ListMetrics and other API requests
}
FREE = "SageMaker, EC2, Logs, tagging, Price List, STS and Organizations reads are not charged"


class Meter:
    """The state table's write and read units, as DynamoDB bills them (1 KB a write unit,
    4 KB an eventually consistent half read unit)."""

    def __init__(self, session: boto3.Session) -> None:
        self.wru = 0
        self.rru = 0.0
        self.lock = threading.Lock()
        session.events.register("before-call.dynamodb", self.before)
        session.events.register("after-call.dynamodb", self.after)

    def before(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        if model.name in ("PutItem", "UpdateItem", "DeleteItem"):
            with self.lock:
                self.wru += write_units(params)
        elif model.name == "BatchWriteItem":
            body = json.loads(params.get("body") or "{}")
            units = sum(
                item_units(r.get("PutRequest", {}).get("Item", {}))
                for requests in body.get("RequestItems", {}).values()
                for r in requests
            )
            with self.lock:
                self.wru += units

    def after(self, model: Any, parsed: Any, **_: Any) -> None:
        items = parsed.get("Items") or ([parsed["Item"]] if parsed.get("Item") else [])
        if model.name in ("Query", "Scan", "GetItem"):
            size = sum(len(json.dumps(i, default=str)) for i in items)
            with self.lock:
                self.rru += max(1, math.ceil(size / 4096)) / 2

    def take(self) -> tuple[int, float]:
        with self.lock:
            taken = (self.wru, self.rru)
            self.wru, self.rru = 0, 0.0
            return taken


@dataclass
class Unit:
    account_id: str
    busy_regions: int
    resources: int
    findings: int = 0
    calls: int = 0
    metrics_requested: int = 0
    cw_requests: int = 0
    first_s: float = 0.0
    steady_s: float = 0.0
    first_cpu_s: float = 0.0  # the process's CPU time during the replay (this machine's core)
    steady_cpu_s: float = 0.0
    first_wru: int = 0
    steady_wru: int = 0
    first_rru: float = 0.0
    steady_rru: float = 0.0
    heap_mib: float = 0.0
    result_bytes: int = 0


def count_metrics(unit: Unit, session: boto3.Session) -> None:
    def before(model: Any, params: dict[str, Any], **_: Any) -> None:
        if model.name == "GetMetricData":
            body = params.get("body") or {}
            queries = body.get("MetricDataQueries") if isinstance(body, dict) else None
            unit.metrics_requested += len(queries or []) or str(body).count("MetricStat")
        else:
            unit.cw_requests += 1

    session.events.register("before-call.cloudwatch", before)


@dataclass
class Recorded:
    """One night of a unit, as AWS answered it: the member account's calls and the state
    table's."""

    member: Tape = field(default_factory=Tape)
    table: Tape = field(default_factory=Tape)


def live_night(
    unit: Unit, policy: Policy, table: str, now: datetime
) -> tuple[Recorded, dict[str, Any]]:
    """The unit answered by moto, every answer recorded; write and read units counted."""
    recorded = Recorded()
    unit.metrics_requested = unit.cw_requests = 0  # this night's
    member_s = member_session(unit.account_id)
    recorded.member.recording(member_s)
    count_metrics(unit, member_s)
    table_s = boto3.Session(region_name=HOME)
    recorded.table.recording(table_s)
    meter = Meter(table_s)
    member = AwsClients(session=member_s, account_id=unit.account_id)
    target = org.Target(account_id=unit.account_id, regions=REGIONS, run_id="bench")
    result = sweep_account(
        policy, member, Store(AwsClients(session=table_s), HOME, table), target,
        now=now, dry_run=True,
    )  # fmt: skip
    unit.calls = sum(member.calls.values()) + 1  # and the worker's AssumeRole
    result["write_units"], result["read_units"] = meter.take()
    return recorded, result


def replayed_night(
    unit: Unit, recorded: Recorded, policy: Policy, table: str, now: datetime, latency: float
) -> tuple[float, float]:
    """The same night, every call (member and table) answered from the recording after the
    latency: govbot's own time, as on AWS."""
    member_s, table_s = boto3.Session(region_name=HOME), boto3.Session(region_name=HOME)
    recorded.member.playing(member_s, latency)
    recorded.table.playing(table_s, latency)
    member = AwsClients(session=member_s, account_id=unit.account_id)
    target = org.Target(account_id=unit.account_id, regions=REGIONS, run_id="bench")
    started, cpu = time.perf_counter(), time.process_time()
    time.sleep(latency)  # the worker's AssumeRole into the member account
    sweep_account(
        policy, member, Store(AwsClients(session=table_s), HOME, table), target,
        now=now, dry_run=True,
    )  # fmt: skip
    return time.perf_counter() - started, time.process_time() - cpu


def measure(accounts: int, latency: float) -> dict[str, Any]:
    moto_extensions.install()
    policy = Policy(regions=REGIONS)
    now = datetime.now(UTC)
    with mock_aws():
        store = Store(AwsClients(), HOME)
        store.create()
        units: list[Unit] = []
        seeding = time.perf_counter()
        for i in range(accounts):
            account_id = f"2{i:011d}"
            busy = BUSY_REGIONS[i % len(BUSY_REGIONS)]
            session = member_session(account_id)
            clients = AwsClients(session=session, account_id=account_id)
            resources = sum(
                sum(seed(clients, now, 1, region).values()) for region in REGIONS[:busy]
            )
            units.append(Unit(account_id, busy, resources))
            print(f"  account {i + 1}/{accounts}: {resources} resources", file=sys.stderr)
        seed_s = time.perf_counter() - seeding

        steady: dict[str, Recorded] = {}
        for unit in units:
            # Night one (nothing stored yet for the account), then an unchanged night: each
            # answered live once, then replayed at the latency.
            first, result = live_night(unit, policy, store.table, now)
            unit.findings = result["findings"]
            unit.first_wru, unit.first_rru = result.pop("write_units"), result.pop("read_units")
            unit.result_bytes = len(json.dumps(result, separators=(",", ":")))
            unit.first_s, unit.first_cpu_s = replayed_night(
                unit, first, policy, store.table, now, latency
            )
            again, result = live_night(unit, policy, store.table, now)
            unit.steady_wru, unit.steady_rru = result["write_units"], result["read_units"]
            unit.steady_s, unit.steady_cpu_s = replayed_night(
                unit, again, policy, store.table, now, latency
            )
            tracemalloc.start()
            replayed_night(unit, again, policy, store.table, now, 0)
            unit.heap_mib = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            steady[unit.account_id] = again
            print(f"  account {unit.account_id}: {unit.first_s:.1f} s first night, "
                  f"{unit.steady_s:.1f} s unchanged", file=sys.stderr)  # fmt: skip

        # Every unit at once in one process (Lambda would give each its own): govbot's own
        # CPU per unit shows as the stretch over the longest unit alone.
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=len(units)) as pool:
            list(
                pool.map(
                    lambda u: replayed_night(
                        u, steady[u.account_id], policy, store.table, now, latency
                    ),
                    units,
                )
            )
        together_s = time.perf_counter() - started

        digest = digest_at_scale(store, units, now, latency)
    return {
        "accounts": accounts,
        "latency_ms": latency * 1000,
        "seed_s": seed_s,
        "together_s": together_s,
        "units": [u.__dict__ for u in units],
        "digest": digest,
    }


def digest_at_scale(
    store: Store, units: list[Unit], now: datetime, latency: float
) -> list[dict[str, Any]]:
    """The organisation digest over the measured accounts' findings copied to more accounts:
    its time, memory and reads as the organisation grows."""
    measured = store.by_state(*OPEN_STATES)
    by_account: dict[str, list[Any]] = {}
    for sf in measured:
        by_account.setdefault(sf.finding.account_id, []).append(sf)
    table = boto3.resource("dynamodb", region_name=HOME).Table(store.table)
    out = []
    have = len(units)
    for size in (len(units), *DIGEST_ACCOUNTS):
        with table.batch_writer() as batch:
            for i in range(have, size):
                source = units[i % len(units)].account_id
                account_id = f"3{i:011d}"
                for sf in by_account[source]:
                    f = sf.finding  # the ARN names the account, and the id comes from the ARN
                    moved = f.model_copy(
                        update={
                            "account_id": account_id,
                            "resource_arn": f.resource_arn.replace(source, account_id),
                        }
                    )
                    copy = sf.model_copy(update={"finding": moved})
                    batch.put_item(Item=_plain(_finding_item(copy)))
        have = max(have, size)
        accounts = [u.account_id for u in units] + [f"3{i:011d}" for i in range(len(units), size)]
        # What the Map hands the digest: each unit's result (its measured size) per account.
        results = [{"account_id": a, **UNIT_RESULT} for a in accounts]
        # The store's answers recorded from moto (whose table query is slow in Python), then
        # replayed after the latency: the digest's own time and memory, as on AWS.
        tape, live = Tape(), boto3.Session(region_name=HOME)
        tape.recording(live)
        policy = Policy(regions=REGIONS)
        organisation_report(
            Store(AwsClients(session=live), HOME, store.table), policy, REGIONS, results
        )
        replayed = boto3.Session(region_name=HOME)
        tape.playing(replayed, latency)
        pages = len(tape.answers)
        tracemalloc.start()
        started = time.perf_counter()
        _, tally, _ = organisation_report(
            Store(AwsClients(session=replayed), HOME, store.table), policy, REGIONS, results
        )
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        out.append(
            {
                "accounts": size,
                "findings": tally.count,
                "pages": pages,
                "seconds": seconds,
                "heap_mib": peak,
                "results_bytes": len(json.dumps(results, separators=(",", ":"))),
            }
        )
        print(f"  digest over {size} accounts: {tally.count} findings, "
              f"{seconds:.1f} s, {peak:.0f} MiB", file=sys.stderr)  # fmt: skip
    return out


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeDeserializer

    de = TypeDeserializer()
    return {k: de.deserialize(v) for k, v in item.items()}


# -- the projection -------------------------------------------------------------------------


def line(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Least squares: the intercept and slope of y against x."""
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    slope = sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else 0.0
    return my - slope * mx, slope


def makespan(durations: list[float], slots: int) -> float:
    """Wall time of running the durations, longest first, at most ``slots`` at once."""
    running = [0.0] * min(slots, len(durations))
    heapq.heapify(running)
    for d in sorted(durations, reverse=True):
        heapq.heappush(running, heapq.heappop(running) + d)
    return max(running)


def on_lambda(wall: float, cpu: float, memory_mb: int) -> float:
    """A replay's wall time on Lambda: its CPU time stretched by the share of a vCPU the
    memory size buys (this machine's core counted as one vCPU)."""
    share = min(1.0, memory_mb / FULL_VCPU_MB)
    return wall + cpu * (1 / share - 1)


def project(
    measured: dict[str, Any],
    accounts: int,
    steady: bool,
    memory_mb: int = WORKER_MEMORY_MB,
    concurrency: int = MAX_CONCURRENCY,
) -> dict[str, float]:
    units = measured["units"]
    picks = [units[i % len(units)] for i in range(accounts)]
    key = "steady" if steady else "first"
    durations = [
        on_lambda(u[f"{key}_s"], u[f"{key}_cpu_s"], memory_mb) + CHILD_OVERHEAD_S for u in picks
    ]
    digest = measured["digest"][-1]
    # The digest is CPU bound: all its time counts as CPU. Its time is a start plus a cost
    # per finding: a line through the measured sizes, taken to the organisation's findings.
    start, per_finding = line([(d["findings"], d["seconds"]) for d in measured["digest"]])
    findings = digest["findings"] / digest["accounts"] * accounts
    digest_s = on_lambda(
        start + per_finding * findings, start + per_finding * findings, DIGEST_MEMORY_MB
    )
    wru = sum(u[f"{key}_wru"] for u in picks)
    # A first night writes every finding to the table and to each index: no faster than a
    # new table takes them (the table's share: a third of the units, each index another).
    sweeping = max(makespan(durations, concurrency), wru / 3 / TABLE_WRITES_PER_S)
    wall = 2.0 + sweeping + digest_s  # 2 s: the plan
    gb_s = (
        sum(durations) * memory_mb / 1024
        + digest_s * DIGEST_MEMORY_MB / 1024
        + 2.0 * WORKER_MEMORY_MB / 1024
    )
    transitions = TRANSITIONS_PARENT + TRANSITIONS_PER_CHILD * accounts
    rru = (
        sum(u[f"{key}_rru"] for u in picks)
        + digest["findings"] * accounts / digest["accounts"] * 1.0 / 4 / 2
    )  # the digest reads every open finding (about 1 KB each, deflated)
    metrics = sum(u["metrics_requested"] for u in picks)
    cw = sum(u["cw_requests"] for u in picks)
    dollars = {
        "Lambda compute": gb_s * PRICE["lambda_gb_s"],
        "Lambda requests": (accounts + 2) * PRICE["lambda_request"],
        "Step Functions": transitions * PRICE["transition"],
        "DynamoDB writes": wru * PRICE["wru"],
        "DynamoDB reads": rru * PRICE["rru"],
        "CloudWatch GetMetricData": metrics * PRICE["metric"],
        "CloudWatch other requests": cw * PRICE["cw_request"],
    }
    return {
        "wall_s": wall,
        "gb_s": gb_s,
        "transitions": transitions,
        "wru": wru,
        "rru": rru,
        "metrics": metrics,
        "digest_s": digest_s,
        # The digest tallies as it reads: its heap barely grows (benchmarks/org_digest.md).
        "digest_mib": digest["heap_mib"],
        "results_kib": digest["results_bytes"] / digest["accounts"] * accounts / 1024,
        **{f"$ {k}": v for k, v in dollars.items()},
        "dollars": sum(dollars.values()),
    }


def render(measured: dict[str, Any]) -> str:
    units = measured["units"]
    lat = measured["latency_ms"]
    lines = [
        f"# Organisation benchmark: a night for {PROJECTED_ACCOUNTS:,} and "
        f"{LARGE_ORGANISATION:,} accounts x {len(REGIONS)} regions",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, Python "
        f"{platform.python_version()}, {os.cpu_count()} cores, moto in-process. Produced by "
        "`make bench-org` (benchmarks/org_night.py).",
        "",
        f"## The unit: one member account, all {len(REGIONS)} regions ({lat:g} ms a call)",
        "",
        f"{len(units)} emulated member accounts, reached through an assumed role; each holds "
        "the sweep benchmark's 500-resource estate in 1 to 3 regions (the others empty). "
        "Each night is answered live by moto once, every answer recorded (the member "
        "account's and the state table's), then replayed with each call answered after the "
        "latency: the time is govbot's own (its calls, its concurrency, its CPU), not the "
        "emulator's. A first night stores every finding; an unchanged night writes only the "
        "sweep marks. CPU: the process's CPU time during the replay.",
        "",
        "| account | busy regions | resources | findings | AWS calls | first night (CPU) | "
        "unchanged night (CPU) | write units (first / unchanged) | read units (first / "
        "unchanged) | Python heap peak | result |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for u in units:
        lines.append(
            f"| {u['account_id']} | {u['busy_regions']} | {u['resources']} | {u['findings']} | "
            f"{u['calls']} | {u['first_s']:.1f} s ({u['first_cpu_s']:.1f} s) | "
            f"{u['steady_s']:.1f} s ({u['steady_cpu_s']:.1f} s) | {u['first_wru']} / "
            f"{u['steady_wru']} | {u['first_rru']:.0f} / {u['steady_rru']:.0f} | "
            f"{u['heap_mib']:.0f} MiB | {u['result_bytes']} B |"
        )
    longest = max(u["steady_s"] for u in units)
    lines += [
        "",
        f"All {len(units)} unchanged nights at once in one process (threads; Lambda gives each "
        f"unit a sandbox of its own): {measured['together_s']:.1f} s, against "
        f"{longest:.1f} s for the longest alone: on this machine's 2 cores the units queue "
        "for the CPU, which is why the projection counts each unit's CPU time.",
        "",
        "## The digest as the organisation grows",
        "",
        "The measured accounts' findings copied to more accounts in the state table, then the "
        "organisation digest (it reads every open finding back).",
        "",
        "| accounts | open findings | digest time | Python heap peak | Map results |",
        "|---|---|---|---|---|",
    ]
    for d in measured["digest"]:
        lines.append(
            f"| {d['accounts']} | {d['findings']} | {d['seconds']:.1f} s | "
            f"{d['heap_mib']:.0f} MiB | {d['results_bytes'] / 1024:.1f} KiB |"
        )
    lines += [
        "",
        f"## Projection: {PROJECTED_ACCOUNTS:,} and {LARGE_ORGANISATION:,} accounts x "
        f"{len(REGIONS)} regions, MaxConcurrency {MAX_CONCURRENCY}",
        "",
        "Accounts take the measured units in turn (half in one busy region, a third in two, a "
        f"sixth in three). A unit's time on Lambda is its replayed time plus its CPU time "
        f"stretched by the vCPU share its memory buys ({WORKER_MEMORY_MB} MB: "
        f"{WORKER_MEMORY_MB / FULL_VCPU_MB:.0%} of a vCPU; one vCPU at {FULL_VCPU_MB:,} MB), "
        "this machine's core counted as one vCPU. Each child adds "
        f"{CHILD_OVERHEAD_S} s of Step Functions and Lambda overhead; the plan 2 s; the "
        f"digest ({DIGEST_MEMORY_MB} MB) scales with the findings, all of its time counted as "
        "CPU. Prices: us-east-1 list "
        f"prices read {PRICES_DATE}: Lambda arm64 ${PRICE['lambda_gb_s']:.10f}/GB-s and "
        "$0.20 per million requests, Step Functions Standard $0.025 per 1,000 transitions "
        f"(a Distributed Map child counts one to start, plus its task), DynamoDB on demand "
        "$0.625 per million write units and $0.125 per million read units, CloudWatch "
        f"$0.01 per 1,000 metrics requested (GetMetricData) and per 1,000 requests. {FREE}.",
        "",
        f"| | {PROJECTED_ACCOUNTS:,}: first night | unchanged night | "
        f"{LARGE_ORGANISATION:,}: first night | unchanged night |",
        "|---|---|---|---|---|",
    ]
    first = project(measured, PROJECTED_ACCOUNTS, steady=False)
    steady = project(measured, PROJECTED_ACCOUNTS, steady=True)
    large = [project(measured, LARGE_ORGANISATION, steady=s) for s in (False, True)]
    rows = [
        ("wall time", lambda p: f"{p['wall_s'] / 60:.1f} min"),
        ("Lambda GB-seconds", lambda p: f"{p['gb_s']:,.0f}"),
        ("state transitions", lambda p: f"{p['transitions']:,}"),
        ("DynamoDB write units", lambda p: f"{p['wru']:,}"),
        ("DynamoDB read units", lambda p: f"{p['rru']:,.0f}"),
        ("metrics requested", lambda p: f"{p['metrics']:,}"),
        ("digest", lambda p: f"{p['digest_s']:.0f} s, {p['digest_mib']:.0f} MiB heap"),
        ("Map results", lambda p: f"{p['results_kib']:.0f} KiB, written to S3"),
    ]
    rows += [
        (k[2:], (lambda key: lambda p: f"${p[key]:.4f}")(k)) for k in first if k.startswith("$ ")
    ]
    rows.append(("**dollars a night**", lambda p: f"**${p['dollars']:.2f}**"))
    for name, show in rows:
        cells = " | ".join(show(p) for p in (first, steady, *large))
        lines.append(f"| {name} | {cells} |")
    lines += [
        "",
        "### The worker's memory size (an unchanged night)",
        "",
        "| worker MemorySize | wall time | Lambda GB-seconds | dollars a night |",
        "|---|---|---|---|",
    ]
    for mb in MEMORY_CHOICES:
        p = project(measured, PROJECTED_ACCOUNTS, steady=True, memory_mb=mb)
        lines.append(
            f"| {mb} MB{' (the template)' if mb == WORKER_MEMORY_MB else ''} | "
            f"{p['wall_s'] / 60:.1f} min | {p['gb_s']:,.0f} | ${p['dollars']:.2f} |"
        )
    lines += [
        "",
        f"### MaxConcurrency for {LARGE_ORGANISATION:,} accounts",
        "",
        "The Map's concurrency sets a large organisation's wall time and nothing else: each "
        "worker sweeps its own member account (its own API quotas), and the dollars are the "
        "same work whenever it runs. The template's default is "
        f"{MAX_CONCURRENCY}; a Distributed Map runs up to 10,000 children at once and Lambda's "
        "default concurrency is 1,000 an account.",
        "",
        "| MaxConcurrency | first night | unchanged night | dollars (first / unchanged) |",
        "|---|---|---|---|",
    ]
    for conc in CONCURRENCY_CHOICES:
        f_, s_ = (
            project(measured, LARGE_ORGANISATION, steady=st, concurrency=conc)
            for st in (False, True)
        )
        lines.append(
            f"| {conc}{' (the template)' if conc == MAX_CONCURRENCY else ''} | "
            f"{f_['wall_s'] / 60:.1f} min | {s_['wall_s'] / 60:.1f} min | "
            f"${f_['dollars']:.2f} / ${s_['dollars']:.2f} |"
        )
    lines += ["", "## Reading it", "", *READING, ""]
    return "\n".join(lines)


READING = [
    "- The unit is bound by its calls, not by the estate: an account with ML work in one region",
    "  and 19 empty ones makes about 280 calls (each empty region is a dozen listings; the",
    "  Price List is read once a day per region for the whole organisation, from the state",
    "  table), a busy region adds about 40. Regions run 8 at a time, detectors side by side.",
    "- An unchanged night writes only the sweep marks (one per account and region) and reads",
    "  each unit's stored findings back once; a first night writes every finding once, to the",
    "  table and to its two indexes (each projects the whole item, each write is billed):",
    "  a finding's JSON is stored deflated, which keeps each copy within one write unit. A",
    "  first night is therefore the dearest, and happens once: after it only what changed is",
    "  written. Its sweep is held to what a new on-demand table takes, 4,000 writes a second",
    '  (DynamoDB Developer Guide, "Pre-warming a table for on-demand capacity mode"); the',
    "  by-state index's 8 shards keep it off one partition's 1,000.",
    "- CPU is what the memory size buys on Lambda: the projection stretches each unit's CPU",
    "  time by its vCPU share. At 512 MB (29% of a vCPU) the units' CPU is most of a night's",
    "  wall time; the template gives the worker 1024 MB, which takes a third off the night",
    "  for the same dollars (the table above), and the digest 2048 MB.",
    "- The digest reads every open finding of the organisation, page by page, and tallies them",
    "  as it reads: its heap is the same at 300 and 3,000 accounts (benchmarks/org_digest.md),",
    "  its time is a start plus a cost per finding, fitted to the sizes measured here (the",
    "  estate is waste-heavy: about 60% of its resources are findings). Each Map result is",
    "  about 100 bytes and the Map writes them to S3 (ResultWriter), read back an execution",
    "  at a time, so no number of accounts meets the 256 KB state limit.",
    "- The units sweep 20 regions: the 17 every account has and three opt-in ones, empty.",
    "  Where AWS does not offer a service (OpenSearch Serverless in me-south-1, Bedrock in",
    "  ap-east-1) its kinds are not listed.",
    "- The dollars are the night's AWS charges for govbot's own work: CloudWatch metric reads",
    "  (the endpoints' traffic, one metric per variant judged) lead an unchanged night,",
    "  DynamoDB writes a first night.",
    "- Not measured here: Step Functions' own start latency per child (an allowance is",
    "  added), Lambda cold starts (about 0.4 s of imports, benchmarks/cold_start.md), and",
    "  arm64 against this machine's x86 core.",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=6, help="member accounts to emulate")
    parser.add_argument("--latency-ms", type=float, default=50, help="added to every AWS call")
    parser.add_argument("--out", default=str(Path(__file__).with_name("org_results.md")))
    parser.add_argument("--json", help="also write the measurements as JSON here")
    parser.add_argument("--render", metavar="JSON", help="only render measurements kept before")
    args = parser.parse_args()
    if args.render:
        measured = json.loads(Path(args.render).read_text())
    else:
        measured = measure(args.accounts, args.latency_ms / 1000)
    if args.json:
        Path(args.json).write_text(json.dumps(measured, indent=1, default=str))
    Path(args.out).write_text(render(measured))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
