"""``timelock execute``: run an operation the admin's timelock scheduled, once its delay has passed
(anyone may: the timelock's executor role is open). The operation is rebuilt from the timelock's own
``CallScheduled`` and ``CallSalt`` events, so nothing but its id is needed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from ledger.cli.app import ADMIN, app
from ledger.cli.onchain import OnChain
from ledger.cli.options import Sending, sends
from ledger.cli.plan import Plan, Role
from ledger.cli.sending import run_plan
from ledger.errors import LedgerError

if TYPE_CHECKING:
    from ledger.client import TxResult

timelock_app = typer.Typer(
    help="The admin's timelock: run a scheduled operation (anyone).", no_args_is_help=True
)
app.add_typer(timelock_app, name="timelock", rich_help_panel=ADMIN)


def _ran(results: list[TxResult]) -> dict[str, Any]:
    """What the operation created, for people and scripts: a campaign's id."""
    created = [int(e["campaignId"]) for r in results for e in r.all("CampaignCreated")]
    return {"campaign": created[0]} if len(created) == 1 else {}


def _operation_id(text: str) -> bytes:
    digits = text.removeprefix("0x")
    if len(digits) != 64:
        raise LedgerError(f"OPERATION {text!r} is not an operation id (0x and 64 hex digits)")
    try:
        return bytes.fromhex(digits)
    except ValueError:
        raise LedgerError(f"OPERATION {text!r} is not an operation id (0x and 64 hex digits)") from None


@timelock_app.command("execute", rich_help_panel=ADMIN)
@sends(unsigned=False)
def execute(
    operation: Annotated[
        str,
        typer.Argument(
            metavar="OPERATION", help="The operation's id (0x…), as scheduling printed it", show_default=False
        ),
    ],
    sending: Sending,
) -> None:
    """Run an admin operation the timelock scheduled, once its delay has passed (anyone)."""
    operation_id = _operation_id(operation)

    def plan(chain: OnChain) -> Plan:
        from ledger.client import Call
        from ledger.governance.timelock import OperationState
        from ledger.reverts import utc

        timelock = chain.timelock()
        scheduled = timelock.scheduled(operation_id, from_block=chain.deployment.block_number)
        state = timelock.state(scheduled)
        if state is OperationState.DONE:
            raise LedgerError(f"operation 0x{operation_id.hex()} has already been executed")
        if state is OperationState.UNSET:
            raise LedgerError(f"operation 0x{operation_id.hex()} was cancelled")
        if state is OperationState.WAITING:
            ready = timelock.ready_at(scheduled)
            raise LedgerError(f"operation 0x{operation_id.hex()} is not ready: it can run from {utc(ready)}")
        described = [chain.describe_call(call) for call in scheduled.calls]
        return Plan.of_one(
            Call(timelock.address, timelock.execute_data(scheduled), 0, "executeBatch"),
            f"Run {len(scheduled.calls)} call(s) the admin scheduled: " + "; ".join(described),
            title=f"Execute timelock operation 0x{operation_id.hex()[:12]}…",
            role=Role.ANYONE,
            outcome=_ran,
        )

    run_plan(plan, sending)
