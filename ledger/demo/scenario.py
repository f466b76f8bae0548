"""The reference campaign played through the real contracts (transactions signed by each actor's dev
account) and the real API (records written with a manager key), one visible step at a time."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from rich.console import Console

from ledger.demo import data
from ledger.demo.api_client import ApiClient
from ledger.demo.chain import DemoChain
from ledger.errors import DemoApiError
from ledger.governance.local import BOARD_OWNERS, BOARD_THRESHOLD
from ledger.orderref import order_ref
from ledger.records.anchors import supplier_record_hash

SUCCEEDED, FAILED = 2, 3


@dataclass(frozen=True)
class DemoResult:
    """The demo campaign and its final reconciliation report (as the API returned it)."""

    campaign_id: int
    report: dict[str, Any]
    attested_hash: str


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


class Steps:
    """Prints each step with a spinner while it runs and a check mark with its outcome after."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.count = 0

    @contextmanager
    def step(self, title: str) -> Iterator[list[str]]:
        self.count += 1
        notes: list[str] = []
        with self.console.status(f"{self.count:>2}. {title}…"):
            yield notes
        detail = f" [dim]— {'; '.join(notes)}[/dim]" if notes else ""
        self.console.print(f"[green]✓[/green] {self.count:>2}. {title}{detail}")


class ReferenceCampaign:
    """One run of the demo: a new campaign each time, so running it again on the same chain and database
    adds a campaign rather than clashing (references and documents name the campaign)."""

    def __init__(
        self, chain: DemoChain, api: ApiClient, chain_id: int, console: Console, healthy: Callable[[], None]
    ) -> None:
        self.healthy = healthy
        self.chain = chain
        self.api = api
        self.chain_id = chain_id
        self.steps = Steps(console)
        self.campaign_id = 0
        self.supplier_effective_at = 0

    def play(self) -> DemoResult:
        self._create_campaign()
        self._name_tokens()
        self._funded_round()
        supplier = self._vetted_supplier()
        order = self._purchase_order(supplier)
        self._pay(order, supplier)
        self._ship_deliver_distribute(order)
        report = self._reconcile("Reconcile the campaign: no findings")
        attested = self._attest(report)
        self._failed_round()
        final = self._reconcile("Reconcile again after the refunds: no findings")
        return DemoResult(self.campaign_id, final, attested)

    # ─── chain ───────────────────────────────────────────────────────────────────────────────────────

    def _create_campaign(self) -> None:
        c = self.chain
        with self.steps.step(f"{data.ORGANISATION} creates a campaign for {data.BENEFICIARY}") as notes:
            metadata = json.dumps(
                {"beneficiary": data.BENEFICIARY, "organisation": data.ORGANISATION}
            ).encode()
            # The timelock runs the whole batch at once, so the new campaign's id is the next one.
            campaign_id = c.reader.campaign_count() + 1
            create = c.calls.create_campaign(
                c.address("manager"),
                "WAHO",
                hashlib.sha256(metadata).digest(),
                data.SUPPLIER_DELAY,
            )
            calls = [
                create,
                *c.accept_token_calls(campaign_id, tuple(data.TOKEN_NAMES)),
                *c.grant_auditor_calls(),
            ]
            created = c.as_admin(calls)
            self.campaign_id = int(created.event("CampaignCreated")["campaignId"])
            if self.campaign_id != campaign_id:
                raise DemoApiError(
                    f"campaign {self.campaign_id} was created, not {campaign_id}: run the demo again"
                )
            delay_days = c.governance.timelock.min_delay() // data.DAY
            notes.append(
                f"campaign {self.campaign_id}, accepting ETH, USDC (6 decimals), DAI (18 decimals); "
                f"scheduled by the board Safe ({BOARD_THRESHOLD} of {len(BOARD_OWNERS)} signatures), "
                f"run by the timelock {delay_days} days later"
            )

    def _name_tokens(self) -> None:
        """Record each token's symbol once (a second run finds them), so the dashboard says USDC, not 0x…."""
        with self.steps.step("The organisation records the tokens' symbols") as notes:
            for symbol, name in data.TOKEN_NAMES.items():
                address = self.chain.token_address(symbol)
                if self.api.get("/tokens", address=address)["data"]:
                    notes.append(f"{symbol} recorded already")
                    continue
                self.api.post("/tokens", {"address": address, "symbol": symbol, "name": name})
                notes.append(f"{symbol} ({name}) at {address}")

    def _open_round(self, goal_usd: int) -> tuple[int, int, int]:
        c = self.chain
        start = c.now()
        end = start + data.ROUND_DAYS * data.DAY
        opened = c.client("manager").open_round(self.campaign_id, start, end, goal_usd * data.USD, True)
        return int(opened.event("RoundOpened")["roundId"]), start, end

    def _take_pledges(
        self, round_id: int, start: int, pledges: tuple[tuple[str, str, int, int], ...], notes: list[str]
    ) -> dict[str, list[str]]:
        """Each donor pledges on their day of the round; returns the donors of each token."""
        c = self.chain
        donors: dict[str, list[str]] = {}
        for donor, symbol, whole, day in pledges:
            c.advance_to(start + day * data.DAY)
            amount = c.units(symbol, whole)
            c.fund(donor, symbol, amount)
            c.pledge(donor, self.campaign_id, round_id, symbol, amount)
            donors.setdefault(symbol, []).append(c.address(donor))
            notes.append(f"{donor} {whole:,} {symbol}")
        return donors

    def _close(self, round_id: int, end: int, expected: int, closer: str = "manager") -> int:
        c = self.chain
        c.advance_to(end + 60)
        closed = c.client(closer).close_round(self.campaign_id, round_id).event("RoundClosed")
        if int(closed["outcome"]) != expected:
            raise DemoApiError(f"round {round_id} closed with outcome {closed['outcome']}, not {expected}")
        return int(closed["raisedUsd"]) // data.USD

    def _funded_round(self) -> int:
        with self.steps.step(
            f"A two-week round with a goal of {data.GOAL_USD:,} USD; the donors pledge"
        ) as notes:
            round_id, start, end = self._open_round(data.GOAL_USD)
            self._take_pledges(round_id, start, data.PLEDGES, notes)
        with self.steps.step("The manager closes the round after two weeks") as notes:
            raised = self._close(round_id, end, SUCCEEDED)
            notes.append(f"Succeeded, {raised:,} USD raised")
        return round_id

    def _pay(self, order: dict[str, Any], supplier: dict[str, Any]) -> None:
        c = self.chain
        c.advance_to(self.supplier_effective_at)
        with self.steps.step("The manager pays the supplier on chain against the order and invoice") as notes:
            invoice_hash = bytes.fromhex(sha256_hex(data.invoice_pdf(self.campaign_id)))
            ref = bytes.fromhex(order_ref(order["reference"])[2:])
            amount = int(order["payment_amount"])
            token = c.token_address(data.PAYMENT_SYMBOL)
            paid = c.client("manager").disburse(
                self.campaign_id, token, supplier["wallet"], amount, ref, invoice_hash
            )
            notes.append(f"{data.PAYMENT_TOKENS:,} {data.PAYMENT_SYMBOL}, tx {paid.tx_hash}")

    def _attest(self, report: dict[str, Any]) -> str:
        c = self.chain
        with self.steps.step("An auditor attests the report's hash on chain") as notes:
            uri = f"{self.api.base_url}/api/v1/campaigns/{self.campaign_id}/reconciliation"
            c.client("auditor").attest_report(
                self.campaign_id, bytes.fromhex(report["report_hash"][2:]), report["as_of_block"], uri
            )
            notes.append(f"{report['report_hash'][:18]}… as of block {report['as_of_block']}")
        return str(report["report_hash"])

    def _failed_round(self) -> None:
        c = self.chain
        title = f"A second all-or-nothing round ({data.FAILED_GOAL_USD:,} USD goal) misses it; refunds"
        with self.steps.step(title) as notes:
            opened, start, end = self._open_round(data.FAILED_GOAL_USD)
            donors = self._take_pledges(opened, start, data.FAILED_PLEDGES, notes)
            closer = data.FAILED_PLEDGES[-1][0]
            raised = self._close(opened, end, FAILED, closer)
            notes.append(f"Failed at {raised:,} USD; closed by {closer}, as anyone may after the end")
            for symbol, addresses in donors.items():
                c.client("manager").push_refunds(self.campaign_id, opened, c.token_address(symbol), addresses)
            notes.append("every pledge refunded")

    # ─── records through the API ─────────────────────────────────────────────────────────────────────

    def _vetted_supplier(self) -> dict[str, Any]:
        c = self.chain
        with self.steps.step("A mask manufacturer that accepts crypto is vetted and approved") as notes:
            wallet = c.address("supplier")
            supplier = self.api.find("/suppliers", {"wallet": wallet})
            if supplier is None:
                supplier = self.api.post(
                    "/suppliers",
                    {
                        "name": data.SUPPLIER_NAME,
                        "country": data.SUPPLIER_COUNTRY,
                        "wallet": wallet,
                        "vetting_status": "approved",
                        "notes": "Vetted by FCSSC procurement",
                    },
                )
            if supplier["vetting_status"] != "approved":
                raise DemoApiError(
                    f"supplier {supplier['id']} with wallet {wallet} is {supplier['vetting_status']}"
                )
            approved = c.client("manager").approve_supplier(
                self.campaign_id, wallet, supplier_record_hash(supplier)
            )
            effective_at = int(approved.event("SupplierApproved")["effectiveAt"])
            notes.append(
                f"record {supplier['id']}, wallet {wallet} approved on chain, payable after "
                f"{data.SUPPLIER_DELAY // data.DAY} days (the guardian can revoke it until then)"
            )
        self.supplier_effective_at = effective_at
        return supplier

    def _purchase_order(self, supplier: dict[str, Any]) -> dict[str, Any]:
        with self.steps.step(f"A purchase order for {data.MASKS:,} {data.ITEM}s with its invoice") as notes:
            match = {"item": data.ITEM, "unit": data.UNIT, "currency": "USD"}
            if self.api.find("/reference-prices", match, item=data.ITEM) is None:
                self.api.post(
                    "/reference-prices",
                    {**match, "unit_price": str(data.REFERENCE_PRICE), "source": "UNICEF Supply Catalogue"},
                )
            order = self.api.post(
                "/orders",
                {
                    "campaign_id": self.campaign_id,
                    "supplier_id": supplier["id"],
                    "reference": data.order_reference(self.campaign_id),
                    "payment_token": self.chain.token_address(data.PAYMENT_SYMBOL),
                    "payment_amount": str(self.chain.units(data.PAYMENT_SYMBOL, data.PAYMENT_TOKENS)),
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
            total = data.MASKS * data.MASK_PRICE
            form = {"kind": "invoice", "order_id": str(order["id"]), "amount": str(total), "currency": "USD"}
            invoice = self.api.upload("invoice.pdf", data.invoice_pdf(self.campaign_id), form)
            notes.append(f"order {order['reference']}, invoice sha256 {invoice['sha256'][:12]}…")
        return dict(order)

    def _ship_deliver_distribute(self, order: dict[str, Any]) -> None:
        line_id = order["lines"][0]["id"]
        items = [{"order_line_id": line_id, "quantity": data.MASKS}]
        with self.steps.step("Shipped Beijing → Abuja by freight aircraft; handed over in Abuja") as notes:
            shipment = self.api.post(
                "/shipments",
                {
                    "order_id": order["id"],
                    "reference": f"AWB 999-{self.campaign_id:08d}",
                    "carrier": "freight aircraft",
                    "origin": "Beijing",
                    "destination": "Abuja",
                    "shipped_on": data.SHIPPED_ON.isoformat(),
                    "items": items,
                },
            )
            form = {"kind": "handover_certificate", "order_id": str(order["id"])}
            certificate = self.api.upload(
                "handover-certificate.pdf", data.handover_pdf(self.campaign_id), form
            )
            delivery = self.api.post(
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
            notes.append(f"shipment {shipment['id']}, delivery {delivery['id']}")
        with self.steps.step(f"Distributed to the {len(data.MEMBER_STATES)} ECOWAS member states") as notes:
            for state, quantity in zip(data.MEMBER_STATES, data.SHARES, strict=True):
                self.api.post(
                    "/distributions",
                    {
                        "delivery_id": delivery["id"],
                        "order_line_id": line_id,
                        "recipient": state,
                        "quantity": quantity,
                        "distributed_on": data.DISTRIBUTED_ON.isoformat(),
                    },
                )
            notes.append(f"{sum(data.SHARES):,} masks")

    def _reconcile(self, title: str) -> dict[str, Any]:
        with self.steps.step(title) as notes:
            self.api.wait_for_block(self.chain.w3.eth.block_number, self.chain_id, healthy=self.healthy)
            report: dict[str, Any] = self.api.get(f"/campaigns/{self.campaign_id}/reconciliation")
            if report["findings"]:
                found = "; ".join(f"{f['kind']}: {f['message']}" for f in report["findings"])
                raise DemoApiError(f"the reconciliation of campaign {self.campaign_id} has findings: {found}")
            notes.append(f"report {report['report_hash'][:18]}…")
        return report


def play_reference_campaign(
    chain: DemoChain, api: ApiClient, chain_id: int, console: Console, *, healthy: Callable[[], None]
) -> DemoResult:
    """Play the reference campaign once (a new campaign) and return its final reconciliation; ``healthy``
    raises if the indexer the demo waits for has stopped."""
    return ReferenceCampaign(chain, api, chain_id, console, healthy).play()
