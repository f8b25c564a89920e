"""`govbot restore KIND ...`: one command per kind govbot can restore, from the kinds."""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from govbot.actions import restore_resource
from govbot.aws import AwsClients
from govbot.cli.app import (
    AccountOption,
    ExternalIdOption,
    RegionOption,
    RoleOption,
    TableOption,
    TableRegionOption,
    app,
    cli_actor,
    fail,
    open_store,
    out,
    region_of,
)
from govbot.cycle.restore import RestoreError
from govbot.kinds import RESOURCE_TYPES, by_kind
from govbot.state.store import DEFAULT_TABLE

restore_app = typer.Typer(
    help="Undo a remediation from the audit log (the finding becomes rejected).",
    no_args_is_help=True,
)
app.add_typer(restore_app, name="restore")


def _restore(
    kind: str,
    resource: str,
    region: str | None,
    account: str | None,
    role_arn: str | None,
    external_id: str | None,
    table: str,
    table_region: str | None,
) -> None:
    base = AwsClients()
    where = region_of(base, region)
    # The state table is in govbot's own account; the resource may be in a member's.
    store = open_store(base, table, table_region, must_exist=True)
    clients = AwsClients(role_arn=role_arn, external_id=external_id) if role_arn else base
    reached = clients.account_id(where)
    account = account or reached
    if account != reached:
        fail(
            f"{kind} {resource} was in account {account}, your credentials reach {reached}: "
            f"pass --role-arn arn:aws:iam::{account}:role/govbot-restore (the member restore "
            "role, templates/member-roles.yaml) and --external-id"
        )
    rtype = by_kind(kind)
    try:
        message = restore_resource(
            rtype.type,
            store,
            clients,
            region=where,
            account_id=account,
            resource_id=resource,
            actor=cli_actor(),
            now=datetime.now(UTC),
        )
    except RestoreError as exc:
        fail(str(exc), 1)
    out.print(message, highlight=False, soft_wrap=True)


def _restore_command(kind: str, metavar: str, arg_help: str, doc: str) -> None:
    # The argument as a default, not in Annotated: annotations are strings here, read in the
    # module's namespace, where this function's locals are not.
    def command(
        resource: str = typer.Argument(..., metavar=metavar, help=arg_help),
        region: RegionOption = None,
        account: AccountOption = None,
        role_arn: RoleOption = None,
        external_id: ExternalIdOption = None,
        table: TableOption = DEFAULT_TABLE,
        table_region: TableRegionOption = None,
    ) -> None:
        _restore(kind, resource, region, account, role_arn, external_id, table, table_region)

    command.__doc__ = doc
    restore_app.command(kind)(command)


# One `govbot restore KIND` per kind govbot can restore, as resources.py describes it.
for _rt in RESOURCE_TYPES.values():
    if _rt.restore is not None:
        _restore_command(_rt.kind, _rt.restore.metavar, _rt.restore.arg_help, _rt.restore.doc)
