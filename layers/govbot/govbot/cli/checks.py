"""The checks of an install other than permissions, one function each returning a `Check`:
the state table, the policy and its regions, the Price List, Slack, the topics, the deployed
stack's schedule and rules, the member roles."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from slack_sdk.errors import SlackApiError

from govbot.aws import AwsClients, error_code
from govbot.cycle import org
from govbot.cycle.policy import Policy, PolicyError, load_policy, policy_from_yaml
from govbot.delivery import slack
from govbot.state import migrations
from govbot.state.store import Store

# A Slack conversation id: a channel (C), a private channel (G) or a direct message (D).
SLACK_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")

# Who must be able to publish to each topic (template.yaml's topic policies): alarms to the
# digest topic, Budgets and Cost Anomaly Detection to the alerts topic.
DIGEST_PUBLISHERS = ("cloudwatch.amazonaws.com",)
ALERT_PUBLISHERS = ("budgets.amazonaws.com", "costalerts.amazonaws.com")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


@dataclass(frozen=True)
class Install:
    """What to check beyond the account: deployed roles (ARN -> the govbot role it plays),
    the Slack secret, and the topics Budgets, Cost Anomaly Detection and alarms publish to."""

    roles: dict[str, str]
    slack_secret: str | None = None
    digest_topic: str | None = None
    alerts_topic: str | None = None
    # An organisation: assume each target account's member sweep role (run doctor as the
    # sweep worker's role: the member roles trust only it), with this ExternalId.
    members: bool = False
    external_id: str | None = None
    # The deployed stack: its topics (outputs), its functions' roles, its schedule and rules.
    stack: str | None = None


def guarded(name: str, probe: Callable[[], Check]) -> Check:
    """A check whose AWS call fails becomes a failed check naming the error, never a crash."""
    try:
        return probe()
    except (ClientError, BotoCoreError) as err:
        return Check(name, False, f"{error_code(err) or type(err).__name__}: {err}")


def state_table(store: Store) -> Check:
    name = f"state table {store.table} ({store.region})"

    def probe() -> Check:
        if not store.exists():
            return Check(name, False, "not found", "run `govbot init` (or deploy the stack)")
        try:
            version = migrations.current(store)
        except migrations.SchemaError as why:
            fix = "run `govbot init`" if "older" in str(why) else "upgrade govbot"
            return Check(name, False, str(why), fix)
        return Check(name, True, f"reachable, schema {version}")

    return guarded(name, probe)


def policy_file(path: Path | None) -> tuple[Policy | None, Check]:
    name = f"policy {path}" if path else "policy (the built-in defaults)"
    try:
        policy = load_policy(path)
    except (PolicyError, OSError) as why:
        return None, Check(name, False, str(why), "fix the file (`govbot policy check FILE`)")
    return policy, Check(name, True, f"valid; {len(policy.regions) or 'no'} region(s) named")


def deployed_policy(
    clients: AwsClients, parameter: str, region: str
) -> tuple[Policy | None, Check]:
    """The policy the functions read: the stack's SSM parameter."""
    name = f"policy {parameter} (SSM)"
    try:
        text = clients.ssm(region).get_parameter(Name=parameter)["Parameter"]["Value"]
        policy = policy_from_yaml(text, parameter)
    except (ClientError, BotoCoreError) as err:
        return None, Check(name, False, f"cannot read it: {error_code(err)}", "check --stack")
    except PolicyError as why:
        return None, Check(name, False, str(why), "fix it in SSM (`govbot policy check FILE`)")
    return policy, Check(name, True, f"valid; {len(policy.regions) or 'no'} region(s) named")


def regions(clients: AwsClients, policy: Policy, home: str) -> Check:
    name = "policy regions enabled in the account"

    def probe() -> Check:
        answer = clients.ec2(home).describe_regions(
            Filters=[{"Name": "opt-in-status", "Values": ["opt-in-not-required", "opted-in"]}]
        )
        enabled = {r["RegionName"] for r in answer["Regions"]}
        off = [r for r in policy.regions if r not in enabled]
        if off:
            return Check(
                name,
                False,
                f"not enabled: {', '.join(off)}",
                "enable them (Account settings, Regions) or take them out of the policy",
            )
        return Check(name, True, ", ".join(policy.regions) or "none named: the default region")

    return guarded(name, probe)


def price_list(clients: AwsClients) -> Check:
    name = "AWS Price List (us-east-1)"

    def probe() -> Check:
        clients.client("pricing", "us-east-1").get_products(ServiceCode="AmazonEC2", MaxResults=1)
        return Check(name, True, "reachable")

    check = guarded(name, probe)
    if check.ok:
        return check
    return Check(
        name,
        False,
        check.detail,
        "sweeps fall back to the bundled prices: allow pricing:GetProducts",
    )


def slack_app(clients: AwsClients, secret_arn: str, policy: Policy | None) -> list[Check]:
    """The secret readable and well formed, the token good with the scopes govbot's calls
    need, and the bot in the digest channel."""
    try:
        creds = slack.load_credentials(clients, secret_arn)
    except Exception as err:  # an AWS error, or a secret that is not govbot's JSON
        why = error_code(err) or type(err).__name__
        return [
            Check(
                "Slack secret",
                False,
                f"cannot read {secret_arn}: {why}",
                'store {"bot_token": "xoxb-...", "signing_secret": "..."} in it, readable by '
                "the functions and by you",
            )
        ]
    checks = [Check("Slack secret", True, "readable: a bot token and a signing secret")]
    client = slack.web_client(creds.bot_token.get_secret_value())
    try:
        auth = client.auth_test()
    except SlackApiError as err:
        return [
            *checks,
            Check(
                "Slack app", False, f"auth.test: {err.response.get('error')}", "reinstall the app"
            ),
        ]
    granted = {s.strip() for s in str(auth.headers.get("x-oauth-scopes", "")).split(",")}
    needed = {scope for scope in slack.SCOPES.values() if scope}
    lacking = sorted(needed - granted)
    checks.append(
        Check(
            "Slack app",
            not lacking,
            f"bot {auth.get('user')}: missing scopes {', '.join(lacking)}"
            if lacking
            else f"bot {auth.get('user')}, scopes {', '.join(sorted(needed))}",
            "add them from docs/slack-app-manifest.yaml and reinstall the app" if lacking else "",
        )
    )
    channel = policy.slack.channel if policy else None
    if not channel:
        return [*checks, Check("Slack channel", True, "none in the policy: no Slack digest")]
    name = f"Slack channel {channel}"
    if not SLACK_CHANNEL_ID.match(channel):
        # chat.postMessage takes a name, conversations.info only an id.
        return [
            *checks,
            Check(name, False, "named, not by id: its members cannot be read", "use its id (C…)"),
        ]
    try:
        info = client.conversations_info(channel=channel)
    except SlackApiError as err:
        error = err.response.get("error")
        return [*checks, Check(name, False, f"conversations.info: {error}", "check slack.channel")]
    if not info["channel"].get("is_member"):
        return [*checks, Check(name, False, "the bot is not in it", f"/invite @{auth.get('user')}")]
    return [*checks, Check(name, True, "the bot is in it")]


def topic(clients: AwsClients, arn: str, publishers: tuple[str, ...]) -> Check:
    """The topic's policy lets each service that must publish to it do so (Budgets and Cost
    Anomaly Detection drop messages a policy refuses, silently)."""
    name = f"topic {arn.rsplit(':', 1)[-1]}"

    def probe() -> Check:
        attributes = clients.client("sns", arn.split(":")[3]).get_topic_attributes(TopicArn=arn)
        document = json.loads(attributes["Attributes"].get("Policy") or "{}")
        allowed = set()
        for st in listed(document.get("Statement", [])):
            if st.get("Effect") != "Allow":
                continue
            if not any(a in ("sns:Publish", "sns:*", "*") for a in listed(st.get("Action", []))):
                continue
            service = (st.get("Principal") or {}).get("Service", [])
            allowed |= set(listed(service))
        refused = [p for p in publishers if p not in allowed]
        if refused:
            return Check(
                name,
                False,
                f"its policy does not let {', '.join(refused)} publish",
                "allow sns:Publish to them (template.yaml's topic policies show how)",
            )
        return Check(name, True, f"{', '.join(publishers)} may publish")

    return guarded(name, probe)


# The stack's functions' roles by logical id (SAM names a function's role <Function>Role), as
# the govbot role each plays.
STACK_ROLES = {
    "SweepFunctionRole": "sweep",
    "RemediateFunctionRole": "remediate",
    "SlackFunctionRole": "slack",
    "RealtimeFunctionRole": "realtime",
    "BudgetFunctionRole": "budget",
    "PlanFunctionRole": "plan",
    "SweepWorkerFunctionRole": "sweep-worker",
    "OrgDigestFunctionRole": "org-digest",
}


def from_stack(
    clients: AwsClients, install: Install, region: str, caller: str
) -> tuple[list[Check], Install, str | None]:
    """What the stack deployed: its schedule and EventBridge rules enabled (a check each
    kind); its topics and functions' roles added to what is checked; its policy parameter."""
    stack = str(install.stack)
    name = f"stack {stack}"
    try:
        cfn = clients.client("cloudformation", region)
        [described] = cfn.describe_stacks(StackName=stack)["Stacks"]
        resources = [
            r
            for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack)
            for r in page["StackResourceSummaries"]
        ]
    except (ClientError, BotoCoreError) as err:
        failed = Check(name, False, f"cannot read it: {error_code(err)}", "check --stack")
        return [failed], install, None
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    partition, account = caller.split(":")[1], caller.split(":")[4]
    roles = dict(install.roles)
    for r in resources:
        if r["LogicalResourceId"] in STACK_ROLES and r.get("PhysicalResourceId"):
            arn = f"arn:{partition}:iam::{account}:role/{r['PhysicalResourceId']}"
            roles.setdefault(arn, STACK_ROLES[r["LogicalResourceId"]])
    found = Install(
        roles=roles,
        slack_secret=install.slack_secret,
        digest_topic=install.digest_topic or outputs.get("DigestTopicArn"),
        alerts_topic=install.alerts_topic or outputs.get("BudgetAlertsTopicArn"),
        members=install.members,
        external_id=install.external_id,
        stack=stack,
    )
    return [triggers(clients, resources, region)], found, outputs.get("PolicyParameterName")


def triggers(clients: AwsClients, resources: list[dict[str, Any]], region: str) -> Check:
    """The nightly schedule and every EventBridge rule the stack made are enabled: a disabled
    one is a night or a real-time path that silently never runs."""
    name = "schedule and EventBridge rules"

    def probe() -> Check:
        off, seen = [], 0
        for r in resources:
            physical = r.get("PhysicalResourceId")
            if not physical:
                continue
            if r["ResourceType"] == "AWS::Scheduler::Schedule":
                state = clients.client("scheduler", region).get_schedule(Name=physical)["State"]
            elif r["ResourceType"] == "AWS::Events::Rule":
                rule = physical.rsplit("|", 1)[-1]  # "bus|rule" for rules on a custom bus
                state = clients.client("events", region).describe_rule(Name=rule)["State"]
            else:
                continue
            seen += 1
            if state != "ENABLED":
                off.append(f"{r['LogicalResourceId']} ({state})")
        if off:
            return Check(name, False, f"not enabled: {', '.join(off)}", "enable them")
        return Check(name, True, f"all {seen} enabled")

    return guarded(name, probe)


MEMBER_CONCURRENCY = 16  # AssumeRole calls in flight: well inside STS's request rate
SHOWN = 10  # failed accounts named on the line; the rest counted


def members(
    clients: AwsClients, policy: Policy, region: str, external_id: str | None, caller: str
) -> Check:
    """Every target account's member sweep role, assumed at once; one line for them all."""
    name = "member sweep roles"
    try:
        accounts = org.accounts(policy.organization, clients, region)
    except (ClientError, BotoCoreError) as err:
        return Check(name, False, f"cannot list the organisation's accounts: {error_code(err)}")
    role = policy.organization.member_role
    partition = caller.split(":")[1]
    sts = clients.client("sts", region)

    def assume(account: str) -> str | None:
        ask: dict[str, Any] = {
            "RoleArn": f"arn:{partition}:iam::{account}:role/{role}",
            "RoleSessionName": "govbot-doctor",
            "DurationSeconds": 900,
        }
        if external_id:
            ask["ExternalId"] = external_id
        try:
            sts.assume_role(**ask)
        except ClientError as err:
            return f"{account} ({error_code(err)})"
        return None

    with ThreadPoolExecutor(max_workers=MEMBER_CONCURRENCY) as pool:
        refused = [r for r in pool.map(assume, accounts) if r]
    if not accounts:
        return Check(name, False, "the policy's organization section selects no account")
    if refused:
        more = f" and {len(refused) - SHOWN} more" if len(refused) > SHOWN else ""
        return Check(
            name,
            False,
            f"{len(refused)} of {len(accounts)} accounts refused {role}: "
            f"{', '.join(refused[:SHOWN])}{more}",
            "deploy templates/member-roles.yaml to them (StackSet) with this ExternalId, "
            "trusting the sweep worker's role; run doctor as that role",
        )
    return Check(name, True, f"{role} assumable in all {len(accounts)} accounts")


def caller_arn(clients: AwsClients, region: str) -> str:
    """The caller as IAM can simulate it: an assumed role's session is its role."""
    arn = str(clients.client("sts", region).get_caller_identity()["Arn"])
    if ":assumed-role/" in arn:
        partition, account = arn.split(":")[1], arn.split(":")[4]
        role = arn.split("/")[1]
        return f"arn:{partition}:iam::{account}:role/{role}"
    return arn


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
