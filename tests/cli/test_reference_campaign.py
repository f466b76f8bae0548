"""The reference campaign (SCENARIO.md) played by its people through the command line only, each command
in its own process, against a running ``up``: the admin is a timelock proposed by a Safe, whose owners
sign the batches the CLI writes; the manager, the auditor and the donors sign with their own accounts.
Records (supplier, order, invoice, shipment, delivery, distribution) go through the API, as an
organisation's staff would enter them. It ends with ``reconcile`` reporting no findings, on Anvil and on
Ganache. The README's "Run a real campaign" walkthrough is these commands."""

from __future__ import annotations

import json
from pathlib import Path

from ledger.demo import data
from ledger.demo.api_client import ApiClient
from ledger.node import LocalNode, free_port, local_node
from tests.cli.support import (
    ANYONE,
    AUDITOR,
    DAY,
    MANAGER,
    SUPPLIER,
    Cli,
    World,
    create_campaign,
    records_api,
)
from tests.e2e.support import UpProcess

DONORS = {"Taiyi Group": 3, "Huobi Charity": 4, "Jubi Group": 5}
#: The tokens the reference campaign takes (the deployment's mocks: USDC with 6 decimals).
TOKENS = ("ETH", "USDC", "DAI")


def pledges(
    cli: Cli, world: World, campaign: int, start: int, plan: tuple[tuple[str, str, int, int], ...]
) -> None:
    for donor, symbol, whole, day in plan:
        world.advance_to(start + day * DAY)
        account = DONORS[donor]
        if symbol != "ETH":
            world.fund(account, symbol, whole)
        done = cli.send("pledge", str(campaign), f"{whole:,}", symbol, "--account", str(account))
        assert done["credited_usd"]


def play(cli: Cli, world: World, api: ApiClient, tmp: Path, base_url: str) -> int:
    manager = ("--account", str(MANAGER))

    # ─── admin: create the campaign, accept the tokens, appoint the auditor (each through the timelock)
    campaign = create_campaign(cli, world, tmp, *TOKENS, "--max-staleness", "1d")
    for symbol, name in data.TOKEN_NAMES.items():
        api.post(
            "/tokens", {"address": world.deployment.tokens[symbol].address, "symbol": symbol, "name": name}
        )

    # ─── manager: a two-week round; three donors pledge; anyone may close it after its end
    opened = cli.send(
        "round", "open", str(campaign), "--end", "+14d", "--goal-usd", f"{data.GOAL_USD:,}", *manager
    )
    start = world.now()
    pledges(cli, world, campaign, start, data.PLEDGES)
    world.advance_to(start + 14 * DAY + 60)
    closed = cli.send("round", "close", str(campaign), str(opened["round"]), *manager)
    assert closed["outcome"] == "succeeded"

    # ─── records: the vetted supplier; the manager approves it on chain from its record
    supplier = api.post(
        "/suppliers",
        {
            "name": data.SUPPLIER_NAME,
            "country": data.SUPPLIER_COUNTRY,
            "wallet": world.address(SUPPLIER),
            "vetting_status": "approved",
        },
    )
    cli.send("supplier", "approve", str(campaign), str(supplier["id"]), *manager)
    order = api.post(
        "/orders",
        {
            "campaign_id": campaign,
            "supplier_id": supplier["id"],
            "reference": data.order_reference(campaign),
            "payment_token": world.deployment.tokens[data.PAYMENT_SYMBOL].address,
            "payment_amount": str(data.PAYMENT_TOKENS * 10**6),
            "issued_on": data.ORDER_ISSUED.isoformat(),
            "lines": [
                {
                    "item": data.ITEM,
                    "quantity": data.MASKS,
                    "unit": data.UNIT,
                    "unit_price": str(data.MASK_PRICE),
                    "currency": "USD",
                }
            ],
        },
    )
    early = cli.refused("pay", order["reference"], *manager, "--yes")
    assert "no invoice" in early.stderr and "takes effect only" in early.stderr
    total = data.MASKS * data.MASK_PRICE
    form = {"kind": "invoice", "order_id": str(order["id"]), "amount": str(total), "currency": "USD"}
    api.upload("invoice.pdf", data.invoice_pdf(campaign), form)
    world.advance(2 * DAY + 60)
    paid = cli.send("pay", order["reference"], *manager)
    (disbursed,) = [e for tx in paid["transactions"] for e in tx["events"] if e["event"] == "Disbursed"]
    assert int(disbursed["args"]["amount"]) == data.PAYMENT_TOKENS * 10**6
    cli.refused("pay", order["reference"], *manager, "--yes")  # paid in full

    # ─── records: shipped, handed over, distributed to the 15 member states
    line = order["lines"][0]["id"]
    items = [{"order_line_id": line, "quantity": data.MASKS}]
    shipment = api.post(
        "/shipments",
        {
            "order_id": order["id"],
            "carrier": "freight aircraft",
            "origin": "Beijing",
            "destination": "Abuja",
            "shipped_on": data.SHIPPED_ON.isoformat(),
            "items": items,
        },
    )
    certificate = api.upload(
        "handover.pdf",
        data.handover_pdf(campaign),
        {"kind": "handover_certificate", "order_id": str(order["id"])},
    )
    delivery = api.post(
        "/deliveries",
        {
            "shipment_id": shipment["id"],
            "consignee": "WAHO",
            "place": "Abuja, Nigeria",
            "delivered_on": data.DELIVERED_ON.isoformat(),
            "document_id": certificate["id"],
            "items": items,
        },
    )
    for state, quantity in zip(data.MEMBER_STATES, data.SHARES, strict=True):
        api.post(
            "/distributions",
            {
                "delivery_id": delivery["id"],
                "order_line_id": line,
                "recipient": state,
                "quantity": quantity,
                "distributed_on": data.DISTRIBUTED_ON.isoformat(),
            },
        )

    # ─── auditor: attest the reconciled report once the mirror has the payment
    api.wait_for_block(int(world.w3.eth.block_number), int(world.w3.eth.chain_id))
    attested = cli.send("attest", str(campaign), "--account", str(AUDITOR))
    assert attested["error_findings"] == 0
    stranger = cli.refused("attest", str(campaign), "--account", str(ANYONE), "--yes")
    assert "no auditor role" in stranger.stderr

    # ─── a second, all-or-nothing round misses its goal: anyone closes it, the manager pushes refunds
    second = cli.send(
        "round", "open", str(campaign), "--end", "+14d", "--goal-usd", f"{data.FAILED_GOAL_USD:,}",
        "--all-or-nothing", *manager,
    )  # fmt: skip
    start = world.now()
    pledges(cli, world, campaign, start, data.FAILED_PLEDGES)
    world.advance_to(start + 14 * DAY + 60)
    failed = cli.send("round", "close", str(campaign), str(second["round"]), "--account", str(ANYONE))
    assert failed["outcome"] == "failed"
    claimer = DONORS[data.FAILED_PLEDGES[0][0]]  # one donor takes theirs back; the manager pushes the rest
    claimed = cli.send("refund", "claim", str(campaign), str(second["round"]), "--account", str(claimer))
    assert [e["event"] for tx in claimed["transactions"] for e in tx["events"]] == ["Refunded"]
    pushed = cli.send("refund", "push", str(campaign), str(second["round"]), "--batch-size", "1", *manager)
    refunded = [e for tx in pushed["transactions"] for e in tx["events"] if e["event"] == "Refunded"]
    assert len(pushed["transactions"]) == len(refunded) == len(data.FAILED_PLEDGES) - 1
    cli.refused("refund", "push", str(campaign), str(second["round"]), *manager, "--yes")  # nobody owed
    api.wait_for_block(int(world.w3.eth.block_number), int(world.w3.eth.chain_id))
    return int(campaign)


def check_reconciled(cli: Cli, campaign: int) -> None:
    report = cli.ok("reconcile", str(campaign), "--json")
    parsed = json.loads(report.stdout)
    assert parsed["findings"] == [], parsed["findings"]
    assert parsed["chain_check"]["status"] == "verified"
    assert [r["outcome"] for r in parsed["rounds"]] == ["succeeded", "failed"]
    shown = cli.ok("campaign", "show", str(campaign))
    assert "USDC" in shown.stdout


def reference_campaign(tmp_path: Path, up: UpProcess, rpc_url: str | None = None) -> None:
    """The reference campaign played through the command line against ``up`` (on the chain at ``rpc_url``,
    else on the one it started), and reconciled."""
    up.wait_for("Serving", timeout=240)
    cli = Cli(tmp_path)
    world = World(rpc_url or up.rpc_url, tmp_path / "deployments")
    base_url = f"http://127.0.0.1:{up.port}"
    campaign = play(cli, world, records_api(cli, base_url), tmp_path, base_url)
    check_reconciled(cli, campaign)


def test_reference_campaign_through_the_cli_on_anvil(tmp_path: Path, up_processes: list[UpProcess]) -> None:
    up = UpProcess(["--chain-port", str(free_port())], cwd=tmp_path)
    up_processes.append(up)
    reference_campaign(tmp_path, up)


def test_reference_campaign_through_the_cli_on_ganache(tmp_path: Path, up_processes: list[UpProcess]) -> None:
    node: LocalNode
    with local_node("ganache") as node:
        up = UpProcess(["--rpc-url", node.rpc_url], cwd=tmp_path)
        up_processes.append(up)
        reference_campaign(tmp_path, up, node.rpc_url)
        up.stop()
