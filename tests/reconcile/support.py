"""The reference campaign (SCENARIO.md) on a real chain, indexed, with its procurement records, and the
knobs the finding tests turn to break one thing at a time."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ledger.db.records import Token
from ledger.db.session import write_session
from ledger.demo.data import MASKS, MEMBER_STATES, SHARES
from ledger.orderref import order_ref
from ledger.reconcile import CampaignReport, MirrorVerifier, ReconcileOptions, reconcile_campaign
from ledger.records import service
from ledger.records.schemas import (
    DeliveryCreate,
    DistributionCreate,
    DocumentMeta,
    OrderCreate,
    ReferencePriceCreate,
    ShipmentCreate,
    SupplierCreate,
    TokenCreate,
)
from tests.contracts.support import RECORD, close, unit
from tests.indexer.support import run_indexer
from tests.support.chain import LedgerEnv
from tests.support.units import DAY, USD

ACTOR = "test-manager"
MASK_PRICE = Decimal("0.28")  # USD per piece
INVOICE = b"%PDF-1.4 Invoice FCSSC-2020-0042: 250,000 disposable surgical masks, 70,000.00 USDC\n"
HANDOVER = b"%PDF-1.4 Hand-over certificate: 250,000 masks received for WAHO, Beijing warehouse\n"


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def order_ref_bytes(reference: str) -> bytes:
    return bytes.fromhex(order_ref(reference)[2:])


@dataclass
class Reference:
    """Ids and actors of the reference campaign."""

    campaign_id: int
    round_id: int
    supplier_id: int
    order_id: int
    line_id: int
    shipment_id: int
    delivery_id: int
    donors: dict[str, Any] = field(default_factory=dict)
    invoice_sha256: str = ""


def index(env: LedgerEnv, engine: Engine) -> None:
    run_indexer(env, engine)


def report(
    env: LedgerEnv,
    engine: Engine,
    campaign_id: int,
    *,
    verify: bool = False,
    options: ReconcileOptions | None = None,
    **kwargs: Any,
) -> CampaignReport:
    verifier = MirrorVerifier(env.ledger) if verify else None
    with Session(engine) as s:
        return reconcile_campaign(s, campaign_id=campaign_id, options=options, verifier=verifier, **kwargs)


def kinds(report: CampaignReport) -> set[str]:
    return {f.kind for f in report.findings}


# ─── records through the service, each write in its own transaction ─────────────────────────────────────


def add_supplier(engine: Engine, wallet: str, name: str = "Shenzhen PPE Manufacturing Co.") -> int:
    with write_session(engine) as s:
        data = SupplierCreate(name=name, country="CN", wallet=wallet, vetting_status="approved")
        return service.create_supplier(s, data=data, actor=ACTOR).id


def name_tokens(engine: Engine, env: LedgerEnv, symbols: Sequence[str]) -> None:
    """Record each token's symbol (once per database), as an organisation does so reports say USDC."""
    with write_session(engine) as s:
        known = {t.address for t in s.scalars(select(Token))}
        for symbol in symbols:
            address = env.token_address(symbol)
            if address not in known:
                service.create_token(s, data=TokenCreate(address=address, symbol=symbol), actor=ACTOR)


def add_order(
    engine: Engine,
    *,
    campaign_id: int,
    supplier_id: int,
    reference: str,
    token: str,
    amount: int,
    lines: list[tuple[str, int, str, Decimal, str]],
) -> tuple[int, list[int]]:
    """An order with lines ``(item, quantity, unit, unit price, currency)``: (order id, line ids)."""
    with write_session(engine) as s:
        data = OrderCreate.model_validate(
            {
                "campaign_id": campaign_id,
                "supplier_id": supplier_id,
                "reference": reference,
                "payment_token": token,
                "payment_amount": amount,
                "issued_on": date(2020, 5, 4),
                "lines": [
                    {"item": i, "quantity": n, "unit": u, "unit_price": p, "currency": c}
                    for i, n, u, p, c in lines
                ],
            }
        )
        order = service.create_order(s, data=data, actor=ACTOR)
        return order.id, [line.id for line in order.lines]


def add_document(
    engine: Engine,
    content: bytes,
    kind: str,
    *,
    order_id: int | None = None,
    amount: Decimal | None = None,
    currency: str | None = None,
) -> int:
    with write_session(engine) as s:
        meta = DocumentMeta.model_validate(
            {"kind": kind, "order_id": order_id, "amount": amount, "currency": currency}
        )
        document = service.add_document(
            s, meta=meta, filename=f"{kind}.pdf", content_type="application/pdf", content=content, actor=ACTOR
        )
        return document.id


def add_reference_price(engine: Engine, item: str, unit: str, currency: str, price: Decimal) -> int:
    with write_session(engine) as s:
        data = ReferencePriceCreate(
            item=item, unit=unit, currency=currency, unit_price=price, source="UNICEF"
        )
        return service.create_reference_price(s, data=data, actor=ACTOR).id


def ship(engine: Engine, order_id: int, items: dict[int, int]) -> int:
    with write_session(engine) as s:
        data = ShipmentCreate.model_validate(
            {
                "order_id": order_id,
                "reference": "AWB 999-12345675",
                "carrier": "freight aircraft",
                "origin": "Beijing",
                "destination": "Abuja",
                "shipped_on": date(2020, 5, 20),
                "items": [{"order_line_id": k, "quantity": v} for k, v in items.items()],
            }
        )
        return service.create_shipment(s, data=data, actor=ACTOR).id


def deliver(engine: Engine, shipment_id: int, items: dict[int, int], document_id: int | None) -> int:
    with write_session(engine) as s:
        data = DeliveryCreate.model_validate(
            {
                "shipment_id": shipment_id,
                "consignee": "WAHO",
                "place": "Abuja, Nigeria",
                "delivered_on": date(2020, 5, 22),
                "document_id": document_id,
                "items": [{"order_line_id": k, "quantity": v} for k, v in items.items()],
            }
        )
        return service.create_delivery(s, data=data, actor=ACTOR).id


def distribute(engine: Engine, delivery_id: int, line_id: int, quantities: dict[str, int]) -> None:
    with write_session(engine) as s:
        for recipient, quantity in quantities.items():
            data = DistributionCreate(
                delivery_id=delivery_id,
                order_line_id=line_id,
                recipient=recipient,
                quantity=quantity,
                distributed_on=date(2020, 6, 1),
            )
            service.create_distribution(s, data=data, actor=ACTOR)


# ─── the chain ───────────────────────────────────────────────────────────────────────────────────────────


def pay(
    env: LedgerEnv, campaign_id: int, symbol: str, amount: int, reference: str, invoice_sha256: str
) -> Any:
    """Disburse to the supplier against ``reference`` with the invoice's SHA-256 as ``invoiceHash``."""
    return env.manager.send(
        env.f.disburse(
            campaign_id,
            env.token_address(symbol),
            env.supplier.address,
            amount,
            order_ref_bytes(reference),
            bytes.fromhex(invoice_sha256),
        )
    )


def reference_campaign(
    env: LedgerEnv,
    engine: Engine | Sequence[Engine],
    *,
    agreed: int | None = None,
    paid: int | None = None,
    invoice: bytes = INVOICE,
    delivered: int = MASKS,
    reference_price: Decimal = Decimal("0.25"),
    token_names: Sequence[str] = ("USDC", "DAI"),
) -> Reference:
    """WAHO's campaign: three donors pledge ETH, USDC (6 decimals) and DAI (18 decimals) in a two-week
    all-or-nothing round that meets its goal; FCSSC pays one vetted supplier 70,000 USDC against purchase
    order FCSSC-PO-2020-001 and its invoice; 250,000 masks fly Beijing → Abuja, are handed over with a
    certificate and distributed to the 15 member states. Indexed (into each engine given, with the same
    records). The knobs break one thing each: the amount agreed in the order, the amount paid, the invoice
    stored, the quantity delivered, the reference price of a mask. ``token_names``: the tokens given a record
    (a symbol), as an organisation names them; ETH is ETH without one."""
    engines = [engine] if isinstance(engine, Engine) else list(engine)
    taiyi, huobi, jubi = env.donors[0], env.donors[1], env.donors[2]
    campaign_id = env.create_campaign(("ETH", "USDC", "DAI"))
    round_id = env.open_round(campaign_id, goal_usd=100_000 * USD, days=14, aon=True)
    env.pledge(taiyi, campaign_id, round_id, "ETH", 10 * unit("ETH"))  # 20,000 USD
    env.pledge(huobi, campaign_id, round_id, "USDC", 70_000 * unit("USDC"))
    env.pledge(jubi, campaign_id, round_id, "DAI", 15_000 * unit("DAI"))
    close(env, campaign_id, round_id)
    env.manager.send(env.f.approveSupplier(campaign_id, env.supplier.address, RECORD))
    orders = []
    for e in engines:
        index(env, e)
        name_tokens(e, env, token_names)
        supplier_id = add_supplier(e, env.supplier.address)
        add_reference_price(e, "disposable surgical mask", "piece", "USD", reference_price)
        order_id, (line_id,) = add_order(
            e,
            campaign_id=campaign_id,
            supplier_id=supplier_id,
            reference="FCSSC-PO-2020-001",
            token=env.token_address("USDC"),
            amount=70_000 * unit("USDC") if agreed is None else agreed,
            lines=[("disposable surgical mask", MASKS, "piece", MASK_PRICE, "USD")],
        )
        add_document(e, invoice, "invoice", order_id=order_id, amount=Decimal("70000"), currency="USD")
        orders.append((supplier_id, order_id, line_id))
    paid = 70_000 * unit("USDC") if paid is None else paid
    pay(env, campaign_id, "USDC", paid, "FCSSC-PO-2020-001", sha256(INVOICE))
    for e in engines:
        shipment_id = ship(e, order_id, {line_id: MASKS})
        certificate = add_document(e, HANDOVER, "handover_certificate", order_id=order_id)
        delivery_id = deliver(e, shipment_id, {line_id: delivered}, certificate)
        scale = Decimal(delivered) / MASKS
        quantities = [int(n * scale) for n in SHARES]
        quantities[-1] += delivered - sum(quantities)
        distribute(e, delivery_id, line_id, dict(zip(MEMBER_STATES, quantities, strict=True)))
        index(env, e)
    assert len(set(orders)) == 1, "the same records in every database"
    return Reference(
        campaign_id=campaign_id,
        round_id=round_id,
        supplier_id=supplier_id,
        order_id=order_id,
        line_id=line_id,
        shipment_id=shipment_id,
        delivery_id=delivery_id,
        donors={"Taiyi Group": taiyi, "Huobi Charity": huobi, "Jubi Group": jubi},
        invoice_sha256=sha256(invoice),
    )


def advance_days(env: LedgerEnv, days: float) -> None:
    env.advance(int(days * DAY))
