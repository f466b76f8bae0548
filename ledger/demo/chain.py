"""The demo's actors on a local chain: development accounts that sign real transactions to the ledger and
the mock tokens and feeds of the deployment, the board and guardian Safes and the timelock that govern the
ledger (:mod:`ledger.governance.local`), and the local chain's clock."""

from __future__ import annotations

from dataclasses import dataclass

from web3 import Web3
from web3.contract import Contract

from ledger.chain import ErrorDecoder, Transactor, dev_accounts
from ledger.client import Call, LedgerCalls, LedgerClient, TxResult
from ledger.compiler import Build
from ledger.demo.data import ACCOUNT_INDEX, DAY
from ledger.deploy import Deployment
from ledger.errors import LedgerError
from ledger.governance.local import LocalGovernance
from ledger.networks import require_local_chain

ETH = "0x" + "00" * 20
#: What to do when the demo is refused a chain: it plays every role with the development accounts.
DEMO_ADVICE = "the demo plays every role with them; `pledgeledger up --demo` without --rpc-url starts one"
#: Contract of each mock token, to read and mint it.
_TOKEN_CONTRACTS = {
    "USDC": "MockERC20",
    "DAI": "MockERC20",
    "USDT": "MockNoReturnToken",
    "FEE": "MockFeeToken",
}


@dataclass
class DemoChain:
    """A typed client of the ledger for each role, the governance acting as the ledger's admin and guardian,
    and the deployment's mock tokens and feeds."""

    w3: Web3
    reader: LedgerClient
    actors: dict[str, Transactor]
    governance: LocalGovernance
    tokens: dict[str, Contract]
    feeds: dict[str, Contract]
    decimals: dict[str, int]

    @classmethod
    def connect(cls, w3: Web3, deployment: Deployment, build: Build, mnemonic: str) -> DemoChain:
        """The demo's actors on ``w3``'s chain: only a local chain on this machine (they are the
        development accounts)."""
        url = str(getattr(w3.provider, "endpoint_uri", "") or "")
        require_local_chain(url, int(w3.eth.chain_id), advice=DEMO_ADVICE)
        if "ETH" not in deployment.tokens:
            raise LedgerError("the demo needs the local test tokens and feeds: deploy to a local chain")
        if deployment.governance is None:
            raise LedgerError(
                "the demo acts through the local timelock and Safes: this chain's ledger was deployed with "
                f"--admin {deployment.admin}; deploy it again without --admin"
            )
        decoder = ErrorDecoder(a.abi for a in build.artifacts.values())
        accounts = dev_accounts(10, mnemonic)
        actors = {name: Transactor(w3, accounts[i], decoder) for name, i in ACCOUNT_INDEX.items()}
        governance = LocalGovernance(w3, build, deployment.governance, accounts, actors["admin"])
        reader = LedgerClient(w3, deployment.ledger, build["PledgeLedger"].abi, errors=decoder)
        address = Web3.to_checksum_address
        feed_abi = build["MockAggregator"].abi
        feeds = {
            s: w3.eth.contract(address=address(t.feed), abi=feed_abi) for s, t in deployment.tokens.items()
        }
        tokens = {
            s: w3.eth.contract(address=address(t.address), abi=build[_TOKEN_CONTRACTS[s]].abi)
            for s, t in deployment.tokens.items()
            if s in _TOKEN_CONTRACTS
        }
        decimals = {s: t.decimals for s, t in deployment.tokens.items()}
        return cls(w3, reader, actors, governance, tokens, feeds, decimals)

    def client(self, actor: str) -> LedgerClient:
        """The ledger, written by ``actor``."""
        return self.reader.as_signer(self.actors[actor])

    @property
    def calls(self) -> LedgerCalls:
        """The ledger's calls, for the timelock to make."""
        return self.reader.calls

    def address(self, actor: str) -> str:
        return self.actors[actor].address

    def token_address(self, symbol: str) -> str:
        return ETH if symbol == "ETH" else str(self.tokens[symbol].address)

    def units(self, symbol: str, whole: int) -> int:
        return int(whole * 10 ** self.decimals[symbol])

    def as_admin(self, calls: list[Call]) -> TxResult:
        """The board Safe schedules ``calls`` on the timelock, the chain's clock passes its delay, and the
        batch runs: the ledger's admin acting, slowly and visibly."""
        return self.reader.events.result(self.governance.run(calls, self.advance))

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def advance(self, seconds: int) -> None:
        """Move the chain's clock forward, mine a block and refresh the mock feeds (else prices are stale)."""
        self.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
        self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        for feed in self.feeds.values():
            price = feed.functions.latestRoundData().call()[1]
            self.actors["admin"].send(feed.functions.setAnswer(price))

    def advance_to(self, timestamp: int) -> None:
        if timestamp > self.now():
            self.advance(timestamp - self.now())

    def fund(self, donor: str, symbol: str, amount: int) -> None:
        """Mint the donor what they pledge (the mocks mint to anyone); ETH comes with the dev account."""
        if symbol != "ETH":
            self.actors["admin"].send(self.tokens[symbol].functions.mint(self.address(donor), amount))

    def pledge(self, donor: str, campaign_id: int, round_id: int, symbol: str, amount: int) -> TxResult:
        return self.client(donor).pledge_amount(campaign_id, round_id, self.token_address(symbol), amount)

    def accept_token_calls(self, campaign_id: int, symbols: tuple[str, ...]) -> list[Call]:
        return [
            self.calls.accept_token(campaign_id, self.token_address(symbol), self.feeds[symbol].address, DAY)
            for symbol in symbols
        ]

    def grant_auditor_calls(self) -> list[Call]:
        """The role grant the auditor still needs (none once granted)."""
        role = self.reader.role("AUDITOR_ROLE")
        if self.reader.has_role(role, self.address("auditor")):
            return []
        return [self.calls.grant_role(role, self.address("auditor"))]
