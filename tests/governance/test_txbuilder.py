"""Safe Transaction Builder batch files (:mod:`ledger.governance.txbuilder`): the app's format and checksum,
refusals of a changed, broken or foreign file, and batches run through the real Safe contracts on Anvil by the
board's owners, as they would after importing the file in Safe{Wallet}.

Checksum vectors:

- ``OFFICIAL_VECTOR``: the Transaction Builder's own unit test (``safe-global/safe-react-apps``,
  ``apps/tx-builder/src/lib/checksum.test.js``), computed by ``addChecksum`` over the object as given there
  (with ``meta.checksum: ''`` in it, and ``data``-only and method-only transactions).
- ``EXPORTED_FILE``: a file the app itself exported (``txBuilderVersion`` 1.16.5), quoted in a public
  repository's Foundry script; its ``meta.checksum`` is the app's.
- ``THIRD_PARTY_VECTOR``: a batch of ``txBuilderVersion`` 1.18.0 and the checksum a third-party tool's test
  expects for it.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from eth_abi.abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD

from ledger.chain import ErrorDecoder, Transactor, connect, dev_accounts
from ledger.client import LedgerCalls
from ledger.client.calls import Call
from ledger.compiler import Build
from ledger.deploy import Deployment, deploy_local
from ledger.errors import BatchChecksumError, BatchFileError, WrongChainError
from ledger.governance.local import BOARD_OWNERS, GUARDIAN_OWNERS, LOCAL_TIMELOCK_DELAY
from ledger.governance.multisend import batch_transaction, execute_batch, multisend_data, pack_multisend
from ledger.governance.safe import Operation, SafeAccount, safe_artifact
from ledger.governance.timelock import OperationState, Timelock, TimelockOperation
from ledger.governance.txbuilder import (
    TX_BUILDER_VERSION,
    Batch,
    batch_checksum,
    parse_batch,
    read_batch,
    serialize_for_checksum,
    write_batch,
)
from ledger.node import LocalNode
from tests.support.chain import ChainClock, reverted, reverts
from tests.support.units import DAY, ETH

OFFICIAL_VECTOR: dict[str, Any] = {
    "version": "1.0",
    "chainId": "4",
    "createdAt": 1646321521061,
    "meta": {
        "name": "test batch file",
        "txBuilderVersion": "1.4.0",
        "checksum": "",
        "createdFromSafeAddress": "0xDF8a1Ce35c9a6ACE153B4e0767942f1E2291a1Aa",
        "createdFromOwnerAddress": "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6",
    },
    "transactions": [
        {
            "to": "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6",
            "value": "0",
            "contractMethod": {
                "inputs": [{"internalType": "address", "name": "paramAddress", "type": "address"}],
                "name": "testAddress",
                "payable": False,
            },
            "contractInputsValues": {"paramAddress": "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6"},
        },
        {
            "to": "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6",
            "value": "0",
            "contractMethod": {
                "inputs": [{"internalType": "bool", "name": "paramBool", "type": "bool"}],
                "name": "testBool",
                "payable": False,
            },
            "contractInputsValues": {"paramAddress": "", "paramBool": "false"},
        },
        {
            "to": "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6",
            "value": "2000000000000000000",
            "data": "0x42f4579000000000000000000000000049d4450977e2c95362c13d3a31a09311e0ea26a6",
        },
    ],
}
OFFICIAL_CHECKSUM = "0x4ecbfd364aa6759983915644e73f8bd411e85a2dc306f252a387c2728c4db64c"

EXPORTED_FILE = (
    '{"version":"1.0","chainId":"1","createdAt":1713949623894,"meta":{"name":"Transactions Batch",'
    '"description":"","txBuilderVersion":"1.16.5","createdFromSafeAddress":'
    '"0xcdd57D11476c22d265722F68390b036f3DA48c21","createdFromOwnerAddress":"","checksum":'
    '"0x37b66d67757452f835ebc6540e283e27544d1414409577963593e7e535ce3ad9"},\n"transactions":[\n'
    '{"to":"0x9f26d4C958fD811A1F59B01B86Be7dFFc9d20761","value":"0","data":null,"contractMethod":'
    '{"inputs":[{"internalType":"address","name":"target","type":"address"},{"internalType":"uint256",'
    '"name":"value","type":"uint256"},{"internalType":"bytes","name":"data","type":"bytes"},'
    '{"internalType":"bytes32","name":"predecessor","type":"bytes32"},{"internalType":"bytes32",'
    '"name":"salt","type":"bytes32"},{"internalType":"uint256","name":"delay","type":"uint256"}],'
    '"name":"schedule","payable":false},"contractInputsValues":{"target":'
    '"0x9FFDF407cDe9a93c47611799DA23924Af3EF764F","value":"0","data":"0x3beb55170000000000000000000000006'
    "1ff310ac15a517a846da08ac9f9abf2a0f9a2bf00000000000000000000000000000000000000000000000000000000000007"
    'd00000000000000000000000000000000000000000000000000000000000001388","predecessor":"0x0","salt":"0x0",'
    '"delay":"259200"}}\n]\n}'
)

THIRD_PARTY_VECTOR: dict[str, Any] = {
    "version": "1.0",
    "chainId": "1",
    "createdAt": 1750255509666,
    "meta": {
        "name": "Transactions Batch",
        "description": "",
        "txBuilderVersion": "1.18.0",
        "createdFromSafeAddress": "0x7eC991e1648B7F1d5fa91ae3688C9f36a5CA6C8B",
        "createdFromOwnerAddress": "",
    },
    "transactions": [
        {
            "to": "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
            "value": "0",
            "data": None,
            "contractMethod": {
                "inputs": [
                    {"name": "to", "type": "address", "internalType": "address"},
                    {"name": "value", "type": "uint256", "internalType": "uint256"},
                ],
                "name": "transfer",
                "payable": False,
            },
            "contractInputsValues": {"to": "0x116Da30d890533516f2683731F9Bd167807448b8", "value": "1000000"},
        }
    ],
}
THIRD_PARTY_CHECKSUM = "0xf1966baf2cdc7c68774e5be291e81549cc7438efbceccaad0003bb12f8d30baf"

TARGET = "0x49d4450977E2c95362C13D3a31a09311E0Ea26A6"
CALLS = (
    Call(TARGET, bytes.fromhex("a9059cbb") + b"\x01" * 64, 0, "transfer"),
    Call("0x9f26d4C958fD811A1F59B01B86Be7dFFc9d20761", b"", 5 * 10**18, "send"),
)
SAFE = "0xDF8a1Ce35c9a6ACE153B4e0767942f1E2291a1Aa"
CHAIN = 31337
RECORD = b"\x11" * 32


# ─── the format and its checksum ─────────────────────────────────────────────────────────────────────


def _add_checksum(document: dict[str, Any]) -> str:
    """The app's ``addChecksum`` as its unit test calls it: over the object as given, ``meta.checksum``
    included (``''`` there), ``meta.name`` null."""
    text = serialize_for_checksum({**document, "meta": {**document["meta"], "name": None}})
    return "0x" + keccak(text.encode()).hex()


def test_the_checksum_is_the_transaction_builders() -> None:
    assert _add_checksum(OFFICIAL_VECTOR) == OFFICIAL_CHECKSUM
    # A file is checked without its checksum key (``validateChecksum``), as the app exports it: computed on a
    # batch that had none (``generateBatchFile``). So the unit test's object, which had ``checksum: ''``,
    # would not validate; ours never carries one while it is checksummed.
    assert batch_checksum(OFFICIAL_VECTOR) != OFFICIAL_CHECKSUM
    without = {
        **OFFICIAL_VECTOR,
        "meta": {k: v for k, v in OFFICIAL_VECTOR["meta"].items() if k != "checksum"},
    }
    assert batch_checksum(without) == _add_checksum(without)
    exported = json.loads(EXPORTED_FILE)
    assert batch_checksum(exported) == exported["meta"]["checksum"]
    assert batch_checksum(THIRD_PARTY_VECTOR) == THIRD_PARTY_CHECKSUM
    # The order of the keys in the file does not matter; the order of the transactions does.
    reordered = {k: OFFICIAL_VECTOR[k] for k in reversed(list(OFFICIAL_VECTOR))}
    reordered["meta"] = {k: OFFICIAL_VECTOR["meta"][k] for k in reversed(list(OFFICIAL_VECTOR["meta"]))}
    assert _add_checksum(reordered) == OFFICIAL_CHECKSUM
    swapped = {**OFFICIAL_VECTOR, "transactions": list(reversed(OFFICIAL_VECTOR["transactions"]))}
    assert _add_checksum(swapped) != OFFICIAL_CHECKSUM


def test_the_serialisation_is_the_apps_byte_for_byte() -> None:
    """``serializeJSONObject`` lays an object out as its sorted keys then each value followed by a comma;
    strings and numbers as ``JSON.stringify`` writes them (no escaping of non-ASCII, JavaScript numbers)."""
    value = {"b": [1, "é", None], "a": {"y": True, "x": 1.5e25}, "c": 1e-7, "d": 2**64, "e": 100.0}
    assert serialize_for_checksum(value) == (
        '{["a","b","c","d","e"]{["x","y"]1.5e+25,true,},[1,"é",null],1e-7,18446744073709552000,100,}'
    )
    # JavaScript sorts keys by UTF-16 code units: an astral character (a surrogate pair) before U+E000.
    assert serialize_for_checksum({"\ue000": 1, "\U0001f600": 2}) == '{["\U0001f600","\ue000"]2,1,}'


def test_a_written_batch_reads_back_with_the_apps_layout(tmp_path: Path) -> None:
    path = write_batch(
        tmp_path / "batch.json", CALLS, chain_id=CHAIN, safe=SAFE.lower(), name="Pay", description="Two calls"
    )
    document = json.loads(path.read_text())
    assert list(document) == ["version", "chainId", "createdAt", "meta", "transactions"]
    assert document["version"] == "1.0"
    assert document["chainId"] == "31337"
    assert isinstance(document["createdAt"], int) and document["createdAt"] > 1_600_000_000_000  # ms
    assert document["meta"] == {
        "name": "Pay",
        "description": "Two calls",
        "txBuilderVersion": TX_BUILDER_VERSION,
        "createdFromSafeAddress": SAFE,
        "createdFromOwnerAddress": "",
        "checksum": batch_checksum(document),
    }
    assert document["transactions"] == [
        {
            "to": TARGET,
            "value": "0",
            "data": "0xa9059cbb" + "01" * 64,
            "contractMethod": None,
            "contractInputsValues": None,
        },
        {
            "to": CALLS[1].target,
            "value": "5000000000000000000",
            "data": "0x",
            "contractMethod": None,
            "contractInputsValues": None,
        },
    ]
    batch = read_batch(path, chain_id=CHAIN)
    assert [(c.to, c.data, c.value) for c in batch.calls] == [(c.to, c.data, c.value) for c in CALLS]
    assert (batch.chain_id, batch.safe, batch.name, batch.description) == (CHAIN, SAFE, "Pay", "Two calls")
    assert batch.checksum == document["meta"]["checksum"]

    # Renaming the batch (in the app, or by hand) keeps it valid: the name is out of the checksum.
    document["meta"]["name"] = "Renamed"
    path.write_text(json.dumps(document))
    assert read_batch(path, chain_id=CHAIN).name == "Renamed"


def test_files_the_app_exported_are_read_with_their_method_encoded() -> None:
    batch = parse_batch(json.loads(EXPORTED_FILE), chain_id=1)
    (call,) = batch.calls
    assert call.function == "schedule"
    inputs = json.loads(EXPORTED_FILE)["transactions"][0]["contractInputsValues"]
    assert call.data == keccak(text="schedule(address,uint256,bytes,bytes32,bytes32,uint256)")[
        :4
    ] + abi_encode(
        ["address", "uint256", "bytes", "bytes32", "bytes32", "uint256"],
        [inputs["target"], 0, bytes.fromhex(inputs["data"][2:]), b"\x00" * 32, b"\x00" * 32, 259200],
    )
    assert batch.safe == "0xcdd57D11476c22d265722F68390b036f3DA48c21"
    # The app's own test batch: methods, and custom data that wins over nothing else.
    official = parse_batch(OFFICIAL_VECTOR, chain_id=4, require_checksum=False)
    assert [c.function for c in official.calls] == ["testAddress", "testBool", "call"]
    assert official.calls[1].data == keccak(text="testBool(bool)")[:4] + abi_encode(["bool"], [False])
    assert official.calls[2].value == 2 * 10**18


def _written(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    path = write_batch(tmp_path / "batch.json", CALLS, chain_id=CHAIN, safe=SAFE, name="Pay", description="")
    return path, json.loads(path.read_text())


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda d: d["transactions"][0].update(to=SAFE), id="target"),
        pytest.param(lambda d: d["transactions"][1].update(value="6000000000000000000"), id="value"),
        pytest.param(lambda d: d["transactions"][0].update(data="0xa9059cbb" + "02" * 64), id="data"),
        pytest.param(lambda d: d["transactions"].reverse(), id="order"),
        pytest.param(lambda d: d["transactions"].pop(), id="removed"),
        pytest.param(lambda d: d["meta"].update(description="changed"), id="description"),
        pytest.param(lambda d: d["meta"].update(createdFromSafeAddress=TARGET), id="safe"),
        pytest.param(lambda d: d.update(createdAt=d["createdAt"] + 1), id="createdAt"),
    ],
)
def test_a_tampered_file_is_refused(tmp_path: Path, tamper: Any) -> None:
    path, document = _written(tmp_path)
    tamper(document)
    path.write_text(json.dumps(document))
    with pytest.raises(BatchChecksumError, match="modified after it was exported"):
        read_batch(path, chain_id=CHAIN)


def test_a_file_without_checksum_is_refused_unless_allowed(tmp_path: Path) -> None:
    path, document = _written(tmp_path)
    del document["meta"]["checksum"]
    path.write_text(json.dumps(document))
    with pytest.raises(BatchChecksumError, match="no checksum"):
        read_batch(path, chain_id=CHAIN)
    assert len(read_batch(path, chain_id=CHAIN, require_checksum=False).calls) == 2


def test_a_batch_for_another_chain_is_refused(tmp_path: Path) -> None:
    path, _ = _written(tmp_path)
    with pytest.raises(WrongChainError, match="for chain 31337, not for this chain \\(1\\)"):
        read_batch(path, chain_id=1)
    assert read_batch(path).chain_id == CHAIN  # without a chain to check against


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "not JSON"),
        ("{", "not JSON"),
        ("[]", "not a JSON object"),
        ('{"data": {}}', "whole library"),
        ('{"version": "2.0"}', "format version '2.0'"),
        ('{"version": "1.0", "chainId": 31337}', "no valid chainId"),
        ('{"version": "1.0", "chainId": "31337", "meta": {}, "transactions": []}', "no transactions"),
        ('{"version": "1.0", "chainId": "31337", "transactions": [{}]}', "no meta"),
    ],
)
def test_a_broken_file_is_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "broken.json"
    path.write_text(content)
    with pytest.raises(BatchFileError, match=message):
        read_batch(path)


@pytest.mark.parametrize(
    ("transaction", "message"),
    [
        ({"to": "0x12", "value": "0", "data": "0x"}, "'to' is not an address"),
        ({"to": TARGET, "value": 0, "data": "0x"}, "'value' must be a decimal string"),
        ({"to": TARGET, "value": "-1", "data": "0x"}, "'value' must be a decimal string"),
        ({"to": TARGET, "value": "0", "data": "0xabc"}, "'data' is not 0x-prefixed hex"),
        ({"to": TARGET, "value": "0", "data": "abcd"}, "'data' is not 0x-prefixed hex"),
        (
            {"to": TARGET, "value": "0", "contractMethod": {"name": "f", "inputs": [{"type": "uint256[]"}]}},
            "no value for argument '0'",
        ),
        (
            {
                "to": TARGET,
                "value": "0",
                "contractMethod": {"name": "f", "inputs": [{"name": "a", "type": "uint256[]"}]},
                "contractInputsValues": {"a": "[1,2]"},
            },
            "argument 'a' of f is of type uint256\\[\\], which only the Transaction Builder app encodes",
        ),
        (
            {
                "to": TARGET,
                "value": "0",
                "contractMethod": {"name": "f", "inputs": [{"name": "a", "type": "address"}]},
                "contractInputsValues": {"a": "nobody"},
            },
            "argument 'a' of f \\(address\\) is invalid",
        ),
    ],
)
def test_a_broken_transaction_is_a_clear_error(transaction: dict[str, Any], message: str) -> None:
    document: dict[str, Any] = {"version": "1.0", "chainId": "1", "meta": {"name": "x"}}
    document["transactions"] = [transaction]
    document["meta"]["checksum"] = batch_checksum(document)
    with pytest.raises(BatchFileError, match=f"transaction 1: {message}"):
        parse_batch(document)


def test_a_batch_needs_a_call(tmp_path: Path) -> None:
    with pytest.raises(BatchFileError, match="at least one call"):
        write_batch(tmp_path / "empty.json", [], chain_id=CHAIN, safe=None, name="x", description="")


def test_multisend_packs_each_call() -> None:
    packed = pack_multisend(CALLS)
    first = b"\x00" + bytes.fromhex(TARGET[2:]) + (0).to_bytes(32, "big") + (68).to_bytes(32, "big")
    first += CALLS[0].data
    second = b"\x00" + bytes.fromhex(CALLS[1].target[2:]) + (5 * 10**18).to_bytes(32, "big")
    second += (0).to_bytes(32, "big")
    assert packed == first + second
    multi_send = Web3().eth.contract(abi=safe_artifact("MultiSendCallOnly").abi)
    assert multisend_data(CALLS).hex() == multi_send.encode_abi("multiSend", [packed])[2:]


# ─── batches run by the board Safe on Anvil ──────────────────────────────────────────────────────────


@dataclass
class Chain(ChainClock):
    w3: Web3
    build: Build
    deployment: Deployment
    ledger: Contract
    timelock: Timelock
    board: SafeAccount
    guardian: SafeAccount
    multi_send: str
    submitter: Transactor
    keys: list[LocalAccount]

    @property
    def calls(self) -> LedgerCalls:
        return LedgerCalls(self.ledger.address, self.build["PledgeLedger"].abi)

    @property
    def board_owners(self) -> list[LocalAccount]:
        return [self.keys[i] for i in BOARD_OWNERS]

    def execute(self, operation: TimelockOperation) -> Any:
        return self.submitter.send_raw(
            {"to": self.timelock.address, "data": self.timelock.execute_data(operation)}, "executeBatch"
        )

    def schedule_call(self, operation: TimelockOperation) -> Call:
        return Call(self.timelock.address, self.timelock.schedule_data(operation), 0, "scheduleBatch")

    def board_batch(
        self, path: Path, operations: list[TimelockOperation], name: str, description: str
    ) -> Batch:
        """The board's batch scheduling ``operations``, as written to ``path`` and read back."""
        chain_id = self.w3.eth.chain_id
        calls = [self.schedule_call(operation) for operation in operations]
        write_batch(
            path, calls, chain_id=chain_id, safe=self.board.address, name=name, description=description
        )
        return read_batch(path, chain_id=chain_id)

    def forget_nonces(self) -> None:
        self.submitter.reset_nonce()

    def new_campaign(self, manager: str) -> TimelockOperation:
        """createCampaign and acceptToken (ETH) of the campaign it creates, as one timelock operation."""
        campaign_id = int(self.ledger.functions.campaignCount().call()) + 1
        feed = self.deployment.tokens["ETH"].feed
        return TimelockOperation(
            (
                self.calls.create_campaign(manager, "WAHO", RECORD, DAY),
                self.calls.accept_token(campaign_id, ETH, feed, DAY),
            ),
            salt=secrets.token_bytes(32),
        )


@pytest.fixture(scope="module")
def _chain(anvil: LocalNode, build: Build) -> Iterator[Chain]:
    """``deploy_local`` on the session's Anvil; the chain is put back as it was after the module."""
    w3 = connect(anvil.rpc_url)
    before = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    keys = dev_accounts(10)
    submitter = Transactor(w3, keys[0], ErrorDecoder(a.abi for a in build.artifacts.values()))
    submitter.reset_nonce()
    deployment = deploy_local(w3, submitter, build, keys)
    governance = deployment.governance
    assert governance is not None
    ledger = w3.eth.contract(
        address=Web3.to_checksum_address(deployment.ledger), abi=build["PledgeLedger"].abi
    )
    try:
        yield Chain(
            w3=w3,
            build=build,
            deployment=deployment,
            ledger=ledger,
            timelock=Timelock(w3, governance.timelock, build),
            board=SafeAccount(w3, governance.board_safe),
            guardian=SafeAccount(w3, governance.guardian_safe),
            multi_send=governance.safe_contracts.multi_send,
            submitter=submitter,
            keys=keys,
        )
    finally:
        w3.provider.make_request("evm_revert", [before])  # type: ignore[arg-type]


@pytest.fixture
def chain(_chain: Chain) -> Iterator[Chain]:
    with reverted(_chain) as rewound:
        yield rewound


def _events(contract: Contract, receipt: Any, name: str) -> list[Any]:
    return [e["args"] for e in getattr(contract.events, name)().process_receipt(receipt, errors=DISCARD)]


def test_one_call_batch_schedules_through_the_board_and_runs_after_the_delay(
    chain: Chain, tmp_path: Path
) -> None:
    manager = chain.keys[1].address
    operation = chain.new_campaign(manager)
    batch = chain.board_batch(
        tmp_path / "schedule.json", [operation], "New campaign", "createCampaign + acceptToken(ETH)"
    )
    tx = batch_transaction(chain.board, chain.multi_send, batch)
    assert (tx.to, tx.operation, tx.data) == (chain.timelock.address, Operation.CALL, batch.calls[0].data)

    receipt = execute_batch(chain.board, chain.multi_send, chain.submitter, chain.board_owners[:2], batch)
    assert _events(chain.board.contract, receipt, "ExecutionSuccess")
    assert chain.board.nonce() == 1
    assert chain.timelock.state(operation) is OperationState.WAITING
    assert chain.ledger.functions.campaignCount().call() == 0

    chain.advance(LOCAL_TIMELOCK_DELAY + 1)
    receipt = chain.execute(operation)
    (created,) = _events(chain.ledger, receipt, "CampaignCreated")
    assert (created["campaignId"], created["manager"]) == (1, manager)
    assert chain.ledger.functions.campaign(1).call()[6] == [ETH]
    assert chain.timelock.state(operation) is OperationState.DONE


def test_two_call_batch_runs_as_one_multisend_delegatecall(chain: Chain, tmp_path: Path) -> None:
    """Two timelock operations scheduled in one Safe transaction; the second (a new manager for the campaign
    the first creates) can only run after the first."""
    first = chain.new_campaign(chain.keys[1].address)
    new_manager = chain.keys[2].address
    second = TimelockOperation((chain.calls.set_manager(1, new_manager),), predecessor=first.id)
    batch = chain.board_batch(tmp_path / "two.json", [first, second], "Campaign and its manager", "")
    tx = batch_transaction(chain.board, chain.multi_send, batch)
    assert (tx.to, tx.operation, tx.value) == (chain.multi_send, Operation.DELEGATE_CALL, 0)

    receipt = execute_batch(chain.board, chain.multi_send, chain.submitter, chain.board_owners[1:], batch)
    assert _events(chain.board.contract, receipt, "ExecutionSuccess")
    assert chain.board.nonce() == 1  # one Safe transaction for both
    scheduled = _events(chain.timelock.contract, receipt, "CallScheduled")
    assert [(e["id"], e["index"]) for e in scheduled] == [(first.id, 0), (first.id, 1), (second.id, 0)]
    # The calls came from the Safe itself (delegatecall), the timelock's proposer.
    assert chain.timelock.state(first) is chain.timelock.state(second) is OperationState.WAITING

    chain.advance(LOCAL_TIMELOCK_DELAY + 1)
    chain.execute(first)
    chain.execute(second)
    assert chain.ledger.functions.campaign(1).call()[0] == new_manager


def test_too_few_signatures_revert_and_change_nothing(chain: Chain, tmp_path: Path) -> None:
    operation = chain.new_campaign(chain.keys[1].address)
    other = chain.new_campaign(chain.keys[2].address)
    batch = Batch(
        chain_id=chain.w3.eth.chain_id,
        calls=(chain.schedule_call(operation), chain.schedule_call(other)),
        safe=chain.board.address,
    )
    with reverts("Error", "GS020"):  # signatures too short for the threshold of 2
        execute_batch(chain.board, chain.multi_send, chain.submitter, chain.board_owners[:1], batch)
    stranger = chain.keys[3]
    with reverts("Error", "GS026"):  # an owner and a stranger are not two owners
        execute_batch(chain.board, chain.multi_send, chain.submitter, [chain.keys[0], stranger], batch)
    assert chain.board.nonce() == 0
    assert chain.timelock.state(operation) is chain.timelock.state(other) is OperationState.UNSET


def test_a_failing_call_reverts_the_whole_batch(chain: Chain) -> None:
    """MultiSendCallOnly runs all or nothing: the second scheduling of the same operation fails, so the first
    is undone too. With no safeTxGas set, Safe 1.5.0 reverts with the inner call's own error."""
    operation = chain.new_campaign(chain.keys[1].address)
    batch = Batch(
        chain_id=chain.w3.eth.chain_id,
        calls=(chain.schedule_call(operation), chain.schedule_call(operation)),
    )
    with reverts("TimelockUnexpectedOperationState"):
        execute_batch(chain.board, chain.multi_send, chain.submitter, chain.board_owners[:2], batch)
    assert chain.board.nonce() == 0
    assert chain.timelock.state(operation) is OperationState.UNSET


def test_a_batch_for_another_chain_or_safe_is_not_executed(chain: Chain) -> None:
    operation = chain.new_campaign(chain.keys[1].address)
    batch = Batch(
        chain_id=chain.w3.eth.chain_id, calls=(chain.schedule_call(operation),), safe=chain.board.address
    )
    with pytest.raises(WrongChainError):
        execute_batch(
            chain.board, chain.multi_send, chain.submitter, chain.board_owners[:2], replace(batch, chain_id=1)
        )
    guardian_owners = [chain.keys[i] for i in GUARDIAN_OWNERS]
    with pytest.raises(BatchFileError, match="made for the Safe"):
        execute_batch(chain.guardian, chain.multi_send, chain.submitter, guardian_owners, batch)
    assert chain.board.nonce() == chain.guardian.nonce() == 0
    assert chain.timelock.state(operation) is OperationState.UNSET
