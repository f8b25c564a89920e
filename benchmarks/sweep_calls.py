"""How many AWS calls a sweep makes as an estate grows, and how long it takes on moto.

Seeds a generated ML estate (in-process moto) at a few sizes, sweeps it with the default policy,
and writes benchmarks/results.md: calls by operation, calls per resource, and wall time. The
time is moto's, not AWS's (an AWS call takes tens of milliseconds more); the call counts are
what a real account of that shape would see.

    python benchmarks/sweep_calls.py [--scales 1,4] [--out benchmarks/results.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.update(
    AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
)
os.environ.pop("AWS_ENDPOINT_URL", None)

from moto import mock_aws

from govbot.aws import AwsClients
from govbot.demo import moto_extensions
from govbot.demo.estate import (
    ROLE_ARN,
    as_tags,
    make_endpoint,
    make_log_group,
    make_traffic,
    make_training_job,
    make_variant,
    make_volume,
    team_tags,
)
from govbot.policy import Policy
from govbot.price_list import PriceBook
from govbot.sweep import run_sweep

REGION = "us-east-1"
DAY = timedelta(days=1)


def seed(clients: AwsClients, now: datetime, scale: int) -> dict[str, int]:
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
        variants = [make_variant("A", "ml.m5.large"), make_variant("B", "ml.m5.large")]
        tags = team_tags("p") if i % 5 else as_tags(owner="x")
        make_endpoint(
            clients, REGION, name, variants if i % 3 == 0 else variants[:1], tags, now - 10 * DAY
        )
        if i % 6:  # five in six serve traffic
            make_traffic(clients, REGION, name, "A", now, hours_ago=[2])
    for i in range(counts["volumes"]):
        make_volume(
            clients,
            REGION,
            f"{REGION}a",
            100,
            "gp3",
            team_tags("p") if i % 4 else [],
            now - (i % 20) * DAY,
        )
    ec2 = clients.ec2(REGION)
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
    for i in range(counts["training jobs"]):
        make_training_job(
            clients,
            REGION,
            f"job-{i:04d}",
            "ml.g4dn.xlarge",
            1,
            team_tags("p"),
            now - (i * 7 % 40) * timedelta(hours=1),
        )
    sm = clients.sagemaker(REGION)
    for i in range(counts["notebooks"]):
        sm.create_notebook_instance(
            NotebookInstanceName=f"nb-{i:04d}", InstanceType="ml.t3.medium", RoleArn=ROLE_ARN
        )
    for i in range(counts["log groups"]):
        make_log_group(
            clients, REGION, f"/ml/app-{i:04d}", stored_gb=1, retention=30 if i % 2 else None
        )
    return counts


@dataclass
class Result:
    scale: int
    counts: dict[str, int]
    findings: int
    calls: dict[str, int]
    seconds: float
    seed_seconds: float
    errors: int

    @property
    def resources(self) -> int:
        return sum(self.counts.values())

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())


def measure(scale: int) -> Result:
    moto_extensions.install()  # what the emulator lacks: inference components, StopTrainingJob
    with mock_aws():
        now = datetime.now(UTC)
        seeded_at = time.perf_counter()
        counts = seed(AwsClients(), now, scale)
        seed_seconds = time.perf_counter() - seeded_at
        clients = AwsClients()
        started = time.perf_counter()
        # No state table: the Price List is read as on a day's first sweep (later sweeps
        # that day read the table's copy and make none of these calls).
        prices = PriceBook(clients, None, now)
        report = run_sweep(Policy(regions=[REGION]), clients, now=now, prices=prices)
        seconds = time.perf_counter() - started
    return Result(
        scale,
        counts,
        report.summary.findings,
        report.api_calls,
        seconds,
        seed_seconds,
        len(report.errors),
    )


def render(results: list[Result]) -> str:
    lines = [
        "# Sweep benchmark: AWS calls and time",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, "
        f"Python {platform.python_version()}, {os.cpu_count()} cores, moto in-process, "
        "default policy, one region. Produced by `make bench` (benchmarks/sweep_calls.py).",
        "",
        "| scale | resources | findings | AWS calls | calls per 100 resources "
        "| sweep time (moto) |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.scale} | {r.resources} | {r.findings} | {r.total_calls} | "
            f"{100 * r.total_calls / r.resources:.1f} | {r.seconds:.2f} s |"
        )
    first = results[0]
    lines += [
        "",
        "Estate per scale unit: "
        + ", ".join(f"{v // first.scale} {k}" for k, v in first.counts.items())
        + " (one endpoint in five untagged, one in six idle, one in three with two"
        " variants; one volume in four untagged; half the log groups without retention;"
        " training jobs started 0 to 39 hours ago, 40 % past the 24 h limit).",
        "",
    ]
    ops = sorted({op for r in results for op in r.calls})
    lines += [
        "## Calls by operation",
        "",
        "| operation | " + " | ".join(f"scale {r.scale}" for r in results) + " |",
        "|---|" + "---|" * len(results),
    ]
    for op in ops:
        lines.append(f"| {op} | " + " | ".join(str(r.calls.get(op, 0)) for r in results) + " |")
    lines += [
        "",
        "## Reading it",
        "",
        "- Listing calls grow with the page count, not the resource count: SageMaker lists take",
        "  100 a page, DescribeVolumes 500, DescribeInstances 1000, DescribeLogGroups 50,",
        "  GetResources 100, ListMetrics and GetMetricData 500.",
        "- ListMetrics runs once per traffic metric an endpoint kind reports (Invocations, the",
        "  async InvocationsProcessed and ApproximateBacklogSize), ListInferenceComponents once",
        "  per region: every series of every candidate is then summed in one batched",
        "  GetMetricData, so an endpoint busy in any of them costs no describe.",
        "- DescribeEndpoint and DescribeEndpointConfig are made only for endpoints that served",
        "  nothing (idle candidates, and untagged ones being priced); busy endpoints cost none.",
        "- DescribeTrainingJob only for jobs created longer ago than their limit; ListTags once",
        "  per in-progress job (GetResources would page through every job ever run).",
        "- pricing.GetProducts: the Price List for the region, in bulk (SageMaker instances by",
        "  component, EC2 Linux instances, EBS storage, IOPS, throughput and snapshots, 100",
        "  products a page), whatever the estate's size; on a day's first sweep only, as the",
        "  state table keeps the region's prices for a day (the emulated Price List holds the",
        "  bundled table's products; the real one has more instance types, so more pages).",
        "- A per-resource approach (describe every endpoint and config, one GetMetricStatistics",
        "  per variant, ListTags per resource) would make roughly 2 + variants + 1 calls per",
        "  endpoint alone.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,4", help="comma-separated estate sizes")
    parser.add_argument("--out", default=str(Path(__file__).with_name("results.md")))
    args = parser.parse_args()
    results = []
    for scale in (int(s) for s in args.scales.split(",")):
        print(f"scale {scale}: seeding and sweeping…", file=sys.stderr)
        result = measure(scale)
        print(
            f"  {result.resources} resources, {result.total_calls} calls, "
            f"{result.seconds:.2f} s (seeding took {result.seed_seconds:.1f} s)",
            file=sys.stderr,
        )
        if result.errors:
            print(f"  {result.errors} errors", file=sys.stderr)
            return 1
        results.append(result)
    Path(args.out).write_text(render(results))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
