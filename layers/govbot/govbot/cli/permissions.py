"""What a principal may do, asked of IAM: each statement of its govbot role's policy simulated
on its resources with the context its conditions ask for, or, where IAM will not simulate, read
from its own policies."""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from typing import Any

from botocore.exceptions import ClientError

from govbot.aws import AwsClients, error_code
from govbot.cli import iam
from govbot.cli.checks import Check, listed


def permissions(clients: AwsClients, arn: str, role: str, region: str) -> Check:
    """Each Allow statement of the role's policy simulated as IAM would meet it: its actions
    on its resources, with the request context its conditions ask for (a snapshot govbot
    tagged, a govbot tag key, ...), for the principal's account."""
    name = f"permissions of {arn} as {role}"
    if arn.endswith(":root"):
        return Check(name, True, "the account's root user may do everything (not advised)")
    account = arn.split(":")[4]
    allows = [s for s in iam.policy(role, account=account)["Statement"] if s["Effect"] == "Allow"]
    api = clients.client("iam", region)
    asked = {a for st in allows for a in listed(st["Action"])}
    missing: set[str] = set()
    try:
        for statement in allows:
            actions = listed(statement["Action"])
            ask: dict[str, Any] = {"PolicySourceArn": arn, "ActionNames": actions}
            resources = [r for r in listed(statement["Resource"]) if r != "*"]
            if resources:
                ask["ResourceArns"] = resources
            if statement.get("Condition"):
                ask["ContextEntries"] = context(statement["Condition"])
            for page in api.get_paginator("simulate_principal_policy").paginate(**ask):
                missing |= {
                    r["EvalActionName"]
                    for r in page["EvaluationResults"]
                    if r["EvalDecision"] != "allowed"
                }
    except ClientError as err:
        refused = error_code(err)
        try:
            missing, how = read_by_hand(api, arn, allows), "read from its policies"
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


def read_by_hand(api: Any, arn: str, allows: list[dict[str, Any]]) -> set[str]:
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
        for st in listed((json.loads(doc) if isinstance(doc, str) else doc)["Statement"])
    ]

    def granted(action: str, resource: str, effect: str) -> bool:
        # A conditional Deny (never on what is exempt) holds only for some requests: the
        # ordinary request govbot makes is not one of them.
        return any(
            st.get("Effect") == effect
            and not (effect == "Deny" and st.get("Condition"))
            and any(fnmatchcase(action.lower(), a.lower()) for a in listed(st.get("Action", [])))
            and any(fnmatchcase(resource, r) for r in listed(st.get("Resource", "*")))
            for st in statements
        )

    missing = set()
    for want in allows:
        for action in listed(want["Action"]):
            for resource in listed(want["Resource"]):
                if not granted(action, resource, "Allow") or granted(action, resource, "Deny"):
                    missing.add(action)
    return missing


def context(conditions: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """A request context that meets a statement's conditions, as govbot's own requests do
    (its tag keys, its snapshots' keep date, its restored-from tag, its records' context)."""
    entries = []
    for operator, keys in conditions.items():
        many = operator.startswith(("ForAllValues:", "ForAnyValue:"))
        for key, wanted in keys.items():
            if operator.endswith("Null"):
                value = "present"  # Null "false": the key must be there
            else:
                value = str(listed(wanted)[0]).replace("*", "x")
            entries.append(
                {
                    "ContextKeyName": key,
                    "ContextKeyValues": [value],
                    "ContextKeyType": "stringList" if many else "string",
                }
            )
    return entries
