"""How many AWS calls a sweep makes as an estate grows, how long it takes when each call
costs what an AWS call costs, and what it writes.

Seeds a generated ML estate (in-process moto) at a few sizes and sweeps it through the engine
with a state table, twice: the first sweep of a day (findings stored, the Price List read) and
a second, unchanged one (what a nightly sweep writes in the steady state). Every AWS call waits
``--latency-ms`` first (default 50 ms, a typical in-region AWS call), so wall time shows what
concurrency buys. Writes benchmarks/results.md: calls by operation, the page-count minimum for
the same facts and the ratio to it, wall time, DynamoDB write units, peak memory.

    python benchmarks/sweep_calls.py [--scales 1,4,20] [--latency-ms 50] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.update(
    AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
)
os.environ.pop("AWS_ENDPOINT_URL", None)
# The emulator is a package of the checkout, not of govbot: run from the repository.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import boto3
from moto import mock_aws

from govbot.aws import AwsClients
from govbot.cycle.engine import govern
from govbot.cycle.models import SweepReport
from govbot.cycle.policy import Policy
from govbot.cycle.sweep import run_sweep
from govbot.pricing.price_list import PriceBook
from govbot.state.store import Store
from govbot_emulator import moto_extensions
from govbot_emulator.estate import (
    ROLE_ARN,
    as_tags,
    make_endpoint,
    make_endpoint_load,
    make_log_group,
    make_traffic,
    make_training_job,
    make_variant,
    make_volume,
    team_tags,
)

REGION = "us-east-1"
# The 17 regions every account has, and three an organisation opts into.
ORGANISATION_REGIONS = [
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1",
    "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1", "ap-south-1", "ap-northeast-1",
    "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "sa-east-1",
    "eu-south-1", "ap-east-1", "me-south-1",
]  # fmt: skip
DAY = timedelta(days=1)


def seed(clients: AwsClients, now: datetime, scale: int, region: str = REGION) -> dict[str, int]:
    """An estate whose size grows with ``scale``; returns how many of each resource it holds."""
    counts = {
        "endpoints": 60 * scale,
        "volumes": 250 * scale,
        "instances": 100 * scale,
        "training jobs": 20 * scale,
        "notebooks": 10 * scale,
        "log groups": 60 * scale,
    }
    for i in range(counts["endpoints"]):
        name = f"ep-{i:04d}"
        size = 4 if i % 50 == 1 else 1  # one in 50 sized for more than it serves, or busy
        variants = [make_variant("A", "ml.m5.large", size), make_variant("B", "ml.m5.large")]
        tags = team_tags("p") if i % 5 else as_tags(owner="x")
        make_endpoint(
            clients, region, name, variants if i % 3 == 0 else variants[:1], tags, now - 10 * DAY
        )
        if size > 1:  # a week of readings: 10% of two vCPUs at peak, or 75%
            make_endpoint_load(clients, region, name, "A", now, cpu=20.0 if i % 100 == 1 else 150.0)
        elif i % 6:  # five in six serve traffic
            make_traffic(clients, region, name, "A", now, hours_ago=[2])
    for i in range(counts["volumes"]):
        make_volume(
            clients,
            region,
            f"{region}a",
            100,
            "gp3",
            team_tags("p") if i % 4 else [],
            now - (i % 20) * DAY,
        )
    ec2 = clients.ec2(region)
    for _ in range(scale):
        ec2.run_instances(
            ImageId="ami-12c6146b",
            MinCount=100,
            MaxCount=100,
            InstanceType="m5.large",
            TagSpecifications=[
                {"ResourceType": kind, "Tags": team_tags("p")} for kind in ("instance", "volume")
            ],
        )
    _seed_jobs_notebooks_logs(clients, now, counts, region)
    return counts


def seed_comparison(
    clients: AwsClients, now: datetime, _scale: int = 1, region: str = REGION
) -> dict[str, int]:
    """The one-region estate Cloud Custodian's five equivalent policies were measured on (issue
    25): 60 endpoints, half idle, a third missing a tag; 400 volumes, all unattached, a
    quarter untagged; 400 log groups, half without retention; 40 training jobs; 10 notebooks."""
    counts = {
        "endpoints": 60,
        "volumes": 400,
        "instances": 0,
        "training jobs": 40,
        "notebooks": 10,
        "log groups": 400,
    }
    for i in range(counts["endpoints"]):
        name = f"ep-{i:04d}"
        tags = as_tags(owner="x") if i % 3 == 0 else team_tags("p")
        make_endpoint(
            clients, region, name, [make_variant("A", "ml.m5.large")], tags, now - 10 * DAY
        )
        if i % 2:  # half serve traffic
            make_traffic(clients, region, name, "A", now, hours_ago=[2])
    for i in range(counts["volumes"]):
        tags = [] if i % 4 == 0 else team_tags("p")
        make_volume(clients, region, f"{region}a", 100, "gp3", tags, now - 10 * DAY)
    _seed_jobs_notebooks_logs(clients, now, counts, region)
    return counts


def _seed_jobs_notebooks_logs(
    clients: AwsClients, now: datetime, counts: dict[str, int], region: str
) -> None:
    """Both estates' training jobs (started 0 to 39 hours ago), notebooks and log groups
    (half without retention)."""
    for i in range(counts["training jobs"]):
        make_training_job(
            clients, region, f"job-{i:04d}", "ml.g4dn.xlarge", 1, team_tags("p"),
            now - (i * 7 % 40) * timedelta(hours=1),
        )  # fmt: skip
    sm = clients.sagemaker(region)
    for i in range(counts["notebooks"]):
        sm.create_notebook_instance(
            NotebookInstanceName=f"nb-{i:04d}", InstanceType="ml.t3.medium", RoleArn=ROLE_ARN
        )
    for i in range(counts["log groups"]):
        make_log_group(
            clients, region, f"/ml/app-{i:04d}", stored_gb=1, retention=30 if i % 2 else None
        )


@dataclass
class Result:
    scale: int
    counts: dict[str, int]
    findings: int
    calls: dict[str, int]
    seconds: float  # 50 ms a call, AWS's answers replayed: govbot's own wall time
    emulator_seconds: float  # the same sweep answered live by moto, no latency added
    seed_seconds: float
    errors: int
    minimum: dict[str, int]
    writes: int  # DynamoDB write units, first sweep
    steady_writes: int  # DynamoDB write units, an unchanged second sweep
    steady_calls: int
    peak_mib: float

    @property
    def resources(self) -> int:
        return sum(self.counts.values())

    @property
    def total_calls(self) -> int:
        return sum(v for k, v in self.calls.items() if not k.startswith("dynamodb."))

    @property
    def total_minimum(self) -> int:
        return sum(self.minimum.values())


class Tape:
    """AWS's answers to one sweep, recorded from the emulator, then played back after a fixed
    latency: the sweep's wall time as if every call took exactly that long, with none of the
    emulator's own processing time (moto filters tags and volumes in Python, under the GIL)."""

    def __init__(self) -> None:
        self.answers: dict[tuple[str, ...], Any] = {}
        self.lock = threading.Lock()

    @staticmethod
    def key(model: Any, params: dict[str, Any], region: str) -> tuple[str, ...]:
        body = params.get("body")
        if isinstance(body, bytes):
            body = body.decode()
        if isinstance(body, dict):
            body = json.dumps(body, sort_keys=True, default=str)
        return (
            region,  # the same call in two regions has two answers
            model.service_model.service_name,
            model.name,
            params.get("url_path", ""),
            str(params.get("query_string", "")),
            str(body),
        )

    def recording(self, session: boto3.Session) -> None:
        def before(model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
            context["tape"] = self.key(model, params, context.get("client_region", ""))

        def after(parsed: Any, context: dict[str, Any], **_: Any) -> None:
            with self.lock:
                self.answers[context["tape"]] = parsed

        session.events.register("before-call", before)
        session.events.register("after-call", after)

    def playing(self, session: boto3.Session, latency: float) -> None:
        http = type("Http", (), {"status_code": 200, "headers": {}})()

        def before(model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> Any:
            time.sleep(latency)
            return http, self.answers[self.key(model, params, context.get("client_region", ""))]

        session.events.register("before-call", before)


def pages(n: int, size: int) -> int:
    return max(1, -(-n // size))


def page_minimum(counts: dict[str, int], calls: dict[str, int]) -> dict[str, int]:
    """The fewest calls that could give the facts the sweep reports, at the page sizes AWS
    documents: each listing once, tags 100 to a call, metrics 500 to a call, and a describe
    only where no bulk call exists (an idle candidate's endpoint and config, a training job
    past its limit), counted as the sweep needed them."""
    tagged = counts["endpoints"] + counts["notebooks"] + counts["log groups"]
    return {
        "sts.GetCallerIdentity": 1,
        "sagemaker.ListEndpoints": pages(counts["endpoints"], 100),
        "sagemaker.ListNotebookInstances": pages(counts["notebooks"], 100),
        "sagemaker.ListTrainingJobs": pages(counts["training jobs"], 100),
        "sagemaker.ListInferenceComponents": 1,
        "ec2.DescribeVolumes": pages(counts["volumes"], 500),
        "ec2.DescribeInstances": pages(counts["instances"], 1000),
        "ec2.DescribeSnapshots": 1,
        "logs.DescribeLogGroups": pages(counts["log groups"], 50),
        "resourcegroupstaggingapi.GetResources": pages(tagged, 100)
        + pages(counts["training jobs"], 100),
        "cloudwatch.ListMetrics": 3 * pages(counts["endpoints"], 500),
        # Traffic, and three series (CPU, GPU, calls per instance) of each variant above the
        # floor of overprovisioned-endpoint, in the same 500-query batches.
        "cloudwatch.GetMetricData": pages(counts["endpoints"], 500)
        + pages(3 * counts["endpoints"] // 50, 500),
        "ec2.DescribeInstanceTypes": 1,
        "application-autoscaling.DescribeScalableTargets": 1,
        # No bulk describe exists for these: what the sweep needed is the minimum.
        "sagemaker.DescribeEndpoint": calls.get("sagemaker.DescribeEndpoint", 0),
        "sagemaker.DescribeEndpointConfig": calls.get("sagemaker.DescribeEndpointConfig", 0),
        "sagemaker.DescribeTrainingJob": calls.get("sagemaker.DescribeTrainingJob", 0),
        "pricing.GetProducts": 9,  # 3 SageMaker components, 2 EC2 families, 4 EBS families
        "bedrock.ListProvisionedModelThroughputs": 1,  # none here: one empty page
        "sagemaker.ListDomains": 1,  # no Studio domain here: one empty page
        # No reservations, Lustre file systems or collections here: one empty page each.
        "ec2.DescribeCapacityReservations": 1,
        "fsx.DescribeFileSystems": 1,
        "opensearchserverless.ListCollections": 1,
        # Endpoints in service and training jobs in progress, 100 a page each.
        "sagemaker.Search": pages(counts["endpoints"], 100) + pages(counts["training jobs"], 100),
    }


def write_units(request: dict[str, Any]) -> int:
    """DynamoDB write units of one PutItem (its serialized request)."""
    return item_units(json.loads(request.get("body") or "{}").get("Item", {}))


# The state table's indexes (by-state, by-scope) project every attribute: an item carrying an
# index's key is written to that index too, whole, and DynamoDB bills each index write as a
# table write ("Managing capacity for global secondary indexes", DynamoDB Developer Guide).
INDEX_KEYS = ("gsi1pk", "gsi2pk")


def attribute_bytes(value: dict[str, Any]) -> int:
    """A value's size as DynamoDB counts it ("Item sizes and formats", DynamoDB Developer
    Guide): strings in UTF-8 bytes, binary in bytes, a number about one byte per two
    significant digits plus one, a boolean or null one byte, a list or map three bytes plus
    its elements and a byte each."""
    ((kind, v),) = value.items()
    if kind == "S":
        return len(v.encode())
    if kind == "B":
        return len(v) * 3 // 4 if isinstance(v, str) else len(v)  # base64 on the wire
    if kind == "N":
        return min(21, len(v.strip("-").replace(".", "").strip("0")) // 2 + 1)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(attribute_bytes(e) + 1 for e in v)
    if kind == "M":
        return 3 + sum(len(k.encode()) + attribute_bytes(e) + 1 for k, e in v.items())
    return sum(len(str(e).encode()) for e in v)  # SS, NS, BS


def item_bytes(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + attribute_bytes(value) for name, value in item.items())


def item_units(item: dict[str, Any]) -> int:
    """Write units of one item, its index entries included: 1 per KB, rounded up, for the
    table and for each index whose key the item carries. (A write that moves an item to
    another index key, a change of state, costs one more index write: rare on a night.)"""
    units = max(1, -(-item_bytes(item) // 1024))
    return units * (1 + sum(key in item for key in INDEX_KEYS))


def measure(scale: int, latency: float, seeder: Any = seed) -> Result:
    moto_extensions.install()  # what the emulator lacks: inference components, StopTrainingJob
    policy = Policy(regions=[REGION])
    with mock_aws():
        now = datetime.now(UTC)
        seeded_at = time.perf_counter()
        counts = seeder(AwsClients(), now, scale)
        seed_seconds = time.perf_counter() - seeded_at

        def detect(clients: AwsClients) -> tuple[SweepReport, float]:
            started = time.perf_counter()
            report = run_sweep(policy, clients, now=now, prices=PriceBook(clients, None, now))
            return report, time.perf_counter() - started

        # The sweep answered live by the emulator (its answers recorded), then replayed with
        # the latency: the same calls in the same shapes, timed as AWS would answer them.
        tape, live = Tape(), boto3.Session()
        tape.recording(live)
        report, emulator_seconds = detect(AwsClients(session=live))
        replayed = boto3.Session()
        tape.playing(replayed, latency)
        again, seconds = detect(AwsClients(session=replayed))
        assert again.summary.findings == report.summary.findings

        # Through the engine with a state table: what the first sweep and an unchanged one
        # write (DynamoDB write units: 1 per KB of item, for the table and each index).
        session = boto3.Session()
        units = {"w": 0}

        def count_writes(model: Any, params: dict[str, Any], **_: Any) -> None:
            if model.name in ("PutItem", "UpdateItem"):  # an update: a sweep mark, one unit
                units["w"] += write_units(params)

        session.events.register("before-call", count_writes)
        clients = AwsClients(session=session)
        store = Store(clients, REGION)
        store.create()

        def sweep(when: datetime) -> tuple[SweepReport, int]:
            clients.calls.clear()
            units["w"] = 0
            report = govern(policy, clients, store, now=when, dry_run=True, actor="bench").report
            return report, units["w"]

        first, writes = sweep(now)
        steady, steady_writes = sweep(now + timedelta(hours=2))
        steady_calls = sum(v for k, v in clients.calls.items() if not k.startswith("dynamodb."))
        # This process measures one scale (main runs each in its own): its peak is this
        # scale's, moto's in-process state and the seeding included.
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    calls = report.api_calls
    return Result(
        scale,
        counts,
        report.summary.findings,
        calls,
        seconds,
        emulator_seconds,
        seed_seconds,
        len(report.errors) + len(first.errors) + len(steady.errors),
        page_minimum(counts, calls),
        writes,
        steady_writes,
        steady_calls,
        peak,
    )


def render(results: list[Result], latency_ms: float) -> str:
    lines = [
        "# Sweep benchmark: AWS calls, time and writes",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, "
        f"Python {platform.python_version()}, {os.cpu_count()} cores, moto in-process, "
        "default policy, one region. Produced by `make bench` (benchmarks/sweep_calls.py).",
        "",
        f"Wall time at {latency_ms:g} ms a call: the sweep's calls answered with the answers "
        "moto gave, each after exactly that latency, so the time is govbot's (its concurrency "
        "and its calls), not the emulator's; the sweep answered live by moto is shown too. "
        "Write units: DynamoDB writes of the first sweep through the engine with a state table, "
        "as billed (the table and each index an item's keys put it in), and of an unchanged "
        "sweep two hours later (the training jobs still running cost more by then, so their "
        "findings are written again).",
        "",
        f"| resources | findings | AWS calls | page-count minimum | ratio | wall time at "
        f"{latency_ms:g} ms a call | live on moto | write units (first / unchanged) "
        "| calls, unchanged sweep | peak memory |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.resources} | {r.findings} | {r.total_calls} | {r.total_minimum} | "
            f"{r.total_calls / r.total_minimum:.2f} | {r.seconds:.1f} s | "
            f"{r.emulator_seconds:.1f} s | {r.writes} / {r.steady_writes} | {r.steady_calls} | "
            f"{r.peak_mib:.0f} MiB |"
        )
    first = results[0]
    lines += [
        "",
        "Estate per scale unit: "
        + ", ".join(f"{v // first.scale} {k}" for k, v in first.counts.items())
        + " (one endpoint in five untagged, one in six idle, one in three with two"
        " variants, one in 50 with four instances and a week of utilisation readings, half"
        " of those over-provisioned; one volume in four untagged; half the log groups without"
        " retention; training jobs started 0 to 39 hours ago, 40 % past the 24 h limit).",
        "",
    ]
    ops = sorted(
        {op for r in results for op in r.calls} | {op for r in results for op in r.minimum}
    )
    lines += [
        "## Calls by operation (first sweep; minimum in brackets)",
        "",
        "| operation | " + " | ".join(f"{r.resources} resources" for r in results) + " |",
        "|---|" + "---|" * len(results),
    ]
    for op in ops:
        lines.append(
            f"| {op} | "
            + " | ".join(f"{r.calls.get(op, 0)} ({r.minimum.get(op, '-')})" for r in results)
            + " |"
        )
    lines += [
        "",
        "## Reading it",
        "",
        "- Inside a region the detectors run concurrently over one shared inventory (each",
        "  listing made once, whichever detector asks first), and the describes no bulk call",
        "  replaces run 16 at a time; regions run in parallel as before. Wall time is therefore",
        "  near the longest chain of dependent calls, not the sum of all calls.",
        "- Off the minimum in places, the emulator's paging: moto answers DescribeVolumes,",
        "  DescribeInstances and Search in one page whatever the page size, and its",
        "  ListMetrics pages count stored datapoints, not series (more pages where a series",
        "  holds a week of readings); AWS would take the documented pages (the minimum column).",
        "  govbot asks each series once however often a listing repeats it.",
        "- Listing calls grow with the page count, not the resource count: SageMaker lists take",
        "  100 a page, DescribeVolumes 500, DescribeInstances 1000, DescribeLogGroups 50,",
        "  GetResources 100, ListMetrics and GetMetricData 500.",
        "- ListMetrics runs once per traffic metric an endpoint kind reports (Invocations, the",
        "  async InvocationsProcessed and ApproximateBacklogSize), ListInferenceComponents once",
        "  per region: every series of every candidate is then summed in one batched",
        "  GetMetricData, so an endpoint busy in any of them costs no describe.",
        "- Per-resource calls left, each because no bulk call exists: DescribeEndpointConfig",
        "  for endpoints that served nothing (idle candidates, and untagged ones being priced)",
        "  and for those with more instances than the floor of overprovisioned-endpoint (their",
        "  instance types are in the config, which no bulk call returns; what DescribeEndpoint",
        "  would say comes from SageMaker Search, 100 endpoints a page; a config shared by",
        "  several endpoints is described once); the training jobs in progress come from one",
        "  SageMaker Search (100 a page: the listing has no start time, instance type or spot",
        "  setting), DescribeTrainingJob only for a job created within the last day that has",
        "  ended (spot advice). Training jobs' tags come 100",
        "  ARNs to a GetResources call. Bedrock provisioned throughputs' tags are read one by",
        "  one, only for those found idle (few, and costly enough to be worth it). Studio",
        "  user profiles and spaces are described one by one (their settings are in no",
        "  listing), only where a domain exists; Studio apps only when old enough to have",
        "  idled; none here.",
        "- pricing.GetProducts: the Price List for the region, in bulk (SageMaker instances by",
        "  component, EC2 Linux on-demand instances and bare metal, EBS storage, IOPS,",
        "  throughput and snapshots, 100",
        "  products a page), whatever the estate's size; on a day's first sweep only, as the",
        "  state table keeps the region's prices for a day (the emulated Price List holds the",
        "  bundled table's products; the real one has more instance types, so more pages).",
        "- Writes: the first sweep stores each finding once; an unchanged sweep writes one mark",
        "  per unit (detector in a region) and a finding only when its cost, reason, tags or",
        "  proposed fix changed.",
        "- Live on moto, the emulator's own work dominates at scale (its GetResources tag",
        "  filter, DescribeVolumes and DescribeSnapshots filters run in Python under one GIL);",
        "  that is the emulator's cost, which AWS does not share.",
        "- Peak memory is the peak resident size of the process that seeded and swept that",
        "  scale (each scale runs in a process of its own), moto's in-process state included.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scales", default="1,4,20", help="comma-separated estate sizes (1 = 500 resources)"
    )
    parser.add_argument("--latency-ms", type=float, default=50, help="added to every AWS call")
    parser.add_argument("--out", default=str(Path(__file__).with_name("results.md")))
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # one scale, JSON out
    args = parser.parse_args()
    if args.one:
        print(json.dumps(asdict(measure(args.one, args.latency_ms / 1000))))
        return 0
    results = []
    for scale in (int(s) for s in args.scales.split(",")):
        print(f"scale {scale}: seeding and sweeping…", file=sys.stderr)
        ran = subprocess.run(
            [sys.executable, __file__, "--one", str(scale), "--latency-ms", str(args.latency_ms)],
            capture_output=True,
            text=True,
            check=True,
        )
        result = Result(**json.loads(ran.stdout.strip().splitlines()[-1]))
        print(
            f"  {result.resources} resources, {result.total_calls} calls (minimum "
            f"{result.total_minimum}), {result.seconds:.1f} s at the latency "
            f"({result.emulator_seconds:.1f} s live on moto), write units {result.writes} / "
            f"{result.steady_writes}, {result.peak_mib:.0f} MiB "
            f"(seeding took {result.seed_seconds:.1f} s)",
            file=sys.stderr,
        )
        if result.errors:
            print(f"  {result.errors} errors", file=sys.stderr)
            return 1
        results.append(result)
    Path(args.out).write_text(render(results, args.latency_ms))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
