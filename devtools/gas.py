"""Gas used by the ledger's hot paths, measured on a fresh Anvil: ``scripts/gas_report.py`` prints it, and
``tests/contracts/test_gas_snapshot.py`` checks it against the committed ``contracts/gas-snapshot.json``.

Every figure is a receipt's ``gasUsed``: the whole transaction, 21,000 base and calldata included,
after refunds. The price feeds are the mock aggregators (one storage read); a production Chainlink
feed (proxy + aggregator) costs a few thousand gas more per pledge.

Scenario: a campaign accepting ETH and USDC (6 decimals); donor A pledges first, so the round's
totals exist; donor B's first pledge pays for its new storage slot, its second is a repeat. ERC-20
pledges approve the exact amount first, as wallets do. Then the round closes, a supplier is paid
in USDC twice (the first payment of a campaign's token starts its ``disbursed`` total, a new storage
slot; the repeat does not), and a failed all-or-nothing round refunds ETH to a donor who claims it.
Last, a failed all-or-nothing round of 100 donors (accounts from fixed keys, each pledging ETH and all
the USDC it holds, so every ERC-20 refund writes a zero balance: the dearest case) is pushed back in one
batch per token; the per-donor figures are each batch's gas divided by 100.
"""

from __future__ import annotations

import json

from eth_account import Account
from eth_utils.crypto import keccak
from web3 import Web3
from web3.contract import Contract
from web3.types import RPCEndpoint

from ledger.chain import ErrorDecoder, Transactor, connect, dev_accounts
from ledger.client import ETH, LedgerClient
from ledger.compiler import compile_contracts
from ledger.deploy import deploy
from ledger.node import local_node
from ledger.paths import CONTRACTS_DIR

#: The committed figures; ``scripts/gas_report.py --json --write`` refreshes them.
SNAPSHOT = CONTRACTS_DIR / "gas-snapshot.json"
TARGETS = {
    "pledge_eth_first": 80_000,
    "pledge_eth_repeat": 60_000,
    "pledge_erc20_first": 110_000,
    "pledge_erc20_repeat": 85_000,
    "push_refund_eth_per_donor": 30_000,
    "push_refund_erc20_per_donor": 40_000,
}
BATCH = 100
DAY = 86_400


def measure() -> dict[str, int]:
    build = compile_contracts()
    decoder = ErrorDecoder(a.abi for a in build.artifacts.values())
    with local_node("anvil") as node:
        w3 = connect(node.rpc_url)
        admin_acc, manager_acc, donor_a_acc, donor_b_acc, supplier_acc = dev_accounts(5)
        admin, manager, donor_a, donor_b = (
            Transactor(w3, acc, decoder) for acc in (admin_acc, manager_acc, donor_a_acc, donor_b_acc)
        )
        deployment = deploy(
            w3, admin, build, admin=admin.address, guardian=admin.address, min_supplier_delay=0
        )
        ledger = LedgerClient(w3, deployment.ledger, build["PledgeLedger"].abi, errors=decoder)
        as_admin, as_manager = ledger.as_signer(admin), ledger.as_signer(manager)
        usdc_info, eth_info = deployment.tokens["USDC"], deployment.tokens["ETH"]
        usdc = w3.eth.contract(
            address=Web3.to_checksum_address(usdc_info.address), abi=build["MockERC20"].abi
        )

        as_admin.create_campaign(manager.address, "WAHO", b"\x01" * 32, 0)
        as_admin.accept_token(1, ETH, eth_info.feed, DAY)
        as_admin.accept_token(1, usdc.address, usdc_info.feed, DAY)
        now = w3.eth.get_block("latest")["timestamp"]
        as_manager.open_round(1, now, now + 14 * DAY, 1_000 * 10**8, True)
        for donor in (donor_a, donor_b):
            admin.send(usdc.functions.mint(donor.address, 10_000 * 10**6))

        def pledge_erc20(donor: Transactor, amount: int) -> int:
            client = ledger.as_signer(donor)
            client.approve_token(usdc.address, amount)  # the exact amount, as wallets do
            return client.pledge_token(1, 1, usdc.address, amount).gas_used

        def pledge_eth(donor: Transactor, value: int) -> int:
            return ledger.as_signer(donor).pledge(1, 1, value).gas_used

        pledge_eth(donor_a, 10**17)
        pledge_erc20(donor_a, 100 * 10**6)
        gas = {
            "pledge_eth_first": pledge_eth(donor_b, 10**17),
            "pledge_eth_repeat": pledge_eth(donor_b, 10**17),
            "pledge_erc20_first": pledge_erc20(donor_b, 250 * 10**6),
            "pledge_erc20_repeat": pledge_erc20(donor_b, 250 * 10**6),
        }
        gas["close_round"] = as_manager.close_round(1, 1).gas_used

        supplier = supplier_acc.address
        as_manager.approve_supplier(1, supplier, b"\x02" * 32)
        paid = as_manager.disburse(1, usdc.address, supplier, 500 * 10**6, b"\x03" * 32, b"\x04" * 32)
        gas["disburse_erc20"] = paid.gas_used
        paid = as_manager.disburse(1, usdc.address, supplier, 100 * 10**6, b"\x05" * 32, b"\x06" * 32)
        gas["disburse_erc20_repeat"] = paid.gas_used

        now = w3.eth.get_block("latest")["timestamp"]
        as_manager.open_round(1, now, now + DAY, 10**9 * 10**8, True)
        ledger.as_signer(donor_b).pledge(1, 2, 10**17)
        w3.provider.make_request(RPCEndpoint("evm_increaseTime"), [DAY + 1])
        w3.provider.make_request(RPCEndpoint("evm_mine"), [])
        as_manager.close_round(1, 2)
        gas["claim_refund_eth"] = ledger.as_signer(donor_b).claim_refund(1, 2, ETH).gas_used
        for info in (eth_info, usdc_info):  # the feeds aged a day with the clock
            feed = w3.eth.contract(
                address=Web3.to_checksum_address(info.feed), abi=build["MockAggregator"].abi
            )
            admin.send(feed.functions.setAnswer(feed.functions.latestRoundData().call()[1]))
        gas.update(_push_refunds(w3, ledger, usdc, admin, manager, decoder))
    return gas


def _push_refunds(
    w3: Web3,
    ledger: LedgerClient,
    usdc: Contract,
    admin: Transactor,
    manager: Transactor,
    decoder: ErrorDecoder,
) -> dict[str, int]:
    """Gas per donor of a pushed refund batch of ``BATCH`` donors, in ETH and in USDC."""
    as_manager = ledger.as_signer(manager)
    now = w3.eth.get_block("latest")["timestamp"]
    as_manager.open_round(1, now, now + DAY, 10**9 * 10**8, True)
    # Fixed keys: an address's zero bytes make its calldata cheaper, so random donors would move the figures.
    donors = [
        Transactor(w3, Account.from_key(keccak(text=f"gas report donor {i}")), decoder) for i in range(BATCH)
    ]
    for donor in donors:
        w3.provider.make_request(RPCEndpoint("anvil_setBalance"), [donor.address, hex(10**18)])
        admin.send(usdc.functions.mint(donor.address, 10 * 10**6))
        client = ledger.as_signer(donor)
        client.pledge(1, 3, 10**15)
        client.pledge_amount(1, 3, usdc.address, 10 * 10**6)
    w3.provider.make_request(RPCEndpoint("evm_increaseTime"), [DAY + 1])
    w3.provider.make_request(RPCEndpoint("evm_mine"), [])
    as_manager.close_round(1, 3)
    addresses = [d.address for d in donors]
    eth = as_manager.push_refunds(1, 3, ETH, addresses).gas_used
    erc20 = as_manager.push_refunds(1, 3, usdc.address, addresses).gas_used
    return {"push_refund_eth_per_donor": eth // BATCH, "push_refund_erc20_per_donor": erc20 // BATCH}


def snapshot() -> dict[str, int]:
    """The committed figures."""
    return {name: int(used) for name, used in json.loads(SNAPSHOT.read_text()).items()}


def write_snapshot(gas: dict[str, int]) -> None:
    SNAPSHOT.write_text(json.dumps(gas, indent=2) + "\n")
