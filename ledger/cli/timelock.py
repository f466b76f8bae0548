"""``timelock execute``: run an operation the admin's timelock scheduled, once its delay has passed
(anyone may: the timelock's executor role is open). The operation is rebuilt from the timelock's own
``CallScheduled`` and ``CallSalt`` events, so nothing but its id is needed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from ledger.cli.app import ADMIN, app
from ledger.cli.onchain import OnChain, Plan, Role, Step, run_plan, timelock_contract
from ledger.cli.options import (
    AccountOption,
    DryRunOption,
    JsonOption,
    KeystoreOption,
    RpcUrlOption,
    YesOption,
)
from ledger.errors import LedgerError

if TYPE_CHECKING:
    from ledger.client import TxResult
    from ledger.governance.timelock import TimelockOperation

timelock_app = typer.Typer(
    help="The admin's timelock: run a scheduled operation (anyone).", no_args_is_help=True
)
app.add_typer(timelock_app, name="timelock", rich_help_panel=ADMIN)


def scheduled_operation(chain: OnChain, operation_id: bytes) -> TimelockOperation:
    """The operation ``operation_id`` as the timelock scheduled it."""
    from ledger.client import Call
    from ledger.governance.timelock import TimelockOperation

    timelock = timelock_contract(chain)
    start = chain.deployment.block_number
    logs = timelock.events.CallScheduled.get_logs(from_block=start, argument_filters={"id": operation_id})
    if not logs:
        raise LedgerError(
            f"the timelock {timelock.address} has scheduled no operation 0x{operation_id.hex()}"
        )
    calls: dict[int, Any] = {}
    predecessor = b"\x00" * 32
    for log in logs:
        args = log["args"]
        calls[int(args["index"])] = Call(args["target"], bytes(args["data"]), int(args["value"]), "call")
        predecessor = bytes(args["predecessor"])
    salts = timelock.events.CallSalt.get_logs(from_block=start, argument_filters={"id": operation_id})
    salt = bytes(salts[-1]["args"]["salt"]) if salts else b"\x00" * 32
    operation = TimelockOperation(tuple(calls[i] for i in sorted(calls)), salt=salt, predecessor=predecessor)
    if operation.id != operation_id:
        raise LedgerError(f"the timelock's events do not rebuild operation 0x{operation_id.hex()}")
    return operation


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
def execute(
    operation: Annotated[
        str,
        typer.Argument(
            metavar="OPERATION", help="The operation's id (0x…), as scheduling printed it", show_default=False
        ),
    ],
    rpc_url: RpcUrlOption = None,
    keystore: KeystoreOption = None,
    account: AccountOption = None,
    yes: YesOption = False,
    dry_run: DryRunOption = False,
    as_json: JsonOption = False,
) -> None:
    """Run an admin operation the timelock scheduled, once its delay has passed (anyone)."""
    operation_id = _operation_id(operation)

    def plan(chain: OnChain) -> Plan:
        from ledger.client import Call
        from ledger.governance.timelock import OperationState
        from ledger.reverts import utc

        timelock = timelock_contract(chain)
        scheduled = scheduled_operation(chain, operation_id)
        state = OperationState(int(timelock.functions.getOperationState(operation_id).call()))
        if state is OperationState.DONE:
            raise LedgerError(f"operation 0x{operation_id.hex()} has already been executed")
        if state is OperationState.UNSET:
            raise LedgerError(f"operation 0x{operation_id.hex()} was cancelled")
        if state is OperationState.WAITING:
            ready = int(timelock.functions.getTimestamp(operation_id).call())
            raise LedgerError(f"operation 0x{operation_id.hex()} is not ready: it can run from {utc(ready)}")
        data = timelock.encode_abi(
            "executeBatch",
            [scheduled.targets, scheduled.values, scheduled.payloads, scheduled.predecessor, scheduled.salt],
        )
        described = [chain.describe_call(call) for call in scheduled.calls]
        return Plan(
            title=f"Execute timelock operation 0x{operation_id.hex()[:12]}…",
            role=Role.ANYONE,
            steps=[
                Step(
                    Call(timelock.address, bytes.fromhex(data[2:]), 0, "executeBatch"),
                    f"Run {len(scheduled.calls)} call(s) the admin scheduled: " + "; ".join(described),
                )
            ],
            outcome=_ran,
        )

    run_plan(
        plan,
        rpc_url=rpc_url,
        keystore=keystore,
        account=account,
        yes=yes,
        dry_run=dry_run,
        as_json=as_json,
        unsigned=None,
    )
