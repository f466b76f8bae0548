"""Check the SQL mirror against the contract: the campaign's totals must equal the contract's views.

The views are read at the mirror's own block (``block_identifier`` = the indexer cursor), so an indexer
that lags behind the head is not a mismatch: the mirror is compared with the chain as it was at the block
the mirror has reached. A difference is a ``mirror_mismatch`` finding; a node that cannot be reached (or
cannot serve state at that block) is a ``chain_unreachable`` finding, and the report says the chain was not
verified rather than failing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from sqlalchemy.orm import Session
from web3 import HTTPProvider, Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError, Web3Exception

from ledger.errors import MirrorCheckUnreachableError
from ledger.reads.mirror import MirrorPosition
from ledger.reads.tokens import ledger_held
from ledger.reads.units import NATIVE_TOKEN, TokenUnits
from ledger.reconcile.findings import finding
from ledger.reconcile.report import ChainCheck, Finding, RecordRef
from ledger.rounds import RoundState


def _view(name: str, inputs: list[tuple[str, str]], outputs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "function",
        "name": name,
        "stateMutability": "view",
        "inputs": [{"name": n, "type": t, "internalType": t} for n, t in inputs],
        "outputs": outputs,
    }


def _tuple(fields: list[tuple[str, str]]) -> list[dict[str, Any]]:
    return [
        {
            "name": "",
            "type": "tuple",
            "components": [{"name": n, "type": t, "internalType": t} for n, t in fields],
        }
    ]


def _plain(fields: list[tuple[str, str]]) -> list[dict[str, Any]]:
    return [{"name": n, "type": t, "internalType": t} for n, t in fields]


#: The ledger's views this check reads (the API server needs no compiler); a test compares them with the
#: compiled ABI of contracts/interfaces/IPledgeLedger.sol.
LEDGER_VIEWS_ABI: list[dict[str, Any]] = [
    _view(
        "campaign",
        [("campaignId", "uint256")],
        _tuple(
            [
                ("manager", "address"),
                ("metadataHash", "bytes32"),
                ("roundCount", "uint32"),
                ("cancelled", "bool"),
                ("paused", "bool"),
                ("supplierDelay", "uint32"),
                ("tokens", "address[]"),
            ]
        ),
    ),
    _view(
        "round",
        [("campaignId", "uint256"), ("roundId", "uint256")],
        _tuple(
            [
                ("start", "uint40"),
                ("end", "uint40"),
                ("state", "uint8"),
                ("allOrNothing", "bool"),
                ("goalUsd", "uint80"),
                ("raisedUsd", "uint80"),
            ]
        ),
    ),
    _view(
        "tokenTotals",
        [("campaignId", "uint256"), ("token", "address")],
        _tuple(
            [
                ("pledged", "uint256"),
                ("refunded", "uint256"),
                ("disbursed", "uint256"),
                ("held", "uint256"),
                ("available", "uint256"),
            ]
        ),
    ),
    _view(
        "roundTokenTotals",
        [("campaignId", "uint256"), ("roundId", "uint256"), ("token", "address")],
        _plain([("pledged", "uint256"), ("refunded", "uint256")]),
    ),
]
_ERC20_BALANCE_ABI = [_view("balanceOf", [("account", "address")], _plain([("balance", "uint256")]))]


@dataclass(frozen=True)
class RoundClaim:
    """What the mirror says of one round: its state, the sum of its pledges' USD values, and per token
    (pledged, refunded)."""

    state: RoundState
    raised_usd: int
    tokens: Mapping[str, tuple[int, int]]


@dataclass(frozen=True)
class MirrorClaims:
    """What the mirror says of one campaign, in the terms of the contract's views."""

    campaign_id: int
    round_count: int
    cancelled: bool
    #: Per token: (pledged, refunded, disbursed, held).
    tokens: Mapping[str, tuple[int, int, int, int]]
    rounds: Mapping[int, RoundClaim] = field(default_factory=dict)
    paused: bool = False
    supplier_delay: int = 0
    #: Per token, what all the chain's campaigns hold in the mirror (read from SQL when None).
    ledger_held: Mapping[str, int] | None = None
    #: How mismatch messages name tokens and amounts (their records' symbols, whole tokens).
    units: TokenUnits = field(default_factory=lambda: TokenUnits({}, {}))


class _Check:
    """One comparison at one block: the calls, the values compared and the mismatches found."""

    def __init__(self, w3: Web3, ledger: Contract, block: int) -> None:
        self.w3 = w3
        self.ledger = ledger
        self.block = block
        self.compared = 0
        self.findings: list[Finding] = []

    def equal(self, what: str, chain: Any, mirror: Any, record: RecordRef) -> None:
        self.compared += 1
        if chain != mirror:
            self.mismatch(f"{what} at block {self.block}: chain {chain}, mirror {mirror}", record)

    def equal_amounts(
        self, what: str, chain: int, mirror: int, record: RecordRef, token: str, units: TokenUnits
    ) -> None:
        """:meth:`equal` for amounts of ``token``, said in whole tokens."""
        self.compared += 1
        if chain != mirror:
            self.mismatch(
                f"{what} at block {self.block}: chain {units.amount(chain, token)}, "
                f"mirror {units.amount(mirror, token)}",
                record,
            )

    def mismatch(self, message: str, record: RecordRef) -> None:
        self.findings.append(finding("mirror_mismatch", message, [record]))

    def call(self, what: str, thunk: Any, *, may_revert: bool = False) -> Any:
        try:
            return thunk()
        except ContractLogicError:
            if may_revert:
                raise
            raise MirrorCheckUnreachableError(f"{what} reverted") from None
        except (requests.RequestException, OSError, Web3Exception, ValueError) as exc:
            raise MirrorCheckUnreachableError(f"{what}: {exc}") from exc

    def view(self, name: str, *args: Any, may_revert: bool = False) -> Any:
        function = getattr(self.ledger.functions, name)(*args)
        return self.call(
            f"{name}{args}", lambda: function.call(block_identifier=self.block), may_revert=may_revert
        )

    def balance(self, token: str) -> int:
        address = self.ledger.address
        if token == NATIVE_TOKEN:
            return int(self.call("eth_getBalance", lambda: self.w3.eth.get_balance(address, self.block)))
        erc20 = self.w3.eth.contract(address=Web3.to_checksum_address(token), abi=_ERC20_BALANCE_ABI)
        call = erc20.functions.balanceOf(address)
        return int(self.call(f"balanceOf on {token}", lambda: call.call(block_identifier=self.block)))


class MirrorVerifier:
    """Compares a campaign's totals in the mirror with the ledger contract's views. Holds no state between
    checks, so one verifier may serve concurrent requests."""

    def __init__(
        self, ledger: Contract | None = None, *, w3: Web3 | None = None, check_balances: bool = True
    ) -> None:
        """Check against ``ledger`` (a web3 contract with at least :data:`LEDGER_VIEWS_ABI`), or, given only
        ``w3``, against the contract the mirror was indexed from."""
        if ledger is not None:
            w3 = ledger.w3
        if w3 is None:
            raise ValueError("a MirrorVerifier needs the ledger contract or a Web3 connection")
        self.ledger = ledger
        self.w3: Web3 = w3
        self.check_balances = check_balances

    @classmethod
    def from_rpc(
        cls, rpc_url: str, ledger_address: str | None = None, *, timeout: float = 10.0
    ) -> MirrorVerifier:
        """A verifier through ``rpc_url`` for the ledger at ``ledger_address`` (default: the mirrored one).
        Nothing is called yet, so an unreachable node shows in the report rather than here."""
        w3 = Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}))
        if ledger_address is None:
            return cls(w3=w3)
        return cls(w3.eth.contract(address=Web3.to_checksum_address(ledger_address), abi=LEDGER_VIEWS_ABI))

    def verify(
        self, session: Session, position: MirrorPosition, claims: MirrorClaims
    ) -> tuple[ChainCheck, list[Finding]]:
        """Compare at ``position.block_number``; returns the check's summary and its findings."""
        block = position.block_number
        try:
            check = _Check(self.w3, self._ledger_of(position), block)
            if self._same_chain(check, position):
                self._compare(check, claims)
                if self.check_balances:
                    self._compare_balances(check, session, position, claims)
        except MirrorCheckUnreachableError as exc:
            message = f"the mirror was not checked against the chain: {exc}"
            return (
                ChainCheck(status="unreachable", block=block, detail=message),
                [finding("chain_unreachable", message, [RecordRef(type="chain", id=position.chain_id)])],
            )
        return self._result(check), check.findings

    def _ledger_of(self, position: MirrorPosition) -> Contract:
        if self.ledger is None:
            address = Web3.to_checksum_address(position.contract)
            return self.w3.eth.contract(address=address, abi=LEDGER_VIEWS_ABI)
        if self.ledger.address.lower() != position.contract.lower():
            raise MirrorCheckUnreachableError(
                f"the verifier reads the ledger at {self.ledger.address}, "
                f"the mirror is of {position.contract}"
            )
        return self.ledger

    @staticmethod
    def _result(check: _Check) -> ChainCheck:
        if check.findings:
            detail = (
                f"{len(check.findings)} of {check.compared} values differ"
                if check.compared
                else check.findings[0].message
            )
            return ChainCheck(
                status="mismatch",
                block=check.block,
                values_compared=check.compared,
                mismatches=len(check.findings),
                detail=detail,
            )
        return ChainCheck(
            status="verified",
            block=check.block,
            values_compared=check.compared,
            detail=f"{check.compared} values equal the contract's views at block {check.block}",
        )

    # ─── what is compared ──────────────────────────────────────────────────────────────────────────────

    @staticmethod
    def _same_chain(c: _Check, position: MirrorPosition) -> bool:
        """Whether the node serves the mirrored chain and has the mirror's block on its branch."""
        chain_id = c.call("eth_chainId", lambda: c.w3.eth.chain_id)
        if chain_id != position.chain_id:
            raise MirrorCheckUnreachableError(
                f"the node serves chain {chain_id}, the mirror is of chain {position.chain_id}"
            )
        if position.block_hash is None:
            return True
        header = c.call(f"block {position.block_number}", lambda: c.w3.eth.get_block(position.block_number))
        node_hash = Web3.to_hex(header["hash"])
        if node_hash.lower() != position.block_hash.lower():
            c.mismatch(
                f"the mirror's block {position.block_number} ({position.block_hash}) is not on the node's "
                f"chain, whose block {position.block_number} is {node_hash}: a reorganisation the indexer "
                "has not undone yet",
                RecordRef(type="block", id=position.block_number, key=position.block_hash),
            )
            return False
        return True

    @staticmethod
    def _compare(c: _Check, claims: MirrorClaims) -> None:
        campaign_ref = RecordRef(type="campaign", id=claims.campaign_id)
        units = claims.units
        try:
            info = c.view("campaign", claims.campaign_id, may_revert=True)
        except ContractLogicError:
            c.mismatch(
                f"campaign {claims.campaign_id} does not exist on chain at block {c.block}", campaign_ref
            )
            return
        _manager, _metadata, round_count, cancelled, paused, supplier_delay, chain_tokens = info
        c.equal("campaign.roundCount", round_count, claims.round_count, campaign_ref)
        c.equal("campaign.cancelled", cancelled, claims.cancelled, campaign_ref)
        c.equal("campaign.paused", paused, claims.paused, campaign_ref)
        c.equal("campaign.supplierDelay", supplier_delay, claims.supplier_delay, campaign_ref)
        tokens = sorted({*chain_tokens, *claims.tokens})
        for token in tokens:
            ref = RecordRef(type="token", key=token)
            if token not in chain_tokens:
                c.mismatch(
                    f"token {units.label(token)} ({token}) is accepted in the mirror, not on chain", ref
                )
                continue
            totals = c.view("tokenTotals", claims.campaign_id, token)
            mirror = claims.tokens.get(token, (0, 0, 0, 0))
            for name, on_chain, in_mirror in zip(
                ("pledged", "refunded", "disbursed", "held"), totals[:4], mirror, strict=True
            ):
                what = f"tokenTotals({units.label(token)}).{name}"
                c.equal_amounts(what, on_chain, in_mirror, ref, token, units)
        for round_id in range(1, max(round_count, max(claims.rounds, default=0)) + 1):
            ref = RecordRef(type="round", id=round_id)
            claim = claims.rounds.get(round_id)
            if claim is None or round_id > round_count:
                where = "missing from" if claim is None else "only in"
                c.mismatch(f"round {round_id} is {where} the mirror", ref)
                continue
            _start, _end, state, _aon, _goal, raised = c.view("round", claims.campaign_id, round_id)
            c.equal(f"round({round_id}).state", state, claim.state, ref)
            c.equal(f"round({round_id}).raisedUsd", raised, claim.raised_usd, ref)
            for token in tokens:
                if token not in chain_tokens:
                    continue
                pledged, refunded = c.view("roundTokenTotals", claims.campaign_id, round_id, token)
                mirror_pledged, mirror_refunded = claim.tokens.get(token, (0, 0))
                label = f"roundTokenTotals({round_id}, {units.label(token)})"
                c.equal_amounts(f"{label}.pledged", pledged, mirror_pledged, ref, token, units)
                c.equal_amounts(f"{label}.refunded", refunded, mirror_refunded, ref, token, units)

    @staticmethod
    def _compare_balances(
        c: _Check, session: Session, position: MirrorPosition, claims: MirrorClaims
    ) -> None:
        """The contract's balance of each of the campaign's tokens covers what every campaign holds in the
        mirror (it may exceed it: anyone can send tokens to a contract without pledging)."""
        held = claims.ledger_held if claims.ledger_held is not None else ledger_held(session, position)
        for token in sorted(claims.tokens):
            balance = c.balance(token)
            c.compared += 1
            if balance < held.get(token, 0):
                c.mismatch(
                    f"the ledger's balance of {claims.units.label(token)} at block {c.block} is "
                    f"{claims.units.amount(balance, token)}, less than the "
                    f"{claims.units.amount(held.get(token, 0), token)} all campaigns hold in the mirror",
                    RecordRef(type="token", key=token),
                )
