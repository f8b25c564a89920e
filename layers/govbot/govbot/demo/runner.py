"""`govbot demo`: the nightly sweep on an emulated AWS account, end to end.

A moto server listens on 127.0.0.1 (a real HTTP endpoint: every call goes through boto3 and
``AWS_ENDPOINT_URL``), an ML estate is seeded in two regions, the policy is put in SSM where the
Lambda reads it, and the sweep function's own handler is invoked with a real scheduled event.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from rich.console import Console
from rich.table import Table

from govbot.actions.snapshot_volume import SOURCE_TAG
from govbot.aws import AwsClients
from govbot.demo import estate, moto_extensions
from govbot.models import SweepReport
from govbot.report import render

POLICY_PARAMETER = "/govbot/policy"
DEMO_POLICY = f"""# The demo's policy: the defaults, sweeping two regions.
regions: [{", ".join(estate.REGIONS)}]
"""
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "demo",
    "AWS_SECRET_ACCESS_KEY": "demo",
    "AWS_SESSION_TOKEN": "demo",
    "AWS_DEFAULT_REGION": estate.PRIMARY,
    "AWS_REGION": estate.PRIMARY,
}
FUNCTION_ENV = {
    "POWERTOOLS_SERVICE_NAME": "govbot-sweep",
    "DRY_RUN": "true",
    "GOVBOT_TABLE": "govbot",
    "POWERTOOLS_METRICS_NAMESPACE": "govbot",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "GOVBOT_POLICY_PARAMETER": POLICY_PARAMETER,
}


@contextlib.contextmanager
def emulated_account() -> Iterator[str]:
    """A moto server on a free loopback port, with the environment pointing boto3 at it."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    saved = {k: os.environ.get(k) for k in [*FAKE_CREDENTIALS, "AWS_ENDPOINT_URL"]}
    os.environ.update(FAKE_CREDENTIALS, AWS_ENDPOINT_URL=url)
    try:
        yield url
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def repo_root() -> Path | None:
    """The checkout holding functions/ and events/, when govbot runs from one."""
    for parent in Path(__file__).resolve().parents:
        if (parent / "template.yaml").is_file() and (parent / "functions").is_dir():
            return parent
    return None


def load_sweep_handler(root: Path) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    os.environ.update(FUNCTION_ENV)
    spec = importlib.util.spec_from_file_location(
        "govbot_function_sweep", root / "functions" / "sweep" / "app.py"
    )
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {spec}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler  # type: ignore[no-any-return]


def lambda_context(name: str) -> Any:
    return SimpleNamespace(
        function_name=name,
        memory_limit_in_mb=512,
        invoked_function_arn=f"arn:aws:lambda:{estate.PRIMARY}:123456789012:function:{name}",
        aws_request_id="demo-request",
    )


def invoke_sweep(root: Path, event_file: str = "scheduled-event.json") -> tuple[SweepReport, str]:
    """Invoke the sweep function's handler; returns its report and what it printed (logs, EMF)."""
    event = json.loads((root / "events" / event_file).read_text())
    printed = io.StringIO()
    # Loaded inside the redirect: Powertools Logger binds stdout when the module is imported.
    with contextlib.redirect_stdout(printed):
        handler = load_sweep_handler(root)
        result = handler(event, lambda_context("govbot-sweep"))
    return SweepReport.model_validate(result), printed.getvalue()


def emitted_metrics(printed: str) -> list[str]:
    """The CloudWatch metrics (EMF) in a function's output, as 'name{dimension} = value'."""
    lines = []
    for line in printed.splitlines():
        try:
            blob = json.loads(line)
        except ValueError:
            continue
        if "_aws" not in blob:
            continue
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            dims = [d for group in directive["Dimensions"] for d in group if d != "service"]
            label = ",".join(f"{d}={blob[d]}" for d in dims)
            for m in directive["Metrics"]:
                value = blob[m["Name"]]
                value = value[0] if isinstance(value, list) and len(value) == 1 else value
                lines.append(f"{m['Name']}{{{label}}} = {value}")
    return lines


def govbot_cli(
    out: Console, *args: str, progress: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run the govbot command line in its own process, as a person would, and show it."""
    out.print(f"[bold]$ govbot {' '.join(args)}[/]", highlight=False)
    result = subprocess.run(
        [sys.executable, "-m", "govbot", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": str(out.width - 2)},  # room for the indent
        timeout=300,
    )
    # stderr carries progress (shown only when asked) and refusals (always shown).
    shown = result.stdout + (result.stderr if progress or result.returncode else "")
    for line in shown.rstrip().splitlines():
        out.print(f"  {line}", highlight=False, markup=False, soft_wrap=True)
    return result


def account_state(clients: AwsClients) -> Table:
    """What the emulated account holds that govbot may change, read straight from the API."""
    table = Table(title="the emulated account", expand=True)
    for column in (
        "region",
        "endpoints",
        "volumes (available / in-use), govbot snapshots",
        "training jobs in progress",
        "log groups without retention",
    ):
        table.add_column(column, overflow="fold")
    for region in estate.REGIONS:
        sm, ec2, logs = clients.sagemaker(region), clients.ec2(region), clients.logs(region)
        endpoints = sorted(e["EndpointName"] for e in sm.list_endpoints()["Endpoints"])
        volumes = ec2.describe_volumes()["Volumes"]
        available = sum(v["State"] == "available" for v in volumes)
        snapshots = ec2.describe_snapshots(Filters=[{"Name": "tag-key", "Values": [SOURCE_TAG]}])[
            "Snapshots"
        ]
        jobs = sorted(
            j["TrainingJobName"]
            for j in sm.list_training_jobs(StatusEquals="InProgress")["TrainingJobSummaries"]
        )
        open_logs = sorted(
            g["logGroupName"]
            for g in logs.describe_log_groups()["logGroups"]
            if not g.get("retentionInDays")
        )
        table.add_row(
            region,
            "\n".join(endpoints),
            f"{available} / {len(volumes) - available}; {len(snapshots)} snapshot(s)",
            "\n".join(jobs) or "-",
            "\n".join(open_logs) or "-",
        )
    return table


def run_demo(out: Console, err: Console, serve: bool = False) -> int:
    root = repo_root()
    if root is None:
        err.print("[red]govbot demo runs from a govbot checkout (functions/ and events/).[/]")
        return 2
    moto_extensions.install()
    with emulated_account() as url:
        out.rule("[bold]1. An emulated AWS account")
        out.print(f"moto server at {url}; boto3 reaches it through AWS_ENDPOINT_URL.")

        out.rule("[bold]2. Seeding an ML estate in " + " and ".join(estate.REGIONS))
        seed_clients = AwsClients()
        started = time.perf_counter()
        built = estate.seed(seed_clients, datetime.now(UTC))
        seed_clients.ssm(estate.PRIMARY).put_parameter(
            Name=POLICY_PARAMETER, Value=DEMO_POLICY, Type="String"
        )
        out.print(
            f"{sum(seed_clients.calls.values())} API calls in "
            f"{time.perf_counter() - started:.1f}s: "
            "endpoints busy, idle, serverless, brand new and exempt; attached, orphaned and "
            "snoozed volumes; training jobs short, long-but-expected and runaway; log groups "
            f"with and without retention; the policy in SSM {POLICY_PARAMETER}. "
            f"({len(built.volumes)} volumes, {len(built.instances)} instances.)"
        )
        govbot_cli(out, "init")

        out.rule("[bold]3. The nightly sweep, as the Lambda runs it (DRY_RUN, the default)")
        out.print(
            "Invoking functions/sweep/app.handler with events/scheduled-event.json "
            "(a real EventBridge scheduled event)…"
        )
        started = time.perf_counter()
        report, printed = invoke_sweep(root)
        elapsed = time.perf_counter() - started
        render(report, out)
        out.print("What the function reported to CloudWatch:")
        for line in emitted_metrics(printed):
            out.print(f"  {line}", highlight=False)
        calls = ", ".join(f"{k} {v}" for k, v in report.api_calls.items())
        out.print(
            f"{sum(report.api_calls.values())} AWS API calls in {elapsed:.1f}s: {calls}",
            highlight=False,
        )

        out.rule("[bold]4. Before: the account as the sweep found it")
        out.print(account_state(seed_clients))

        out.rule("[bold]5. People decide, through the command line")
        govbot_cli(out, "findings", "--state", "pending_approval")
        pending = {
            (f.detector, f.resource_id): f.finding_id
            for f in report.findings
            if f.detector != "untagged-resource"
        }
        keep_history = pending.pop(("log-retention-gap", "/aws/sagemaker/TrainingJobs"))
        govbot_cli(out, "approve", *pending.values(), "--by", "ana@ml-platform")
        govbot_cli(out, "reject", keep_history, "--by", "ben@ml-research")
        out.print("A second approval of the same finding changes nothing:")
        govbot_cli(out, "approve", pending[("idle-endpoint", "churn-model-staging")], "--by", "cy")

        out.rule("[bold]6. The fixes, applied")
        regions = ",".join(estate.REGIONS)
        govbot_cli(out, "sweep", "--regions", regions, "--apply")
        out.print(account_state(seed_clients))

        out.rule("[bold]7. Nothing lost: one endpoint restored")
        govbot_cli(out, "restore", "endpoint", "churn-model-staging", "--region", estate.PRIMARY)
        govbot_cli(out, "findings", "--state", "rejected")
        out.print(account_state(seed_clients))

        if serve:
            out.print(f"\nThe emulated account stays up at {url}. In another shell:")
            out.print(
                f"  AWS_ENDPOINT_URL={url} AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo "
                f"govbot findings",
                highlight=False,
            )
            out.print("Ctrl-C stops it.")
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    time.sleep(3600)
    return 1 if report.nothing_swept else 0
