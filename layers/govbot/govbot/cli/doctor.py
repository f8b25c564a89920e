"""`govbot doctor`: what stands between an install and a working night, one check a line.

Each check says ok, or what is wrong and the fix. Permissions are asked of IAM itself
(SimulatePrincipalPolicy, so the principal's policies count as IAM reads them), for every
action `govbot iam-policy` gives the role; a principal IAM will not simulate is reported as
unchecked, with what to grant.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Annotated, Any

import typer
from botocore.exceptions import BotoCoreError, ClientError
from rich.markup import escape
from rich.table import Table
from slack_sdk.errors import SlackApiError

from govbot.aws import AwsClients, error_code
from govbot.cli import iam
from govbot.cli.app import (
    Format,
    PolicyOption,
    TableOption,
    TableRegionOption,
    app,
    fail,
    out,
    region_of,
)
from govbot.cycle import org
from govbot.cycle.policy import Policy, PolicyError, load_policy, policy_from_yaml
from govbot.delivery import slack
from govbot.state import migrations
from govbot.state.store import DEFAULT_TABLE, Store

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


def run(
    clients: AwsClients, store: Store, policy_path: Path | None, install: Install
) -> list[Check]:
    """Every check, in the order a person would fix them; the caller is always checked as
    ``cli``."""
    checks = [_state_table(store)]
    deployed: str | None = None
    if install.stack:  # first: it names the roles, topics and policy to check
        found, install, deployed = _from_stack(clients, install, store.region)
        checks += found
    if policy_path is None and deployed:
        policy, check = _deployed_policy(clients, deployed, store.region)
    else:
        policy, check = _policy(policy_path)
    checks.append(check)
    if policy is not None:
        checks.append(_regions(clients, policy, store.region))
    caller = _caller_arn(clients, store.region)
    for arn, role in {caller: "cli", **install.roles}.items():
        checks.append(_permissions(clients, arn, role, store.region))
    checks.append(_price_list(clients))
    if install.slack_secret:
        checks += _slack(clients, install.slack_secret, policy)
    if install.members and policy is not None:
        checks.append(_members(clients, policy, store.region, install.external_id))
    topics = ((install.digest_topic, DIGEST_PUBLISHERS), (install.alerts_topic, ALERT_PUBLISHERS))
    for topic, services in topics:
        if topic:
            checks.append(_topic(clients, topic, services))
    return checks


def _guarded(name: str, probe: Callable[[], Check]) -> Check:
    """A check whose AWS call fails becomes a failed check naming the error, never a crash."""
    try:
        return probe()
    except (ClientError, BotoCoreError) as err:
        return Check(name, False, f"{error_code(err) or type(err).__name__}: {err}")


def _state_table(store: Store) -> Check:
    name = f"state table {store.table} ({store.region})"

    def probe() -> Check:
        if not store.exists():
            return Check(name, False, "not found", "run `govbot init` (or deploy the stack)")
        try:
            migrations.current(store)
        except migrations.SchemaError as why:
            fix = "run `govbot init`" if "older" in str(why) else "upgrade govbot"
            return Check(name, False, str(why), fix)
        return Check(name, True, f"reachable, schema {store.schema()}")

    return _guarded(name, probe)


def _policy(path: Path | None) -> tuple[Policy | None, Check]:
    name = f"policy {path}" if path else "policy (the built-in defaults)"
    try:
        policy = load_policy(path)
    except (PolicyError, OSError) as why:
        return None, Check(name, False, str(why), "fix the file (`govbot policy check FILE`)")
    return policy, Check(name, True, f"valid; {len(policy.regions) or 'no'} region(s) named")


def _deployed_policy(
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


def _regions(clients: AwsClients, policy: Policy, home: str) -> Check:
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

    return _guarded(name, probe)


def _caller_arn(clients: AwsClients, region: str) -> str:
    """The caller as IAM can simulate it: an assumed role's session is its role."""
    arn = str(clients.client("sts", region).get_caller_identity()["Arn"])
    if ":assumed-role/" in arn:
        partition, account = arn.split(":")[1], arn.split(":")[4]
        role = arn.split("/")[1]
        return f"arn:{partition}:iam::{account}:role/{role}"
    return arn


def _permissions(clients: AwsClients, arn: str, role: str, region: str) -> Check:
    """Each Allow statement of the role's policy simulated as IAM would meet it: its actions
    on its resources, with the request context its conditions ask for (a snapshot govbot
    tagged, a govbot tag key, ...), for the principal's account."""
    name = f"permissions of {arn} as {role}"
    if arn.endswith(":root"):
        return Check(name, True, "the account's root user may do everything (not advised)")
    account = arn.split(":")[4]
    allows = [s for s in iam.policy(role, account=account)["Statement"] if s["Effect"] == "Allow"]
    api = clients.client("iam", region)
    asked = {a for st in allows for a in _listed(st["Action"])}
    missing: set[str] = set()
    try:
        for statement in allows:
            actions = _listed(statement["Action"])
            ask: dict[str, Any] = {"PolicySourceArn": arn, "ActionNames": actions}
            resources = [r for r in _listed(statement["Resource"]) if r != "*"]
            if resources:
                ask["ResourceArns"] = resources
            if statement.get("Condition"):
                ask["ContextEntries"] = _context(statement["Condition"])
            for page in api.get_paginator("simulate_principal_policy").paginate(**ask):
                missing |= {
                    r["EvalActionName"]
                    for r in page["EvaluationResults"]
                    if r["EvalDecision"] != "allowed"
                }
    except ClientError as err:
        refused = error_code(err)
        try:
            missing, how = _read_by_hand(api, arn, allows), "read from its policies"
        except ClientError:
            return Check(
                name,
                False,
                f"not checked: IAM refused SimulatePrincipalPolicy ({refused}) and reading "
                "its policies",
                f"grant iam:SimulatePrincipalPolicy on {arn} to whoever runs doctor",
            )
        name = f"{name} ({how}: SCPs and boundaries not seen)"
    if missing:
        return Check(
            name,
            False,
            f"{len(missing)} of {len(asked)} actions denied: {', '.join(sorted(missing))}",
            f"attach `govbot iam-policy --for {role}`",
        )
    return Check(name, True, f"all {len(asked)} actions allowed")


def _read_by_hand(api: Any, arn: str, allows: list[dict[str, Any]]) -> set[str]:
    """Where IAM will not simulate: the principal's own identity policies read (inline and
    attached; not a user's groups') and each action matched against their Allow statements,
    less what a Deny names. Conditions are taken as met, and SCPs and permissions boundaries
    are not seen: a weaker check, said so on its line."""
    kind, _, name = arn.split(":")[-1].partition("/")
    name = name.rsplit("/", 1)[-1]
    who = "role" if kind == "role" else "user"
    named = {"RoleName" if who == "role" else "UserName": name}
    documents = [
        getattr(api, f"get_{who}_policy")(**named, PolicyName=p)["PolicyDocument"]
        for page in api.get_paginator(f"list_{who}_policies").paginate(**named)
        for p in page["PolicyNames"]
    ]
    attached = [
        a["PolicyArn"]
        for page in api.get_paginator(f"list_attached_{who}_policies").paginate(**named)
        for a in page["AttachedPolicies"]
    ]
    for policy_arn in attached:
        version = api.get_policy(PolicyArn=policy_arn)["Policy"]["DefaultVersionId"]
        documents.append(
            api.get_policy_version(PolicyArn=policy_arn, VersionId=version)["PolicyVersion"][
                "Document"
            ]
        )
    statements = [
        st
        for doc in documents
        for st in _listed((json.loads(doc) if isinstance(doc, str) else doc)["Statement"])
    ]

    def granted(action: str, resource: str, effect: str) -> bool:
        # A conditional Deny (never on what is exempt) holds only for some requests: the
        # ordinary request govbot makes is not one of them.
        return any(
            st.get("Effect") == effect
            and not (effect == "Deny" and st.get("Condition"))
            and any(fnmatchcase(action.lower(), a.lower()) for a in _listed(st.get("Action", [])))
            and any(fnmatchcase(resource, r) for r in _listed(st.get("Resource", "*")))
            for st in statements
        )

    missing = set()
    for want in allows:
        for action in _listed(want["Action"]):
            for resource in _listed(want["Resource"]):
                if not granted(action, resource, "Allow") or granted(action, resource, "Deny"):
                    missing.add(action)
    return missing


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _context(conditions: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """A request context that meets a statement's conditions, as govbot's own requests do
    (its tag keys, its snapshots' keep date, its restored-from tag, its records' context)."""
    entries = []
    for operator, keys in conditions.items():
        many = operator.startswith(("ForAllValues:", "ForAnyValue:"))
        for key, wanted in keys.items():
            if operator.endswith("Null"):
                value = "present"  # Null "false": the key must be there
            else:
                value = str(_listed(wanted)[0]).replace("*", "x")
            entries.append(
                {
                    "ContextKeyName": key,
                    "ContextKeyValues": [value],
                    "ContextKeyType": "stringList" if many else "string",
                }
            )
    return entries


def _price_list(clients: AwsClients) -> Check:
    name = "AWS Price List (us-east-1)"

    def probe() -> Check:
        clients.client("pricing", "us-east-1").get_products(ServiceCode="AmazonEC2", MaxResults=1)
        return Check(name, True, "reachable")

    check = _guarded(name, probe)
    if check.ok:
        return check
    return Check(
        name,
        False,
        check.detail,
        "sweeps fall back to the bundled prices: allow pricing:GetProducts",
    )


@app.command()
def doctor(
    policy: PolicyOption = None,
    role: Annotated[
        list[str] | None,
        typer.Option(
            "--role",
            help="ROLE=ARN: also check a deployed role as the govbot role it plays "
            "(sweep=arn:aws:iam::1…:role/…; repeatable).",
        ),
    ] = None,
    slack_secret: Annotated[
        str | None,
        typer.Option(help="The Slack secret's ARN: check it, the app's scopes and the channel."),
    ] = None,
    digest_topic: Annotated[
        str | None, typer.Option(help="DigestTopicArn: alarms must be able to publish to it.")
    ] = None,
    alerts_topic: Annotated[
        str | None,
        typer.Option(
            help="BudgetAlertsTopicArn: Budgets and Cost Anomaly Detection must publish to it."
        ),
    ] = None,
    stack: Annotated[
        str | None,
        typer.Option(
            help="The deployed stack: check its schedule and rules, and its topics and "
            "functions' roles without naming them.",
        ),
    ] = None,
    members: Annotated[
        bool,
        typer.Option(
            "--members",
            help="Assume every target account's member sweep role (run as the sweep worker's "
            "role, which they trust).",
        ),
    ] = False,
    external_id: Annotated[
        str | None,
        typer.Option(envvar="GOVBOT_EXTERNAL_ID", help="The member roles' ExternalId."),
    ] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    table: TableOption = DEFAULT_TABLE,
    table_region: TableRegionOption = None,
) -> None:
    """Check an install, one line a check: the state table and its schema, the policy and its
    regions, each role's permissions (asked of IAM, so what IAM evaluates counts), the Price
    List, and with their options the Slack secret, app and channel and the topics' policies.
    Exits 1 when a check fails, naming the fix."""
    roles: dict[str, str] = {}
    for given in role or []:
        kind, _, arn = given.partition("=")
        if kind not in iam.ROLES or not arn.startswith("arn:"):
            fail(f"--role {given!r}: ROLE=ARN with ROLE one of {', '.join(iam.ROLES)}")
        roles[arn] = kind
    clients = AwsClients()
    store = Store(clients, region_of(clients, table_region), table)
    install = Install(roles, slack_secret, digest_topic, alerts_topic, members, external_id, stack)
    checks = run(clients, store, policy, install)
    if format is Format.json:
        print(json.dumps(as_json(checks), indent=2))
    else:
        grid = Table(show_header=True, header_style="bold")
        for column in ("check", "", "what", "fix"):
            grid.add_column(column, overflow="fold")
        for c in checks:
            mark = "[green]ok[/]" if c.ok else "[red]FAIL[/]"
            grid.add_row(escape(c.name), mark, escape(c.detail), escape(c.fix))
        out.print(grid)
    if not all(c.ok for c in checks):
        raise typer.Exit(1)


def _slack(clients: AwsClients, secret_arn: str, policy: Policy | None) -> list[Check]:
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
    try:
        info = client.conversations_info(channel=channel.lstrip("#"))
    except SlackApiError as err:
        error = err.response.get("error")
        return [*checks, Check(name, False, f"conversations.info: {error}", "check slack.channel")]
    if not info["channel"].get("is_member"):
        return [*checks, Check(name, False, "the bot is not in it", f"/invite @{auth.get('user')}")]
    return [*checks, Check(name, True, "the bot is in it")]


def _topic(clients: AwsClients, arn: str, publishers: tuple[str, ...]) -> Check:
    """The topic's policy lets each service that must publish to it do so (Budgets and Cost
    Anomaly Detection drop messages a policy refuses, silently)."""
    name = f"topic {arn.rsplit(':', 1)[-1]}"

    def probe() -> Check:
        attributes = clients.client("sns", arn.split(":")[3]).get_topic_attributes(TopicArn=arn)
        document = json.loads(attributes["Attributes"].get("Policy") or "{}")
        allowed = set()
        for st in _listed(document.get("Statement", [])):
            if st.get("Effect") != "Allow":
                continue
            if not any(a in ("sns:Publish", "sns:*", "*") for a in _listed(st.get("Action", []))):
                continue
            service = (st.get("Principal") or {}).get("Service", [])
            allowed |= set(_listed(service))
        refused = [p for p in publishers if p not in allowed]
        if refused:
            return Check(
                name,
                False,
                f"its policy does not let {', '.join(refused)} publish",
                "allow sns:Publish to them (template.yaml's topic policies show how)",
            )
        return Check(name, True, f"{', '.join(publishers)} may publish")

    return _guarded(name, probe)


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


def _from_stack(
    clients: AwsClients, install: Install, region: str
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
    account = _caller_arn(clients, region).split(":")[4]
    partition = _caller_arn(clients, region).split(":")[1]
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
    return [_triggers(clients, resources, region)], found, outputs.get("PolicyParameterName")


def _triggers(clients: AwsClients, resources: list[dict[str, Any]], region: str) -> Check:
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

    return _guarded(name, probe)


MEMBER_CONCURRENCY = 16  # AssumeRole calls in flight: well inside STS's request rate
SHOWN = 10  # failed accounts named on the line; the rest counted


def _members(clients: AwsClients, policy: Policy, region: str, external_id: str | None) -> Check:
    """Every target account's member sweep role, assumed at once; one line for them all."""
    name = "member sweep roles"
    try:
        accounts = org.accounts(policy.organization, clients, region)
    except (ClientError, BotoCoreError) as err:
        return Check(name, False, f"cannot list the organisation's accounts: {error_code(err)}")
    role = policy.organization.member_role
    partition = _caller_arn(clients, region).split(":")[1]
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


def as_json(checks: list[Check]) -> list[dict[str, Any]]:
    return [asdict(c) for c in checks]
