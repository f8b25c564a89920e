"""`govbot iam-policy` gives each role what the templates grant it, from the same declarations:
the member roles exactly as the member template makes them, the deployed functions' roles
statement by statement as template.yaml grants them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from govbot.actions import action_permissions
from govbot.cli import iam
from govbot.cycle import restore
from govbot.detectors import sweep_permissions
from tests.unit.test_template import actions, function, member, member_statements, template

__all__ = ["member", "template"]  # fixtures


def by_sid(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    sids = [s["Sid"] for s in document["Statement"]]
    assert len(sids) == len(set(sids)), "Sids must be unique in one policy"
    return {s["Sid"]: s for s in document["Statement"]}


@pytest.mark.parametrize("role", iam.ROLES)
def test_every_role_is_a_valid_policy_with_its_arns_filled_in(role: str) -> None:
    document = iam.policy(role, account="123456789012", region="eu-west-1")
    text = json.dumps(document)
    assert "${AWS::" not in text  # no CloudFormation pseudo parameter left unresolved
    assert "*" not in {a for s in document["Statement"] for a in _list(s["Action"])}
    for s in document["Statement"]:
        assert s["Effect"] in ("Allow", "Deny")
        assert s["Resource"]


@pytest.mark.parametrize(
    ("role", "logical_id"),
    [
        ("member-sweep", "SweepRole"),
        ("member-remediate", "RemediationRole"),
        ("member-restore", "RestoreRole"),
    ],
)
def test_member_roles_are_the_member_template_s(member, role: str, logical_id: str) -> None:
    mine = by_sid(iam.policy(role, account="${AWS::AccountId}", partition="${AWS::Partition}"))
    theirs = member_statements(member, logical_id)
    assert set(mine) == set(theirs)
    for sid, statement in theirs.items():
        assert set(_list(mine[sid]["Action"])) == actions(statement), sid
        assert mine[sid].get("Condition") == statement.get("Condition"), sid


def test_the_member_roles_grant_what_the_registries_declare() -> None:
    """Rendered from the member template, the member roles still say exactly what the
    detectors read and the fixes and restores do."""

    def allowed(role: str) -> set[str]:
        return {
            a
            for s in iam.policy(role)["Statement"]
            if s["Effect"] == "Allow"
            for a in _list(s["Action"])
        }

    assert allowed("member-sweep") == sweep_permissions()
    assert allowed("member-remediate") == sweep_permissions() | action_permissions()
    assert allowed("member-restore") == set(restore.PERMISSIONS)


@pytest.mark.parametrize(
    ("role", "name"),
    [
        ("sweep", "SweepFunction"),
        ("remediate", "RemediateFunction"),
        ("slack", "SlackFunction"),
        ("realtime", "RealtimeFunction"),
        ("budget", "BudgetFunction"),
        ("plan", "PlanFunction"),
        ("sweep-worker", "SweepWorkerFunction"),
        ("org-digest", "OrgDigestFunction"),
    ],
)
def test_the_functions_roles_grant_what_template_yaml_grants(
    template, role: str, name: str
) -> None:
    mine = by_sid(iam.policy(role))
    theirs = {
        s["Sid"]: s
        for p in function(template, name)["Properties"]["Policies"]
        if isinstance(p, dict) and "Statement" in p
        # A statement granted only with a condition of the stack (!If) counts as granted.
        for s in (st["If"][1] if "If" in st else st for st in p["Statement"])
        if "Sid" in s
    }
    # Every statement rendered is one the template grants, with the same actions; only Slack's
    # secret (its ARN a stack parameter) is left out.
    for sid, statement in mine.items():
        assert sid in theirs, sid
        assert set(_list(statement["Action"])) == actions(theirs[sid]), sid
    assert set(theirs) - set(mine) <= {"SlackSecret", "SlackSecretKey"}


def test_the_command_line_may_sweep_fix_and_restore_in_its_own_account() -> None:
    cli = by_sid(iam.policy("cli"))
    granted = {a for s in cli.values() if s["Effect"] == "Allow" for a in _list(s["Action"])}
    assert sweep_permissions() | action_permissions() | set(restore.PERMISSIONS) <= granted
    assert {"dynamodb:CreateTable", "dynamodb:DescribeTable", "kms:Decrypt"} <= granted
    assert cli["NeverTouchExempt"]["Effect"] == "Deny"
    assert cli["RestoreNeverTouchExempt"]["Effect"] == "Deny"


def _list(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]
