"""``role``: grant or revoke the ledger's auditor and guardian roles (admin, through its timelock)."""

from __future__ import annotations

from typing import Annotated

import typer

from ledger.cli.app import ADMIN, app
from ledger.cli.onchain import OnChain, parse_addresses
from ledger.cli.options import Sending, sends
from ledger.cli.plan import Plan, Role, Step
from ledger.cli.sending import run_plan
from ledger.errors import LedgerError

role_app = typer.Typer(
    help="The ledger's roles: grant or revoke an auditor or the guardian (admin).", no_args_is_help=True
)
app.add_typer(role_app, name="role", rich_help_panel=ADMIN)

#: The roles the admin hands out here (the admin role itself moves only by the two-step transfer).
ROLES = {"auditor": "AUDITOR_ROLE", "guardian": "GUARDIAN_ROLE"}
RoleArgument = Annotated[
    str, typer.Argument(metavar="ROLE", help="auditor or guardian", show_default=False, case_sensitive=False)
]
AccountArgument = Annotated[
    str, typer.Argument(metavar="ADDRESS", help="Who gets or loses it", show_default=False)
]


def _role(name: str) -> str:
    constant = ROLES.get(name.lower())
    if constant is None:
        raise LedgerError(f"ROLE {name!r} is not one of {', '.join(ROLES)}")
    return constant


def _change(grant: bool, help_text: str) -> None:
    """Register ``role grant`` or ``role revoke``."""
    verb = "Grant" if grant else "Revoke"

    def command(role: RoleArgument, address: AccountArgument, sending: Sending) -> None:
        constant = _role(role)
        (account,) = parse_addresses([address], "ADDRESS")

        def plan(chain: OnChain) -> Plan:
            role_hash = chain.ledger.role(constant)
            holds = chain.ledger.has_role(role_hash, account)
            if grant and holds:
                raise LedgerError(f"{account} is already {role.lower()}")
            if not grant and not holds:
                raise LedgerError(f"{account} is not {role.lower()}: nothing to revoke")
            call = (chain.ledger.calls.grant_role if grant else chain.ledger.calls.revoke_role)(
                role_hash, account
            )
            return Plan(
                title=f"{verb} the {role.lower()} role",
                role=Role.ADMIN,
                steps=[Step(call, f"{verb} {account} the ledger's {role.lower()} role")],
            )

        run_plan(plan, sending)

    role_app.command(verb.lower(), help=help_text, rich_help_panel=ADMIN)(sends()(command))


_change(
    True, "Give ADDRESS a role: an auditor attests reports; the guardian pauses, cancels and revokes at once."
)
_change(False, "Take a role away from ADDRESS.")
