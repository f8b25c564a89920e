"""The least-privilege IAM policy each govbot role needs, for people who run the command line
with a role of their own or deploy govbot's roles with their own tooling.

Every action comes from the registries the templates are held to (detectors' and the Price
List's reads, the actions' writes, the store's, restore's); the member roles are rendered from
the member template govbot ships (data/member-roles.yaml, the StackSet's template), so
`govbot iam-policy --for member-remediate` is exactly what that stack deploys.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from typing import Any

import yaml

from govbot.cycle import org
from govbot.delivery import queue, sns
from govbot.detectors import sweep_permissions
from govbot.runtime import IDEMPOTENCY_PERMISSIONS
from govbot.state import sealing, store

# The deployed functions' roles, named as the functions are (template.yaml).
FUNCTION_ROLES = (
    "sweep",
    "remediate",
    "slack",
    "realtime",
    "budget",
    "plan",
    "sweep-worker",
    "org-digest",
)
ROLES = ("cli", *FUNCTION_ROLES, "member-sweep", "member-remediate", "member-restore")
MEMBER_ROLES = {
    "member-sweep": "SweepRole",
    "member-remediate": "RemediationRole",
    "member-restore": "RestoreRole",
}
# What `govbot doctor` reads with (cli/doctor.py cannot be imported here: it imports this).
DOCTOR = (
    "iam:SimulatePrincipalPolicy",
    # Where IAM will not simulate (an SCP may refuse it): reading the policies themselves.
    "iam:ListRolePolicies",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListUserPolicies",
    "iam:GetUserPolicy",
    "iam:ListAttachedUserPolicies",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "ec2:DescribeRegions",
    "cloudformation:DescribeStacks",
    "cloudformation:ListStackResources",
    "scheduler:GetSchedule",
    "events:DescribeRule",
    "sns:GetTopicAttributes",
    "sts:AssumeRole",  # --members: the member sweep roles (which trust only the worker's)
)
# What `govbot init` adds to the store's reads and writes: making the table.
TABLE_SETUP = ("dynamodb:CreateTable", "dynamodb:DescribeTable")


class CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form intrinsics (!Sub, !Ref ...) kept as values."""


CfnLoader.add_multi_constructor(
    "!",
    lambda loader, suffix, node: {
        suffix: loader.construct_scalar(node)
        if isinstance(node, yaml.ScalarNode)
        else loader.construct_sequence(node)
    },
)


def member_template() -> dict[str, Any]:
    text = resources.files("govbot").joinpath("data/member-roles.yaml").read_text()
    found: dict[str, Any] = yaml.load(text, Loader=CfnLoader)  # a SafeLoader, with intrinsics
    return found


def policy(
    role: str,
    *,
    account: str = "*",
    region: str = "*",
    partition: str = "aws",
    table: str = store.DEFAULT_TABLE,
    stack: str = "govbot",
) -> dict[str, Any]:
    """The policy document for one role. ``account``, ``region`` and ``partition`` fill the
    ARNs; ``table`` is the state table; ``stack`` is the SAM stack whose queue, topic and
    policy parameter the central roles use."""
    if role in MEMBER_ROLES:
        statements = list(_member(MEMBER_ROLES[role], account, partition))
    elif role == "cli":
        statements = _cli(account, region, partition, table, stack)
    elif role in FUNCTION_ROLES:
        statements = _central(role, account, region, partition, table, stack)
    else:
        raise ValueError(f"no govbot role {role!r}; known: {', '.join(ROLES)}")
    return {"Version": "2012-10-17", "Statement": statements}


def _allow(sid: str, actions: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    found = {"Sid": sid, "Effect": "Allow", "Action": sorted(set(actions)), "Resource": resource}
    return found | extra


def _table(account: str, region: str, partition: str, table: str) -> list[str]:
    arn = f"arn:{partition}:dynamodb:{region}:{account}:table/{table}"
    return [arn, f"{arn}/index/*"]


def _cli(account: str, region: str, partition: str, table: str, stack: str) -> list[dict[str, Any]]:
    """`govbot sweep`, `init`, `findings`, the decisions, `--apply` and `restore` in the
    account the user's credentials reach: the member roles' fixes and restores, conditions
    and all, as if that account were a member."""
    fixes = [
        st
        for st in _member("RemediationRole", account, partition)
        if st["Sid"] != "DetectorsReadOnly"
    ]
    restores = [
        {**st, "Sid": st["Sid"] if st["Sid"].startswith("Restore") else f"Restore{st['Sid']}"}
        for st in _member("RestoreRole", account, partition)
    ]
    return [
        _allow("DetectorsReadOnly", sweep_permissions()),
        _allow(
            "StateTable",
            {*store.SWEEP_PERMISSIONS, *TABLE_SETUP},
            _table(account, region, partition, table),
        ),
        *fixes,
        *restores,
        # Sealed container environments in the audit log, opened by `govbot restore`.
        _allow("OpenRecords", sealing.OPEN, Condition=_RECORDS),
        # `govbot doctor`: asking IAM what a role may do, which regions are enabled, and
        # what the stack deployed (its resources, its policy parameter).
        _allow("Doctor", DOCTOR),
        _allow(
            "DoctorReadsPolicy",
            {"ssm:GetParameter"},
            f"arn:{partition}:ssm:{region}:{account}:parameter/{stack}/policy",
        ),
    ]


_RECORDS = {"StringEquals": {"kms:EncryptionContext:govbot": "audit-record"}}


def _central(
    role: str, account: str, region: str, partition: str, table: str, stack: str
) -> list[dict[str, Any]]:
    """A deployed function's role as template.yaml grants it (the remediation statements are
    the member remediation role's, in govbot's own account). Slack's secret is left out: its
    ARN is a parameter of the stack."""
    named = f"{region}:{account}:{stack}-*"  # SAM names queues and topics after the stack
    stored = set(store.PERMISSIONS)
    if role in ("sweep", "sweep-worker", "budget"):
        stored |= set(store.SWEEP_PERMISSIONS)  # they record sweeps, and mark them
    if role in ("remediate", "budget"):
        stored |= set(IDEMPOTENCY_PERMISSIONS)  # once per decision, once per alert
    reads = _allow("DetectorsReadOnly", sweep_permissions())
    table_ = _allow("StateTable", stored, _table(account, region, partition, table))
    queue_ = _allow("QueueFixes", queue.PERMISSIONS, f"arn:{partition}:sqs:{named}")
    digest = [
        _allow("Digest", sns.PERMISSIONS, f"arn:{partition}:sns:{named}"),
        # The topics are encrypted with the stack's key (alias/STACK-topics).
        _allow(
            "DigestKey",
            {"kms:GenerateDataKey", "kms:Decrypt"},
            f"arn:{partition}:kms:{region}:{account}:key/*",
            Condition={
                "ForAnyValue:StringEquals": {"kms:ResourceAliases": f"alias/{stack}-topics"}
            },
        ),
    ]
    policy = _allow(
        "ReadPolicy",
        {"ssm:GetParameter"},
        f"arn:{partition}:ssm:{region}:{account}:parameter/{stack}/policy",
    )
    in_org = {"StringEquals": {"aws:ResourceOrgID": "${aws:PrincipalOrgID}"}}

    def member(sid: str, name: str) -> dict[str, Any]:
        # Only roles of the organisation govbot runs in.
        return _allow(
            sid, {"sts:AssumeRole"}, f"arn:{partition}:iam::*:role/{name}", Condition=in_org
        )

    if role == "remediate":
        fixes = [
            st
            for st in _member("RemediationRole", account, partition)
            if st["Sid"] != "DetectorsReadOnly"
        ]
        seal = _allow(
            "SealRecords",
            sealing.SEAL,
            f"arn:{partition}:kms:{region}:{account}:key/*",
            Condition=_RECORDS,
        )
        return [
            reads,
            *fixes,
            member("MemberRemediation", "govbot-remediate"),
            seal,
            table_,
            policy,
        ]
    if role == "slack":
        return [table_, queue_, policy]
    if role == "plan":
        return [_allow("ListTargets", org.PERMISSIONS), policy]
    if role == "sweep-worker":
        return [member("MemberSweep", "govbot-sweep"), table_, queue_, policy]
    if role == "org-digest":
        # The Map's results, in the stack's bucket (CloudFormation names it after the stack).
        results = _allow(
            "ReadMapResults",
            {"s3:GetObject"},
            f"arn:{partition}:s3:::{stack.lower()}-orgsweepresultsbucket-*/org-sweep-results/*",
        )
        return [results, table_, *digest, policy]
    return [reads, table_, queue_, *digest, policy]  # sweep, realtime, budget


def _member(logical_id: str, account: str, partition: str) -> Iterator[dict[str, Any]]:
    role = member_template()["Resources"][logical_id]
    for document in role["Properties"]["Policies"]:
        for statement in document["PolicyDocument"]["Statement"]:
            yield _resolved(statement, account, partition)


def _resolved(value: Any, account: str, partition: str) -> Any:
    """A statement with the template's !Sub ARNs filled in for one account."""
    if isinstance(value, dict) and set(value) == {"Sub"}:
        return (
            value["Sub"]
            .replace("${AWS::Partition}", partition)
            .replace("${AWS::AccountId}", account)
        )
    if isinstance(value, dict):
        return {k: _resolved(v, account, partition) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolved(v, account, partition) for v in value]
    return value
