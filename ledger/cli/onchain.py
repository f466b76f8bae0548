"""A command's view of the chain (:class:`OnChain`): the node, this chain's deployment, the ledger and the
admin's timelock, read-only; who signs, once known; and what the plans are made of: tokens by symbol, their
decimals and USD value, calls described in words."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ledger.cli import context
from ledger.cli.plan import ETH, Amount
from ledger.errors import LedgerError

if TYPE_CHECKING:
    from web3 import Web3

    from ledger.chain import ErrorDecoder, Transactor
    from ledger.client import Call, LedgerClient
    from ledger.client.prices import FeedReading
    from ledger.deploy import Deployment
    from ledger.governance.timelock import Timelock


@dataclass
class OnChain:
    """A command's view of the chain: the node, this chain's deployment and the ledger (read-only)."""

    w3: Web3
    url: str
    deployment: Deployment
    ledger: LedgerClient
    errors: ErrorDecoder
    #: Who signs (None when the plan is written ``--unsigned``): set before the plan is built, so that a
    #: donor's plan can read the donor's balance and pledges.
    signer: Transactor | None = None
    signer_source: str = ""

    @classmethod
    def open(cls, rpc_url: str | None) -> OnChain:
        from ledger.chain import ErrorDecoder
        from ledger.client import ERC20_ERRORS_ABI, LedgerClient
        from ledger.contract_abi import packaged_abi

        url = context.chain_url(rpc_url)
        assert url is not None
        w3 = context.connect(url)
        deployment = context.deployment_of(w3)
        abi = list(packaged_abi("PledgeLedger"))
        errors = ErrorDecoder([abi, list(packaged_abi("TimelockController")), ERC20_ERRORS_ABI])
        return cls(w3, url, deployment, LedgerClient(w3, deployment.ledger, abi, errors=errors), errors)

    @property
    def chain_id(self) -> int:
        return self.deployment.chain_id

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def sign_as(self, keystore: Path | None, account: int | None) -> Transactor:
        """Sign with the keystore's account, else development account ``account`` (0 if not given)."""
        from ledger.chain import Transactor
        from ledger.cli.signing import signer_account

        self.signer = Transactor(
            self.w3, signer_account(keystore, account or 0, self.url, self.chain_id), self.errors
        )
        self.signer_source = f"keystore {keystore}" if keystore else f"development account {account or 0}"
        return self.signer

    @property
    def signer_address(self) -> str:
        if self.signer is None:
            raise LedgerError("this command needs to know who signs: it cannot be written --unsigned")
        return str(self.signer.address)

    def describe_call(self, call: Call) -> str:
        """``createCampaign(manager=0x…, …)`` for a call to the ledger, ``schedule on the timelock: …`` for
        the admin's scheduling of ledger calls; else the function and its target."""
        from ledger.client import Call

        timelock = self.deployment.timelock
        if timelock is not None and call.to.lower() == timelock.lower():
            try:
                function, args = self.timelock().contract.decode_function_input(call.data)
            except ValueError:
                return f"{call.function} on the timelock {timelock}"
            if function.fn_name in ("scheduleBatch", "executeBatch"):
                inner = [
                    self.describe_call(Call(target, bytes(data), int(value), "call"))
                    for target, value, data in zip(
                        args["targets"], args["values"], args["payloads"], strict=True
                    )
                ]
                verb = "schedule" if function.fn_name == "scheduleBatch" else "execute"
                return f"{verb} on the timelock: " + "; ".join(inner)
            return f"{function.fn_name} on the timelock {timelock}"
        if call.to.lower() != self.ledger.address.lower():
            return f"{call.function} on {call.to}"
        try:
            function, args = self.ledger.contract.decode_function_input(call.data)
        except ValueError:
            return f"an unknown call to the ledger (selector 0x{bytes(call.data[:4]).hex()})"
        shown = ", ".join(f"{k}={short(v)}" for k, v in args.items())
        return f"{function.fn_name}({shown})"

    def timelock(self) -> Timelock:
        """The admin's TimelockController (the deployment has one)."""
        from ledger.governance.timelock import Timelock

        assert self.deployment.timelock is not None
        return Timelock(self.w3, self.deployment.timelock)

    # ─── tokens ──────────────────────────────────────────────────────────────────────────────────────

    def token_symbol(self, token: str) -> str:
        from ledger.client.calls import ERC20_ABI

        if token.lower() == ETH:
            return "ETH"
        for symbol, known in self.deployment.tokens.items():
            if known.address.lower() == token.lower():
                return symbol
        try:
            contract = self.w3.eth.contract(address=self.w3.to_checksum_address(token), abi=ERC20_ABI)
            return str(contract.functions.symbol().call())[:12] or token
        except Exception:
            return f"{token[:6]}…{token[-4:]}"

    def token_decimals(self, token: str) -> int:
        from ledger.client.calls import ERC20_ABI

        if token.lower() == ETH:
            return 18
        contract = self.w3.eth.contract(address=self.w3.to_checksum_address(token), abi=ERC20_ABI)
        try:
            return int(contract.functions.decimals().call())
        except Exception as exc:
            raise LedgerError(f"{token} does not answer decimals() like an ERC-20 token") from exc

    def resolve_token(self, given: str, campaign_id: int | None = None) -> str:
        """``ETH``, a token address, or the symbol of a token the campaign accepts (or the deployment
        knows)."""
        from web3 import Web3

        if given.upper() == "ETH":
            return ETH
        if Web3.is_address(given):
            return Web3.to_checksum_address(given)
        candidates: list[str] = []
        if campaign_id is not None:
            candidates = [str(t) for t in self.ledger.campaign(campaign_id).tokens]
        candidates += [t.address for t in self.deployment.tokens.values()]
        for token in candidates:
            if self.token_symbol(token).upper() == given.upper():
                return ETH if token.lower() == ETH else Web3.to_checksum_address(token)
        where = f"campaign {campaign_id} accepts" if campaign_id is not None else "this deployment knows"
        raise LedgerError(f"no token {given!r} among those {where}: give ETH, a symbol or a token address")

    def feed_reading(self, campaign_id: int, token: str) -> FeedReading | None:
        """The campaign's feed for ``token`` as it answers now (None if the token is not accepted)."""
        from ledger.client.prices import read_feed

        config = self.ledger.token_config(campaign_id, token)
        if not config.accepted:
            return None
        try:
            return read_feed(self.w3, config.feed)
        except LedgerError:
            return None

    def amount(self, campaign_id: int | None, token: str, base_units: int) -> Amount:
        """``base_units`` of ``token`` with its symbol, and its USD value by the campaign's feed."""
        decimals = self.token_decimals(token)
        reading = self.feed_reading(campaign_id, token) if campaign_id is not None else None
        usd = reading.usd(base_units, decimals) if reading is not None else None
        return Amount(token, base_units, self.token_symbol(token), decimals, usd)

    def eth_usd(self, campaign_id: int | None) -> FeedReading | None:
        """An ETH/USD reading to value fees: the campaign's, else the deployment's."""
        from ledger.client.prices import read_feed

        if campaign_id is not None and (reading := self.feed_reading(campaign_id, ETH)) is not None:
            return reading
        known = self.deployment.tokens.get("ETH")
        if known is None:
            return None
        try:
            return read_feed(self.w3, known.feed)
        except LedgerError:
            return None


def short(value: Any) -> str:
    """An event or call argument as people read it: bytes in hex."""
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


def parse_addresses(values: Sequence[str], what: str) -> list[str]:
    from web3 import Web3

    out: list[str] = []
    for value in values:
        if not Web3.is_address(value):
            raise LedgerError(f"{what} {value!r} is not an address (0x followed by 40 hex digits)")
        out.append(Web3.to_checksum_address(value))
    return out
