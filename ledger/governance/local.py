"""The supported production set-up, built on a local chain from its development accounts.

- The **board** Safe (development accounts 0, 8 and 9; any 2 sign) is the timelock's proposer.
- The **timelock** (OpenZeppelin ``TimelockController``, ``LOCAL_TIMELOCK_DELAY``) is the ledger's admin;
  once an operation is ready anyone may execute it, and the board or the guardian may cancel it until then.
- The **guardian** Safe (development accounts 8 and 9; either signs alone, so that it can act at once) holds
  the ledger's guardian role.

The demo, `up` and the tests act as the admin through :meth:`LocalGovernance.run`: the board's owners sign a
``scheduleBatch``, the chain's clock is moved past the delay, and the batch is executed, as a real board would
over days.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.types import TxReceipt

from ledger.chain import Transactor
from ledger.client.calls import Call
from ledger.compiler import Build
from ledger.errors import GovernanceError
from ledger.governance.safe import SafeAccount, SafeDeployment, create_safe, deploy_safe_contracts
from ledger.governance.timelock import OperationState, Timelock, TimelockOperation, deploy_timelock

DAY = 86_400
#: How long the local timelock holds an operation before it can run.
LOCAL_TIMELOCK_DELAY = 2 * DAY
#: Development accounts (BIP-44 index) owning each local Safe, and how many of them must sign.
BOARD_OWNERS: tuple[int, ...] = (0, 8, 9)
BOARD_THRESHOLD = 2
GUARDIAN_OWNERS: tuple[int, ...] = (8, 9)
GUARDIAN_THRESHOLD = 1


@dataclass(frozen=True)
class GovernanceDeployment:
    """Where a deployment's governance contracts are: the timelock, its proposer Safe, the guardian Safe."""

    timelock: str
    board_safe: str
    guardian_safe: str
    timelock_delay: int
    safe_contracts: SafeDeployment


def deploy_local_governance(
    deployer: Transactor, build: Build, accounts: Sequence[LocalAccount], *, delay: int = LOCAL_TIMELOCK_DELAY
) -> GovernanceDeployment:
    """Deploy Safe's contracts, the board and guardian Safes of ``accounts``, and a timelock proposed by the
    board."""
    safes = deploy_safe_contracts(deployer)
    salt = secrets.randbits(64)  # a new pair of Safes on every deployment of the same chain
    board = create_safe(deployer, safes, [accounts[i].address for i in BOARD_OWNERS], BOARD_THRESHOLD, salt)
    guardian = create_safe(
        deployer, safes, [accounts[i].address for i in GUARDIAN_OWNERS], GUARDIAN_THRESHOLD, salt + 1
    )
    timelock = deploy_timelock(deployer, build, min_delay=delay, proposers=[board], cancellers=[guardian])
    return GovernanceDeployment(
        timelock=timelock,
        board_safe=board,
        guardian_safe=guardian,
        timelock_delay=delay,
        safe_contracts=safes,
    )


class LocalGovernance:
    """Acts as a local deployment's admin and guardian with the development accounts that own its Safes."""

    def __init__(
        self,
        w3: Web3,
        build: Build,
        governance: GovernanceDeployment,
        accounts: Sequence[LocalAccount],
        submitter: Transactor,
    ) -> None:
        self.w3 = w3
        self.timelock = Timelock(w3, governance.timelock, build)
        self.board = SafeAccount(w3, governance.board_safe)
        self.guardian = SafeAccount(w3, governance.guardian_safe)
        self.board_signers = [accounts[i] for i in BOARD_OWNERS[:BOARD_THRESHOLD]]
        self.guardian_signers = [accounts[i] for i in GUARDIAN_OWNERS[:GUARDIAN_THRESHOLD]]
        self.submitter = submitter

    def schedule(self, operation: TimelockOperation) -> TxReceipt:
        """The board schedules ``operation`` on the timelock (its threshold of owners sign)."""
        return self.board.execute_call(
            self.submitter, self.board_signers, self.timelock.address, self.timelock.schedule_data(operation)
        )

    def execute(self, operation: TimelockOperation) -> TxReceipt:
        """Run a ready operation (the local timelock lets anyone execute)."""
        if self.timelock.state(operation) is not OperationState.READY:
            raise GovernanceError(f"timelock operation 0x{operation.id.hex()} is not ready to run")
        return self.submitter.send_raw(
            {"to": self.timelock.address, "data": self.timelock.execute_data(operation)}, "executeBatch"
        )

    def run(self, calls: Sequence[Call], advance: Callable[[int], None]) -> TxReceipt:
        """Schedule ``calls`` as one operation, let the delay pass on the chain's clock (``advance`` moves it
        by the given seconds), execute it; returns the execution's receipt."""
        operation = TimelockOperation(tuple(calls), salt=secrets.token_bytes(32))
        self.schedule(operation)
        advance(self.timelock.min_delay() + 1)
        return self.execute(operation)

    def as_guardian(self, to: str, data: bytes) -> TxReceipt:
        """The guardian Safe calls ``to`` at once (its threshold of owners sign)."""
        return self.guardian.execute_call(self.submitter, self.guardian_signers, to, data)
