"""The supported set-up on an Anvil of a test module's own: the ledger administered by a timelock that the
board Safe proposes to, guarded by the guardian Safe (``deploy_local``), with two campaigns created through
the timelock. Tests schedule, execute and cancel timelock operations and index them."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from web3 import Web3
from web3.contract import Contract
from web3.types import TxReceipt

from ledger.chain import ErrorDecoder, Transactor, connect, dev_accounts
from ledger.client import Call, LedgerCalls
from ledger.compiler import Build
from ledger.deploy import Deployment, deploy_local
from ledger.governance.local import LocalGovernance
from ledger.governance.timelock import TIMELOCK_CONTRACT, TimelockOperation
from ledger.indexer.rpc import RpcClient
from ledger.indexer.runner import Indexer, IndexerConfig, LedgerSource
from ledger.indexer.store import CursorState
from ledger.node import LocalNode, start_node
from tests.support.chain import ChainClock
from tests.support.units import DAY, ETH

#: The campaigns created when the chain is set up, each managed by ``manager``.
CAMPAIGNS = (1, 2)


@dataclass
class GovernedChain(ChainClock):
    node: LocalNode
    w3: Web3
    build: Build
    deployment: Deployment
    ledger: Contract
    timelock: Contract
    governance: LocalGovernance
    deployer: Transactor
    manager: Transactor
    supplier: Transactor
    outsider: Transactor

    @property
    def f(self) -> Any:
        return self.ledger.functions

    def source(self) -> LedgerSource:
        return LedgerSource.from_deployment(self.deployment, self.build)

    def index(self, engine: Any, config: IndexerConfig | None = None, **run: Any) -> CursorState:
        with RpcClient(self.node.rpc_url, give_up_after=30) as rpc:
            return Indexer(rpc, engine, self.source(), config).run(once=True, **run)

    @property
    def calls(self) -> LedgerCalls:
        """The ledger's calls, for the timelock to make."""
        return LedgerCalls(self.ledger.address, self.ledger.abi)

    def timelock_call(self, function: str, *args: Any) -> Call:
        """A call to the timelock itself (a change of its own settings)."""
        return Call(self.timelock.address, bytes.fromhex(self.timelock.encode_abi(function, list(args))[2:]))

    def schedule(self, *calls: Call) -> tuple[TimelockOperation, TxReceipt]:
        """The board schedules ``calls`` as one operation, not executed."""
        operation = TimelockOperation(tuple(calls), salt=secrets.token_bytes(32))
        return operation, self.governance.schedule(operation)

    def execute(self, operation: TimelockOperation) -> TxReceipt:
        """Move the clock past the timelock's delay and run ``operation``."""
        if self.governance.timelock.ready_at(operation) > self.now():
            self.advance(self.governance.timelock.min_delay() + 1)
        return self.governance.execute(operation)

    def cancel_as_guardian(self, operation: TimelockOperation) -> TxReceipt:
        return self.governance.as_guardian(
            self.timelock.address, self.governance.timelock.cancel_data(operation)
        )

    def as_guardian(self, function: str, *args: Any) -> TxReceipt:
        """The guardian Safe calls the ledger at once."""
        return self.governance.as_guardian(self.ledger.address, self.call(function, *args).data)

    def forget_nonces(self) -> None:
        for actor in (self.deployer, self.manager, self.supplier, self.outsider):
            actor.reset_nonce()


def governed_chain(build: Build) -> Iterator[GovernedChain]:
    """A fresh Anvil with ``deploy_local``'s set-up and :data:`CAMPAIGNS` created through the timelock (ETH
    accepted); stopped when the generator is closed."""
    node = start_node("anvil")
    try:
        w3 = connect(node.rpc_url)
        accounts = dev_accounts(10)
        decoder = ErrorDecoder(a.abi for a in build.artifacts.values())
        deployer, manager, supplier, outsider = (Transactor(w3, accounts[i], decoder) for i in (0, 1, 7, 6))
        deployment = deploy_local(w3, deployer, build, accounts)
        assert deployment.governance is not None and deployment.timelock is not None
        governance = LocalGovernance(w3, build, deployment.governance, accounts, deployer)
        chain = GovernedChain(
            node=node,
            w3=w3,
            build=build,
            deployment=deployment,
            ledger=w3.eth.contract(
                address=Web3.to_checksum_address(deployment.ledger), abi=build["PledgeLedger"].abi
            ),
            timelock=w3.eth.contract(
                address=Web3.to_checksum_address(deployment.timelock), abi=build[TIMELOCK_CONTRACT].abi
            ),
            governance=governance,
            deployer=deployer,
            manager=manager,
            supplier=supplier,
            outsider=outsider,
        )
        feed = deployment.tokens["ETH"].feed
        calls = []
        for _ in CAMPAIGNS:
            calls.append(chain.calls.create_campaign(manager.address, "WAHO", b"\x11" * 32, 0))
        governance.run(calls, chain.advance)
        governance.run([chain.calls.accept_token(c, ETH, feed, DAY) for c in CAMPAIGNS], chain.advance)
        assert chain.f.campaignCount().call() == len(CAMPAIGNS)
        yield chain
    finally:
        node.stop()
