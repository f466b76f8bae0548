"""OpenZeppelin's ``TimelockController`` as the ledger's admin: deploy it, and encode what it schedules,
executes and cancels.

A timelock operation is a batch of calls with a predecessor and a salt; its id is
``keccak256(abi.encode(targets, values, payloads, predecessor, salt))`` (``hashOperationBatch``). The proposer
(a Safe) schedules it; once ``minDelay`` has passed, an executor runs it; until then a canceller (the
proposer, and the guardian) can cancel it. Every step is an event on the timelock, which the indexer mirrors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from eth_abi.abi import encode as abi_encode
from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import Web3
from web3.contract import Contract

from ledger.chain import Transactor
from ledger.client.calls import Call
from ledger.compiler import Build
from ledger.errors import GovernanceError

TIMELOCK_CONTRACT = "TimelockController"
PROPOSER_ROLE = keccak(text="PROPOSER_ROLE")
EXECUTOR_ROLE = keccak(text="EXECUTOR_ROLE")
CANCELLER_ROLE = keccak(text="CANCELLER_ROLE")
DEFAULT_ADMIN_ROLE = b"\x00" * 32
#: An executor of address(0) lets anyone run an operation once it is ready.
OPEN_ROLE = "0x" + "00" * 20
NO_PREDECESSOR = b"\x00" * 32


class OperationState(IntEnum):
    """``TimelockController.OperationState``."""

    UNSET = 0
    WAITING = 1
    READY = 2
    DONE = 3


@dataclass(frozen=True)
class TimelockOperation:
    """A batch of calls the timelock runs together, identified by its hash."""

    calls: tuple[Call, ...]
    salt: bytes = b"\x00" * 32
    predecessor: bytes = NO_PREDECESSOR

    @property
    def targets(self) -> list[ChecksumAddress]:
        return [to_checksum_address(c.target) for c in self.calls]

    @property
    def values(self) -> list[int]:
        return [c.value for c in self.calls]

    @property
    def payloads(self) -> list[bytes]:
        return [c.data for c in self.calls]

    @property
    def id(self) -> bytes:
        """``hashOperationBatch`` of the timelock."""
        return keccak(
            abi_encode(
                ["address[]", "uint256[]", "bytes[]", "bytes32", "bytes32"],
                [self.targets, self.values, self.payloads, self.predecessor, self.salt],
            )
        )


def deploy_timelock(
    deployer: Transactor,
    build: Build,
    *,
    min_delay: int,
    proposers: Sequence[str],
    executors: Sequence[str] = (OPEN_ROLE,),
    cancellers: Sequence[str] = (),
) -> ChecksumAddress:
    """Deploy a self-administered TimelockController: ``proposers`` schedule (and cancel), ``executors`` run
    ready operations (address(0): anyone), ``cancellers`` (e.g. the guardian) may also cancel. The deployer is
    admin only long enough to grant the extra cancellers, then renounces, so that every later change of the
    timelock's own roles goes through its delay."""
    artifact = build[TIMELOCK_CONTRACT]
    addresses = [to_checksum_address(a) for a in proposers]
    timelock = deployer.deploy(
        artifact.abi,
        artifact.bytecode,
        min_delay,
        addresses,
        [to_checksum_address(a) for a in executors],
        deployer.address,
    )
    for canceller in cancellers:
        deployer.send(timelock.functions.grantRole(CANCELLER_ROLE, to_checksum_address(canceller)))
    deployer.send(timelock.functions.renounceRole(DEFAULT_ADMIN_ROLE, deployer.address))
    return to_checksum_address(timelock.address)


class Timelock:
    """A deployed TimelockController: the calldata of its schedule, execute and cancel, and its state."""

    def __init__(self, w3: Web3, address: str, build: Build | None = None) -> None:
        """The timelock at ``address``, with the ABI of ``build``, else the one packaged with ``ledger``."""
        from ledger.contract_abi import packaged_abi

        abi = build[TIMELOCK_CONTRACT].abi if build is not None else list(packaged_abi(TIMELOCK_CONTRACT))
        self.contract: Contract = w3.eth.contract(address=to_checksum_address(address), abi=abi)

    @property
    def address(self) -> ChecksumAddress:
        return to_checksum_address(self.contract.address)

    def min_delay(self) -> int:
        return int(self.contract.functions.getMinDelay().call())

    def state(self, operation: TimelockOperation) -> OperationState:
        return OperationState(self.contract.functions.getOperationState(operation.id).call())

    def ready_at(self, operation: TimelockOperation) -> int:
        """When the operation can run (0: not scheduled; 1: done)."""
        return int(self.contract.functions.getTimestamp(operation.id).call())

    def _batch_data(self, function: str, operation: TimelockOperation, *extra: int) -> bytes:
        arguments = [operation.targets, operation.values, operation.payloads, operation.predecessor]
        return bytes.fromhex(self.contract.encode_abi(function, [*arguments, operation.salt, *extra])[2:])

    def schedule_data(self, operation: TimelockOperation, delay: int | None = None) -> bytes:
        """Calldata of ``scheduleBatch`` (for the proposer Safe to sign)."""
        return self._batch_data("scheduleBatch", operation, self.min_delay() if delay is None else delay)

    def execute_data(self, operation: TimelockOperation) -> bytes:
        """Calldata of ``executeBatch``."""
        return self._batch_data("executeBatch", operation)

    def is_proposer(self, account: str) -> bool:
        proposer = self.contract.functions.PROPOSER_ROLE().call()
        return bool(self.contract.functions.hasRole(proposer, to_checksum_address(account)).call())

    def scheduled(self, operation_id: bytes, *, from_block: int = 0) -> TimelockOperation:
        """The operation ``operation_id`` as this timelock scheduled it, rebuilt from its ``CallScheduled``
        and ``CallSalt`` events (since ``from_block``)."""
        events = self.contract.events
        logs = events.CallScheduled.get_logs(from_block=from_block, argument_filters={"id": operation_id})
        if not logs:
            raise GovernanceError(
                f"the timelock {self.address} has scheduled no operation 0x{operation_id.hex()}"
            )
        calls: dict[int, Call] = {}
        predecessor = NO_PREDECESSOR
        for log in logs:
            args = log["args"]
            calls[int(args["index"])] = Call(args["target"], bytes(args["data"]), int(args["value"]), "call")
            predecessor = bytes(args["predecessor"])
        salts = events.CallSalt.get_logs(from_block=from_block, argument_filters={"id": operation_id})
        salt = bytes(salts[-1]["args"]["salt"]) if salts else b"\x00" * 32
        operation = TimelockOperation(tuple(calls[i] for i in sorted(calls)), salt, predecessor)
        if operation.id != operation_id:
            raise GovernanceError(f"the timelock's events do not rebuild operation 0x{operation_id.hex()}")
        return operation

    def cancel_data(self, operation: TimelockOperation) -> bytes:
        """Calldata of ``cancel``."""
        return bytes.fromhex(self.contract.encode_abi("cancel", [operation.id])[2:])
