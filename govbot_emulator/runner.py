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
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

from rich.console import Console
from rich.table import Table
from slack_sdk.signature import SignatureVerifier

from govbot.actions import action_for
from govbot.aws import AwsClients
from govbot.cli.ids import short_forms
from govbot.cli.report import render
from govbot.cycle.models import SweepReport, money
from govbot.delivery.slack import LOOPBACK_SETTING
from govbot.detectors.expired_snapshot import SOURCE_TAG
from govbot_emulator import estate, moto_extensions
from govbot_emulator.slack_standin import SlackStandIn

POLICY_PARAMETER = "/govbot/policy"
TOP = 3  # findings shown by default; --verbose shows all
TOP_FIXES = 5  # fixes shown one by one by default, the costliest
SIGNING_SECRET = "demo-signing-secret"
APPROVER = "W111"  # ana, in the policy's approvers
DEMO_POLICY = f"""# The demo's policy: the defaults, sweeping two regions, digests to Slack.
regions: [{", ".join(estate.REGIONS)}]
slack:
  channel: C0MLFINOPS
  approvers: [{APPROVER}]
  owners: {{ana: U0ANA}}
on_budget_breach:
  detectors:
    runaway-training-job: {{mode: auto}}
"""
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "demo",
    "AWS_SECRET_ACCESS_KEY": "demo",
    "AWS_SESSION_TOKEN": "demo",
    "AWS_DEFAULT_REGION": estate.PRIMARY,
    "AWS_REGION": estate.PRIMARY,
}
FUNCTION_ENV = {
    "POWERTOOLS_SERVICE_NAME": "govbot",
    # As the prod profile deploys it: the functions act, but every detector is in approve
    # mode (untagged: notify), so nothing changes until a person approves.
    "DRY_RUN": "false",
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


def invoke(root: Path, function: str, event: dict[str, Any]) -> tuple[Any, str]:
    """Invoke a function's own handler (functions/<name>/app.py) as Lambda would; returns its
    answer and what it printed (structured logs, EMF metrics)."""
    os.environ.update(FUNCTION_ENV)
    spec = importlib.util.spec_from_file_location(
        f"govbot_function_{function}", root / "functions" / function / "app.py"
    )
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load functions/{function}/app.py")
    module = importlib.util.module_from_spec(spec)
    printed = io.StringIO()
    # Loaded inside the redirect: Powertools Logger binds stdout when the module is imported.
    with contextlib.redirect_stdout(printed):
        spec.loader.exec_module(module)
        answer = module.handler(event, lambda_context(f"govbot-{function}"))
    return answer, printed.getvalue()


def lambda_context(name: str) -> Any:
    return SimpleNamespace(
        function_name=name,
        memory_limit_in_mb=512,
        invoked_function_arn=f"arn:aws:lambda:{estate.PRIMARY}:123456789012:function:{name}",
        aws_request_id="demo-request",
        get_remaining_time_in_millis=lambda: 300_000,
    )


def invoke_sweep(root: Path, event_file: str = "scheduled-event.json") -> tuple[SweepReport, str]:
    event = json.loads((root / "events" / event_file).read_text())
    answer, printed = invoke(root, "sweep", event)
    return SweepReport.model_validate(answer), printed


def click_event(
    root: Path,
    standin: SlackStandIn,
    finding_id: str,
    user: str,
    blocks: list[dict[str, Any]],
    later: int = 0,
) -> dict[str, Any]:
    """A button click as Slack sends it: a block_actions payload, signed with the app's
    signing secret (``later`` seconds from now), for the Slack function's URL."""
    payload = json.loads((root / "events" / "slack-block-actions.json").read_text())
    payload["user"]["id"] = user
    payload["response_url"] = standin.response_url()
    payload["message"] = {"ts": "1.000100", "blocks": blocks}
    payload["actions"][0].update(action_id="govbot_approve", value=finding_id)
    body = urlencode({"payload": json.dumps(payload)})
    ts = str(int(time.time()) + later)
    event: dict[str, Any] = json.loads(
        (root / "events" / "slack-block-actions-function-url.json").read_text()
    )
    event["headers"].update(
        {
            "x-slack-request-timestamp": ts,
            "x-slack-signature": SignatureVerifier(SIGNING_SECRET).generate_signature(
                timestamp=ts, body=body
            ),
        }
    )
    event["body"] = body
    return event


def send_click(root: Path, event: dict[str, Any]) -> tuple[int, str]:
    """The Slack function's answer to a click: status and body."""
    answer, _ = invoke(root, "slack", event)
    return int(answer["statusCode"]), str(answer.get("body") or "")


def run_worker(root: Path, queue_url: str) -> int:
    """Hand what waits on the remediation queue to the worker, as the SQS trigger would."""
    sqs = AwsClients().client("sqs", estate.PRIMARY)
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    event = {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "0",
                    "SenderId": "demo",
                    "ApproximateFirstReceiveTimestamp": "0",
                },
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{estate.PRIMARY}:123456789012:govbot-remediation",
                "awsRegion": estate.PRIMARY,
            }
            for m in messages
        ]
    }
    if messages:
        invoke(root, "remediate", event)
    return len(messages)


def slack_text(blocks: list[dict[str, Any]], limit: int = 8) -> list[str]:
    """A plain rendering of Block Kit blocks, to show what Slack would display."""
    lines = []
    for b in blocks:
        if b["type"] in ("header", "section"):
            lines.append(b["text"]["text"])
        elif b["type"] == "actions":
            lines.append("    " + "  ".join(f"[{e['text']['text']}]" for e in b["elements"]))
        elif b["type"] == "context":
            lines.append("    " + " ".join(e["text"] for e in b["elements"]))
    return lines[: limit * 2]


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


class Telling:
    """Who the walk is told to: the short telling (``govbot demo``), the whole one
    (``--verbose``), or both at once (``--transcript FILE`` writes the whole beside the short),
    so every step happens once whoever watches."""

    def __init__(self, short: Console | None, whole: Console | None) -> None:
        self.audiences = [(c, full) for c, full in ((short, False), (whole, True)) if c]

    @property
    def verbose(self) -> bool:
        """Whether anyone is told the whole walk (it runs what only they see)."""
        return any(full for _c, full in self.audiences)

    def print(self, *objects: Any, to: bool | None = None, **kw: Any) -> None:
        """To everyone, or only to the whole (``to=True``) or the short (``to=False``)."""
        for console, full in self.audiences:
            if to is None or to == full:
                console.print(*objects, **kw)

    def rule(self, title: str) -> None:
        for console, _full in self.audiences:
            console.rule(title)


def govbot_cli(
    tell: Telling, *args: str, output: bool | None = True, whole_only: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run the govbot command line in its own process, as a person would, and show it: to
    everyone (or only the whole telling), its output too where ``output`` says (True: all it
    is shown to; None: the whole telling only; False: nobody). A refusal is always shown."""
    shown_to = [(c, full) for c, full in tell.audiences if full or not whole_only]
    for console, _full in shown_to:
        console.print(f"[bold]$ govbot {' '.join(args)}[/]", highlight=False)
    width = min((c.width for c, _full in shown_to), default=100)
    result = subprocess.run(
        [sys.executable, "-m", "govbot", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": str(width - 2)},  # room for the indent
        timeout=300,
    )
    for console, full in shown_to:
        show = output is True or (output is None and full)
        # stderr carries progress and refusals (always shown).
        shown = (result.stdout if show else "") + (result.stderr if result.returncode else "")
        for line in shown.rstrip().splitlines():
            console.print(f"  {line}", highlight=False, markup=False)
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


def publishable_topic(clients: AwsClients, name: str, services: list[str]) -> str:
    """A topic these AWS services may publish to, as template.yaml's topic policies allow."""
    sns = clients.client("sns", estate.PRIMARY)
    arn = str(sns.create_topic(Name=name)["TopicArn"])
    statement = {
        "Sid": "ServicesPublish",
        "Effect": "Allow",
        "Principal": {"Service": services},
        "Action": "sns:Publish",
        "Resource": arn,
    }
    policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=policy)
    return arn


def operator(clients: AwsClients) -> dict[str, str]:
    """A person's IAM user holding exactly `govbot iam-policy --for cli`: whose keys the served
    demo prints for `govbot doctor` and the other commands."""
    from govbot.cli.iam import policy

    iam = clients.client("iam", estate.PRIMARY)
    iam.create_user(UserName="govbot-operator")
    document = policy("cli", account=clients.account_id(estate.PRIMARY))
    iam.put_user_policy(
        UserName="govbot-operator", PolicyName="govbot-cli", PolicyDocument=json.dumps(document)
    )
    key = iam.create_access_key(UserName="govbot-operator")["AccessKey"]
    return {
        "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
    }


def _provision(clients: AwsClients, standin: SlackStandIn) -> dict[str, str]:
    """What the template would create, in the emulated account: the policy parameter, the
    Slack secret, the remediation queue and the digest topic. Returns the functions' env."""
    region = estate.PRIMARY
    clients.ssm(region).put_parameter(Name=POLICY_PARAMETER, Value=DEMO_POLICY, Type="String")
    secret = clients.client("secretsmanager", region).create_secret(
        Name="govbot/slack",
        SecretString=json.dumps({"bot_token": "xoxb-demo", "signing_secret": SIGNING_SECRET}),
    )["ARN"]
    queue = clients.client("sqs", region).create_queue(QueueName="govbot-remediation")["QueueUrl"]
    topic = publishable_topic(clients, "govbot-digest", ["cloudwatch.amazonaws.com"])
    alerts = ["budgets.amazonaws.com", "costalerts.amazonaws.com"]
    alerts_topic = publishable_topic(clients, "govbot-budget-alerts", alerts)
    return {
        "BUDGET_ALERTS_TOPIC_ARN": alerts_topic,
        "SLACK_SECRET_ARN": secret,
        "REMEDIATION_QUEUE_URL": queue,
        "SNS_TOPIC_ARN": topic,
        "SLACK_API_URL": standin.api_url,
        LOOPBACK_SETTING: "1",  # the stand-in's response_url is on loopback, not Slack's
    }


def run_demo(
    out: Console,
    err: Console,
    serve: bool = False,
    verbose: bool = False,
    transcript: Console | None = None,
) -> int:
    root = repo_root()
    if root is None:
        err.print("[red]govbot demo runs from a govbot checkout (functions/ and events/).[/]")
        return 2
    moto_extensions.install()
    tell = Telling(None, out) if verbose else Telling(out, transcript)
    # The demo's digest channel, with the bot in it (as `govbot doctor` will ask).
    standin = SlackStandIn(channels={"C0MLFINOPS": "ml-finops"}, joined={"C0MLFINOPS"}).start()
    try:
        with emulated_account() as url:
            return _demo(tell, root, url, standin, serve)
    finally:
        standin.stop()


def _demo(tell: Telling, root: Path, url: str, standin: SlackStandIn, serve: bool) -> int:
    """The walk; by default about 100 lines at 80 columns, the whole of it with --verbose."""

    def account() -> None:
        tell.print(account_state(seed_clients), to=True)

    tell.rule("[bold]1. An emulated AWS account, and a Slack stand-in")
    tell.print(f"moto server at {url}; Slack stand-in at {standin.url}.")

    tell.rule("[bold]2. Seeding an ML estate in " + " and ".join(estate.REGIONS))
    seed_clients = AwsClients()
    started = time.perf_counter()
    built = estate.seed(seed_clients, datetime.now(UTC))
    FUNCTION_ENV.update(_provision(seed_clients, standin))
    tell.print(
        f"{sum(seed_clients.calls.values())} API calls in {time.perf_counter() - started:.1f}s: "
        "endpoints of every kind, busy and idle; orphaned volumes; runaway training jobs; log "
        f"groups ({len(built.volumes)} volumes, {len(built.instances)} instances); the policy "
        f"in SSM {POLICY_PARAMETER}, the Slack secret, the queue and the topic."
    )
    govbot_cli(tell, "init", output=None)

    tell.rule("[bold]3. The nightly sweep, as the Lambda runs it")
    tell.print("Invoking functions/sweep/app.handler with a real EventBridge scheduled event…")
    started = time.perf_counter()
    report, printed = invoke_sweep(root)
    elapsed = time.perf_counter() - started
    # The digest just below gives the totals by detector; the walk-through shows both.
    for console, full in tell.audiences:
        render(report, console, top=None if full else TOP, by_detector=full)
    tell.print("What the function reported to CloudWatch:", to=True)
    for line in emitted_metrics(printed):
        tell.print(f"  {line}", highlight=False, to=True)
    calls = ", ".join(f"{k} {v}" for k, v in report.api_calls.items())
    said = f"{sum(report.api_calls.values())} AWS API calls in {elapsed:.1f}s"
    tell.print(f"{said}: {calls}", highlight=False, to=True)
    tell.print(f"{said} (--verbose lists them)", highlight=False, to=False)

    tell.rule("[bold]4. The digest in Slack (the stand-in's record of chat.postMessage)")
    posts = standin.posted("chat.postMessage")
    digest_blocks = _blocks(posts[0])
    for console, full in tell.audiences:
        for line in slack_text(digest_blocks, limit=8 if full else 1):
            console.print(f"  {line}", highlight=False, markup=False)
    threads = sum(1 for p in posts if p.get("thread_ts"))
    tell.print(
        f"({len(posts)} message(s): the digest and {threads} in its thread; "
        f"{sum(b['type'] == 'actions' for p in posts for b in _blocks(p))} findings "
        "with buttons)"
    )
    tell.print("SNS: one message to the digest topic, JSON for machines and text for people.")
    account()

    tell.rule("[bold]5. A click in Slack: Approve on churn-model-staging")
    target = next(
        f
        for f in report.findings
        if (f.detector, f.resource_id) == ("idle-endpoint", "churn-model-staging")
    )
    stranger = click_event(root, standin, target.finding_id, "U0MALLORY", digest_blocks)
    status, _ = send_click(root, stranger)
    tell.print(
        f"A click from someone not in the approvers: HTTP {status}; "
        f"Slack shows them: {standin.responses()[-1]['text']}",
        highlight=False,
    )
    clicked = click_event(root, standin, target.finding_id, APPROVER, digest_blocks)
    status, _ = send_click(root, clicked)
    tell.print(
        f"ana's click, signed with the app's signing secret: HTTP {status}; the message "
        f"now says: {standin.responses()[-1]['text']}",
        highlight=False,
    )
    again = click_event(root, standin, target.finding_id, APPROVER, digest_blocks, later=1)
    status, _ = send_click(root, again)
    tell.print(
        f"ana clicks again: HTTP {status}; {standin.responses()[-1]['text']}", highlight=False
    )
    status, body = send_click(root, clicked)
    tell.print(
        f"Her first request, captured and sent again: HTTP {status} {body!r}; nothing is "
        "read or decided (a click is accepted once)",
        highlight=False,
    )
    acted = run_worker(root, FUNCTION_ENV["REMEDIATION_QUEUE_URL"])
    tell.print(
        f"The worker took {acted} message from the queue, re-checked and acted; "
        f"the message now says: {standin.responses()[-1]['text']}",
        highlight=False,
    )
    account()

    tell.rule("[bold]6. More decisions, through the command line")
    if tell.verbose:
        govbot_cli(tell, "findings", "--state", "pending_approval", whole_only=True)
    pending = {
        (f.detector, f.resource_id): f.finding_id
        for f in report.findings
        # Runaway jobs are left for the budget alert at the end; advice has nothing to approve.
        if f.detector not in ("untagged-resource", "runaway-training-job")
        and action_for(f.detector) is not None
        and f.finding_id != target.finding_id
    }
    keep_history = pending.pop(("log-retention-gap", "/aws/sagemaker/TrainingJobs"))
    # Short ids, as the tables show them, are enough (a unique prefix, as git takes).
    short = short_forms(pending.values())
    approved = govbot_cli(
        tell, "approve", *(short[i] for i in pending.values()), "--by", "ana@ml-platform",
        output=None,
    )  # fmt: skip
    done = sum(": approved (" in line for line in approved.stdout.splitlines())
    tell.print(f"  {done} findings approved, one line each (--verbose shows them)", to=False)
    govbot_cli(tell, "reject", keep_history, "--by", "ben@ml-research")
    if tell.verbose:
        tell.print("A second approval of the same finding changes nothing:", to=True)
        llm = pending[("idle-endpoint", "llm-playground")]
        govbot_cli(tell, "approve", llm, "--by", "cy", whole_only=True)

    tell.rule("[bold]7. The fixes, applied")
    regions = ",".join(estate.REGIONS)
    applied = govbot_cli(tell, "sweep", "--regions", regions, "--apply", "-f", "json", output=False)
    actions = SweepReport.model_validate_json(applied.stdout).actions
    for console, full in tell.audiences:
        _fixes(console, actions, full)
    account()

    tell.rule("[bold]8. Nothing lost: one endpoint restored")
    govbot_cli(tell, "restore", "endpoint", "churn-model-staging", "--region", estate.PRIMARY)
    if tell.verbose:
        govbot_cli(tell, "findings", "--state", "rejected", whole_only=True)
    account()

    tell.rule("[bold]9. A budget breach: the stricter sweep, at once")
    event = json.loads((root / "events" / "budgets-sns.json").read_text())
    tell.print(
        "AWS Budgets alert through SNS (a real payload): " + event["Records"][0]["Sns"]["Subject"],
        highlight=False,
    )
    before = len(standin.posted("chat.postMessage"))
    answer, _ = invoke(root, "budget", event)
    [result] = answer["results"]
    tell.print(
        f"{result['headline']}: swept {', '.join(result['regions'])} with the "
        "on_budget_breach policy (runaway-training-job: auto).",
        highlight=False,
    )
    alert = _blocks(standin.posted("chat.postMessage")[before])
    for console, full in tell.audiences:
        for line in slack_text(alert, limit=4 if full else 1):
            console.print(f"  {line}", highlight=False, markup=False)
    acted = run_worker(root, FUNCTION_ENV["REMEDIATION_QUEUE_URL"])
    tell.print(f"The worker took {acted} queued fix(es).")
    again, _ = invoke(root, "budget", event)
    tell.print(
        f"The same alert delivered again (an SNS retry): {again['results'][0]}", highlight=False
    )
    account()

    tell.rule("[bold]10. What govbot saved")
    if tell.verbose:
        govbot_cli(tell, "savings", whole_only=True)
    saved = json.loads(govbot_cli(tell, "savings", "-f", "json", output=False).stdout)
    undone = [r["resource_id"] for r in saved["records"] if r["restored_at"]]
    tell.print(
        f"[bold]In short:[/] found {report.summary.findings} findings worth "
        f"{money(report.summary.total_monthly_cost_usd)}/month; fixed {saved['fixes']}, "
        f"saving {money(saved['since_install_usd'])}/month net; restored {len(undone)} "
        f"({', '.join(undone) or 'none'}); "
        f"{money(saved['waiting_for_approval_usd'])}/month more waits for approval.",
        highlight=False,
    )

    if serve:
        keys = operator(seed_clients)
        env = (
            f"AWS_ENDPOINT_URL={url} AWS_DEFAULT_REGION={estate.PRIMARY} "
            f"AWS_ACCESS_KEY_ID={keys['AWS_ACCESS_KEY_ID']} "
            f"AWS_SECRET_ACCESS_KEY={keys['AWS_SECRET_ACCESS_KEY']}"
        )
        tell.print(f"\nThe emulated account stays up at {url}. In another shell, as an operator")
        tell.print("holding exactly `govbot iam-policy --for cli`:")
        doctor = (
            f"  {env} SLACK_API_URL={standin.api_url} govbot doctor "
            f"--slack-secret {FUNCTION_ENV['SLACK_SECRET_ARN']} "
            f"--digest-topic {FUNCTION_ENV['SNS_TOPIC_ARN']} "
            f"--alerts-topic {FUNCTION_ENV['BUDGET_ALERTS_TOPIC_ARN']}"
        )
        # Commands to copy: no markup, no emoji (":secret:" is in a secret's ARN), no wrap.
        for line in (f"  {env} govbot findings", doctor):
            tell.print(line, highlight=False, soft_wrap=True, emoji=False, markup=False)
        tell.print("Ctrl-C stops it.")
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
    return 1 if report.nothing_swept else 0


def _fixes(console: Console, actions: list[Any], full: bool) -> None:
    """What the fixes did: each one with what it said (the whole telling), or what was held
    and the costliest few (the short one)."""
    fixed = sorted(
        (a for a in actions if a.outcome.value == "remediated"),
        key=lambda a: -(a.monthly_cost_usd or 0),
    )
    shown = actions if full else [a for a in actions if a not in fixed] + fixed[:TOP_FIXES]
    for a in shown:
        said = "" if a.outcome.value == "remediated" and not full else f": {a.message}"
        console.print(
            f"  {a.outcome.value}: {a.detector} {a.resource_id} ({a.region}), "
            f"{money(a.monthly_cost_usd)}/month{said}",
            highlight=False,
            markup=False,
        )
    rest = [] if full else fixed[TOP_FIXES:]
    if rest:
        console.print(
            f"  … and {len(rest)} more remediated, "
            f"{money(sum(a.monthly_cost_usd or 0 for a in rest))}/month (--verbose shows each)",
            highlight=False,
        )


def _blocks(post: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = post.get("blocks", [])
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks)
