"""``keys``: the API keys of managers (who write records) and auditors (who read exports and history),
each for every campaign or for the campaigns named at creation."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ledger.cli import context
from ledger.cli.app import RUN, app, console, err_console
from ledger.cli.options import DatabaseUrlOption

keys_app = typer.Typer(
    help="API keys: a manager's writes records, an auditor's reads exports and history; each for every "
    "campaign or only some.",
    no_args_is_help=True,
)
app.add_typer(keys_app, name="keys", rich_help_panel=RUN)


class KeyRole(StrEnum):
    manager = "manager"
    auditor = "auditor"


@keys_app.command("create")
def keys_create(
    role: Annotated[KeyRole, typer.Option("--role", help="manager or auditor")],
    name: Annotated[str, typer.Option("--name", help="Who or what uses the key (unique)")],
    campaign: Annotated[
        list[int] | None,
        typer.Option(
            "--campaign",
            metavar="CAMPAIGN",
            min=0,
            help="A campaign the key may act on (repeat for several); none: every campaign",
            show_default=False,
        ),
    ] = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Create an API key and print it: it is stored hashed and cannot be shown again."""
    from sqlalchemy.orm import Session

    from ledger.keys import create_key, scope_of

    engine = context.migrated_engine(database_url)
    try:
        with Session(engine) as session, session.begin():
            key, plaintext = create_key(session, name=name, role=role.value, campaigns=campaign or ())
            role_name, scope = key.role, scope_of(key).describe()
    finally:
        engine.dispose()
    err_console.print(
        f"Created {role_name} key {escape(repr(name))} for {scope}. Store it now; it cannot be shown again:"
    )
    print(plaintext)  # bare on stdout, so scripts can capture it


@keys_app.command("list")
def keys_list(database_url: DatabaseUrlOption = None) -> None:
    """List the API keys (names, roles, scopes and prefixes; never the keys)."""
    from sqlalchemy.orm import Session

    from ledger.keys import list_keys, scope_of

    engine = context.migrated_engine(database_url)
    try:
        with Session(engine) as session:
            table = Table("Name", "Role")
            # The scope is what an operator checks: it is never cut short, even at 80 columns.
            table.add_column("Scope", no_wrap=True, min_width=len("all campaigns"))
            for column in ("Prefix", "Created", "Revoked"):
                table.add_column(column)
            for key in list_keys(session):
                revoked = key.revoked_at.isoformat(timespec="minutes") if key.revoked_at else "-"
                table.add_row(
                    escape(key.name),
                    key.role,
                    scope_of(key).describe(),
                    f"pl_{key.prefix}_…",
                    key.created_at.isoformat(timespec="minutes"),
                    revoked,
                )
    finally:
        engine.dispose()
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The key's name")],
    database_url: DatabaseUrlOption = None,
) -> None:
    """Revoke an API key: requests with it are refused from now on."""
    from sqlalchemy.orm import Session

    from ledger.keys import revoke_key

    engine = context.migrated_engine(database_url)
    try:
        with Session(engine) as session, session.begin():
            revoke_key(session, name=name)
    finally:
        engine.dispose()
    console.print(f"Revoked API key {escape(repr(name))}.")
