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

from ledger.reconcile.findings import finding
from ledger.reconcile.queries import MirrorPosition, ledger_held
from ledger.reconcile.report import ChainCheck, Finding, RecordRef
from ledger.reconcile.units import NATIVE_TOKEN, token_label


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

#: RoundState as the contract numbers it.
OPEN = 1


@dataclass(frozen=True)
class RoundClaim:
    """What the mirror says of one round: its state (1 open, 2 succeeded, 3 failed, 4 cancelled), the sum
    of its pledges' USD values, and per token (pledged, refunded)."""

    state: int
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


class _UnreachableError(Exception):
    """The node did not answer (or cannot serve the state at the mirror's block)."""


class _Comparison:
    """Collects compared values and the mismatches among them."""

    def __init__(self, block: int) -> None:
        self.block = block
        self.compared = 0
        self.findings: list[Finding] = []

    def equal(self, what: str, chain: Any, mirror: Any, record: RecordRef) -> None:
        self.compared += 1
        if chain != mirror:
            self.mismatch(f"{what} at block {self.block}: chain {chain}, mirror {mirror}", record)

    def mismatch(self, message: str, record: RecordRef) -> None:
        self.findings.append(finding("mirror_mismatch", message, [record]))


class MirrorVerifier:
    """Compares a campaign's totals in the mirror with the ledger contract's views."""

    def __init__(self, ledger: Contract, *, check_balances: bool = True) -> None:
        self.ledger = ledger
        self.w3: Web3 = ledger.w3
        self.check_balances = check_balances

    @classmethod
    def from_rpc(cls, rpc_url: str, ledger_address: str, *, timeout: float = 10.0) -> MirrorVerifier:
        """A verifier for the ledger at ``ledger_address`` through ``rpc_url``; nothing is called yet, so an
        unreachable node shows in the report rather than here."""
        w3 = Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}))
        ledger = w3.eth.contract(address=Web3.to_checksum_address(ledger_address), abi=LEDGER_VIEWS_ABI)
        return cls(ledger)

    def verify(
        self, session: Session, position: MirrorPosition, claims: MirrorClaims
    ) -> tuple[ChainCheck, list[Finding]]:
        """Compare at ``position.block_number``; returns the check's summary and its findings."""
        block = position.block_number
        try:
            problem = self._same_chain(position)
            if problem is not None:
                return self._result(block, 0, [problem])
            comparison = _Comparison(block)
            self._compare(comparison, claims)
            if self.check_balances:
                self._compare_balances(comparison, session, position, claims)
        except _UnreachableError as exc:
            message = f"the mirror was not checked against the chain: {exc}"
            return (
                ChainCheck(status="unreachable", block=block, detail=message),
                [finding("chain_unreachable", message, [RecordRef(type="chain", id=position.chain_id)])],
            )
        return self._result(block, comparison.compared, comparison.findings)

    @staticmethod
    def _result(block: int, compared: int, findings: list[Finding]) -> tuple[ChainCheck, list[Finding]]:
        if findings:
            detail = f"{len(findings)} of {compared} values differ" if compared else findings[0].message
            return (
                ChainCheck(
                    status="mismatch",
                    block=block,
                    values_compared=compared,
                    mismatches=len(findings),
                    detail=detail,
                ),
                findings,
            )
        return (
            ChainCheck(
                status="verified",
                block=block,
                values_compared=compared,
                detail=f"{compared} values equal the contract's views at block {block}",
            ),
            [],
        )

    # ─── calls ─────────────────────────────────────────────────────────────────────────────────────────

    def _call(self, what: str, thunk: Any, *, may_revert: bool = False) -> Any:
        try:
            return thunk()
        except ContractLogicError:
            if may_revert:
                raise
            raise _UnreachableError(f"{what} reverted") from None
        except (requests.RequestException, OSError, Web3Exception, ValueError) as exc:
            raise _UnreachableError(f"{what}: {exc}") from exc

    def _view(self, block: int, name: str, *args: Any, may_revert: bool = False) -> Any:
        function = getattr(self.ledger.functions, name)(*args)
        return self._call(
            f"{name}{args}", lambda: function.call(block_identifier=block), may_revert=may_revert
        )

    def _same_chain(self, position: MirrorPosition) -> Finding | None:
        chain_id = self._call("eth_chainId", lambda: self.w3.eth.chain_id)
        if chain_id != position.chain_id:
            raise _UnreachableError(
                f"the node serves chain {chain_id}, the mirror is of chain {position.chain_id}"
            )
        if position.block_hash is None:
            return None
        header = self._call(
            f"block {position.block_number}", lambda: self.w3.eth.get_block(position.block_number)
        )
        node_hash = Web3.to_hex(header["hash"])
        if node_hash.lower() != position.block_hash.lower():
            return finding(
                "mirror_mismatch",
                f"the mirror's block {position.block_number} ({position.block_hash}) is not on the node's "
                f"chain, whose block {position.block_number} is {node_hash}: a reorganisation the indexer "
                "has not undone yet",
                [RecordRef(type="block", id=position.block_number, key=position.block_hash)],
            )
        return None

    def _compare(self, c: _Comparison, claims: MirrorClaims) -> None:
        campaign_ref = RecordRef(type="campaign", id=claims.campaign_id)
        try:
            info = self._view(c.block, "campaign", claims.campaign_id, may_revert=True)
        except ContractLogicError:
            c.mismatch(
                f"campaign {claims.campaign_id} does not exist on chain at block {c.block}", campaign_ref
            )
            return
        _manager, _metadata, round_count, cancelled, chain_tokens = info
        c.equal("campaign.roundCount", round_count, claims.round_count, campaign_ref)
        c.equal("campaign.cancelled", cancelled, claims.cancelled, campaign_ref)
        tokens = sorted({*chain_tokens, *claims.tokens})
        for token in tokens:
            ref = RecordRef(type="token", key=token)
            if token not in chain_tokens:
                c.mismatch(f"token {token} is accepted in the mirror, not on chain", ref)
                continue
            totals = self._view(c.block, "tokenTotals", claims.campaign_id, token)
            mirror = claims.tokens.get(token, (0, 0, 0, 0))
            for name, on_chain, in_mirror in zip(
                ("pledged", "refunded", "disbursed", "held"), totals[:4], mirror, strict=True
            ):
                c.equal(f"tokenTotals({token_label(token)}).{name}", on_chain, in_mirror, ref)
        for round_id in range(1, max(round_count, max(claims.rounds, default=0)) + 1):
            ref = RecordRef(type="round", id=round_id)
            claim = claims.rounds.get(round_id)
            if claim is None or round_id > round_count:
                c.mismatch(
                    f"round {round_id} is {'missing from' if claim is None else 'only in'} the mirror", ref
                )
                continue
            _start, _end, state, _aon, _goal, raised = self._view(
                c.block, "round", claims.campaign_id, round_id
            )
            c.equal(f"round({round_id}).state", state, claim.state, ref)
            c.equal(f"round({round_id}).raisedUsd", raised, claim.raised_usd, ref)
            for token in tokens:
                if token not in chain_tokens:
                    continue
                pledged, refunded = self._view(
                    c.block, "roundTokenTotals", claims.campaign_id, round_id, token
                )
                mirror_pledged, mirror_refunded = claim.tokens.get(token, (0, 0))
                label = f"roundTokenTotals({round_id}, {token_label(token)})"
                c.equal(f"{label}.pledged", pledged, mirror_pledged, ref)
                c.equal(f"{label}.refunded", refunded, mirror_refunded, ref)

    def _compare_balances(
        self, c: _Comparison, session: Session, position: MirrorPosition, claims: MirrorClaims
    ) -> None:
        """The contract's balance of each of the campaign's tokens covers what every campaign holds in the
        mirror (it may exceed it: anyone can send tokens to a contract without pledging)."""
        held = ledger_held(session, position)
        for token in sorted(claims.tokens):
            balance = self._balance(token, c.block)
            c.compared += 1
            if balance < held.get(token, 0):
                c.mismatch(
                    f"the ledger's balance of {token_label(token)} at block {c.block} is {balance}, "
                    f"less than the {held.get(token, 0)} all campaigns hold in the mirror",
                    RecordRef(type="token", key=token),
                )

    def _balance(self, token: str, block: int) -> int:
        address = self.ledger.address
        if token == NATIVE_TOKEN:
            return int(self._call("eth_getBalance", lambda: self.w3.eth.get_balance(address, block)))
        erc20 = self.w3.eth.contract(address=Web3.to_checksum_address(token), abi=_ERC20_BALANCE_ABI)
        call = erc20.functions.balanceOf(address)
        return int(self._call(f"balanceOf on {token}", lambda: call.call(block_identifier=block)))
