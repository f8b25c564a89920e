"""Organisation scale: which accounts and regions to sweep, and clients inside each account.

The plan lists target accounts (AWS Organizations, filtered by OU and account tags, or the
policy's explicit list) and the regions (the policy's, or every region enabled in the
management account); the Step Functions Distributed Map runs the sweep worker once per account,
which sweeps the account's regions in parallel. One item per account keeps the state data
small (Step Functions caps a state's input and output at 256 KB: 5,100 account-region items
would not fit) and the state transitions few.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from govbot.aws import AwsClients
from govbot.cycle.policy import OrganizationSettings, Policy

PERMISSIONS = (
    "organizations:ListAccounts",
    "organizations:ListAccountsForParent",
    "organizations:ListChildren",
    "organizations:ListTagsForResource",
    "ec2:DescribeRegions",
)


class Target(BaseModel):
    """One Map item: an account and the regions to sweep in it (the Map adds the run's regions
    and id to each planned account)."""

    account_id: str
    regions: list[str] = Field(min_length=1)
    run_id: str


def accounts(org: OrganizationSettings, clients: AwsClients, region: str) -> list[str]:
    if org.accounts:
        chosen = list(org.accounts)
    else:
        api = clients.client("organizations", region)
        if org.organizational_units:
            found: dict[str, dict[str, Any]] = {}
            for ou in org.organizational_units:
                for parent in _with_descendants(api, ou):
                    for page in api.get_paginator("list_accounts_for_parent").paginate(
                        ParentId=parent
                    ):
                        found.update({a["Id"]: a for a in page["Accounts"]})
            listed = list(found.values())
        else:
            listed = [
                a
                for page in api.get_paginator("list_accounts").paginate()
                for a in page["Accounts"]
            ]
        chosen = [a["Id"] for a in listed if a.get("Status", "ACTIVE") == "ACTIVE"]
        if org.account_tags:
            chosen = [a for a in chosen if _tagged(api, a, org.account_tags)]
    return sorted(set(chosen) - set(org.exclude_accounts))


def _with_descendants(api: Any, parent: str) -> list[str]:
    """An OU and every OU below it (accounts can sit at any depth)."""
    found, todo = [], [parent]
    while todo:
        current = todo.pop()
        found.append(current)
        for page in api.get_paginator("list_children").paginate(
            ParentId=current, ChildType="ORGANIZATIONAL_UNIT"
        ):
            todo += [c["Id"] for c in page["Children"]]
    return found


def _tagged(api: Any, account_id: str, wanted: dict[str, str]) -> bool:
    tags = {
        t["Key"]: t["Value"]
        for page in api.get_paginator("list_tags_for_resource").paginate(ResourceId=account_id)
        for t in page["Tags"]
    }
    return all(tags.get(k) == v for k, v in wanted.items())


def regions(policy: Policy, clients: AwsClients, home: str) -> list[str]:
    if policy.regions:
        return list(policy.regions)
    answer = clients.ec2(home).describe_regions(
        Filters=[{"Name": "opt-in-status", "Values": ["opt-in-not-required", "opted-in"]}]
    )
    return sorted(r["RegionName"] for r in answer["Regions"])


class Plan(BaseModel):
    """What the state machine carries: the accounts once each, the regions once."""

    run_id: str
    regions: list[str]
    accounts: list[str]

    def targets(self) -> list[Target]:
        return [
            Target(account_id=a, regions=self.regions, run_id=self.run_id) for a in self.accounts
        ]


def plan(policy: Policy, clients: AwsClients, home: str, run_id: str) -> Plan:
    return Plan(
        run_id=run_id,
        regions=regions(policy, clients, home),
        accounts=accounts(policy.organization, clients, home),
    )


def member_clients(
    account_id: str, role_name: str, external_id: str | None, run_id: str, partition: str = "aws"
) -> AwsClients:
    """Clients inside a member account, through its govbot role (ExternalId, and a session
    name that says which run it was, for the member's CloudTrail)."""
    return AwsClients(
        role_arn=f"arn:{partition}:iam::{account_id}:role/{role_name}",
        external_id=external_id,
        role_session_name=f"govbot-{run_id}"[:64],
        account_id=account_id,
    )
