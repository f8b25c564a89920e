"""`govbot doctor --members`: every target account's member sweep role assumed at once, and
one line naming the accounts that refused."""

from __future__ import annotations

from typing import Any

from govbot.cli import checks
from govbot.cycle.policy import parse_policy
from tests.helpers.aws_errors import fail_operation

ACCOUNTS = ["111111111111", "222222222222", "333333333333"]

CALLER = "arn:aws:iam::123456789012:user/ana"  # who runs doctor


def refuse_assume_role_in(clients, refused: set[str]) -> None:
    """AssumeRole answers AccessDenied for roles in these accounts, as STS does for a role
    that does not exist or does not trust the caller."""
    fail_operation(
        clients,
        "sts",
        "AssumeRole",
        "us-east-1",
        "AccessDenied",
        403,
        when=lambda body: any(a in str(body.get("RoleArn", "")) for a in refused),
    )


def policy() -> Any:
    return parse_policy({"regions": ["us-east-1"], "organization": {"accounts": ACCOUNTS}})


def test_every_member_role_assumable_is_one_line(clients) -> None:
    check = checks.members(clients, policy(), "us-east-1", "ext-123", CALLER)
    assert check.ok
    assert check.detail == "govbot-sweep assumable in all 3 accounts"


def test_the_accounts_that_refuse_are_named_on_one_line(clients) -> None:
    refuse_assume_role_in(clients, {"222222222222", "333333333333"})
    check = checks.members(clients, policy(), "us-east-1", "ext-123", CALLER)
    assert not check.ok
    assert check.detail == (
        "2 of 3 accounts refused govbot-sweep: 222222222222 (AccessDenied), "
        "333333333333 (AccessDenied)"
    )
    assert "member-roles.yaml" in check.fix
