"""``pay ORDER``: pay a supplier from a campaign against a purchase-order record (manager).

Everything the payment carries comes from the records: the supplier's wallet, the order's payment token
and what is left of its amount, its reference (the on-chain ``purchaseOrderRef``) and the SHA-256 of its
invoice. What the records do not support is refused, one reason per line: a supplier not vetted, not
approved on chain, not yet effective or approved for another version of its record; more than the order's
unpaid balance; no invoice. ``--override REASON`` goes ahead anyway (where the contract allows it), and the
reason is kept in the order's notes, in its version history, with the transaction."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ledger.cli import context
from ledger.cli.app import MANAGER, app, console
from ledger.cli.onchain import OnChain
from ledger.cli.options import DatabaseUrlOption, Sending, sends
from ledger.cli.parse import amount as parse_amount
from ledger.cli.plan import Plan, Role
from ledger.cli.sending import run_plan
from ledger.errors import LedgerError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ledger.db.records import Document, PurchaseOrder, Supplier


@dataclass(frozen=True)
class OrderToPay:
    """What the records say about the order to pay."""

    order: PurchaseOrder
    supplier: Supplier
    invoice: Document | None


def order_to_pay(session: Session, given: str, campaign: int | None) -> OrderToPay:
    """The order ``given`` names (its record id, or its reference in ``campaign``), its supplier and its
    latest invoice."""
    from sqlalchemy import select

    from ledger.db.records import Document, PurchaseOrder

    query = select(PurchaseOrder)
    if given.isdigit():
        query = query.where(PurchaseOrder.id == int(given))
    else:
        query = query.where(PurchaseOrder.reference == given)
    if campaign is not None:
        query = query.where(PurchaseOrder.campaign_id == campaign)
    orders = list(session.scalars(query))
    if not orders:
        where = f" in campaign {campaign}" if campaign is not None else ""
        raise LedgerError(f"no purchase order {given!r}{where} in the records")
    if len(orders) > 1:
        campaigns = ", ".join(str(o.campaign_id) for o in orders)
        raise LedgerError(
            f"order reference {given!r} is used in campaigns {campaigns}: pick one with --campaign"
        )
    order = orders[0]
    invoice = session.scalar(
        select(Document)
        .where(Document.order_id == order.id, Document.kind == "invoice")
        .order_by(Document.uploaded_at.desc(), Document.id.desc())
        .limit(1)
    )
    return OrderToPay(order, order.supplier, invoice)


def _paid_so_far(chain: OnChain, campaign: int, order_ref: str) -> int:
    """What the chain has paid against this order reference in this campaign, in any token."""
    events = chain.ledger.event_args(
        "Disbursed",
        from_block=chain.deployment.block_number,
        campaignId=campaign,
        purchaseOrderRef=bytes.fromhex(order_ref.removeprefix("0x")),
    )
    return sum(int(e["amount"]) for e in events)


@app.command("pay", rich_help_panel=MANAGER)
@sends()
def pay(
    order: Annotated[
        str,
        typer.Argument(
            metavar="ORDER", help="The purchase order: its record id or its reference", show_default=False
        ),
    ],
    campaign: Annotated[
        int | None,
        typer.Option(
            min=1, help="The order's campaign (when its reference is used in several)", show_default=False
        ),
    ] = None,
    amount: Annotated[
        str | None,
        typer.Option(
            metavar="TOKENS",
            help="Pay only this much, in token units (default: what the order has left)",
            show_default=False,
        ),
    ] = None,
    override: Annotated[
        str | None,
        typer.Option(
            metavar="REASON",
            help="Pay although the records do not support it (the reason is kept in the order's history)",
            show_default=False,
        ),
    ] = None,
    database_url: DatabaseUrlOption = None,
    *,
    sending: Sending,
) -> None:
    """Pay a purchase order's supplier from its campaign (its manager): wallet, token, amount and invoice
    hash come from the records."""
    reason = override.strip() if override is not None else None
    if override is not None and not reason:
        raise LedgerError("--override needs a reason, in words: it is kept in the order's history")
    with context.records(database_url) as session:
        found = order_to_pay(session, order, campaign)
        session.expunge_all()
    po, supplier, invoice = found.order, found.supplier, found.invoice
    if po.status != "open":
        raise LedgerError(f"order {po.reference} (record {po.id}) is {po.status}: it cannot be paid")
    refusals: list[str] = []
    details: dict[str, Any] = {}

    def plan(chain: OnChain) -> Plan:
        from ledger.reads.units import human_amount
        from ledger.records.anchors import supplier_record_hash
        from ledger.reverts import utc

        token = po.payment_token
        decimals = chain.token_decimals(token)
        symbol = chain.token_symbol(token)
        paid = _paid_so_far(chain, po.campaign_id, po.order_ref)
        unpaid = int(po.payment_amount) - paid
        to_pay = parse_amount(amount, decimals, "--amount") if amount is not None else max(unpaid, 0)
        if to_pay == 0:
            raise LedgerError(
                f"order {po.reference} is paid in full ({human_amount(paid, decimals)} {symbol}): "
                "nothing to pay"
            )
        if to_pay > unpaid:
            refusals.append(
                f"{human_amount(to_pay, decimals)} {symbol} is more than the order's unpaid balance of "
                f"{human_amount(max(unpaid, 0), decimals)} {symbol}"
            )
        if supplier.vetting_status != "approved":
            refusals.append(
                f"supplier {supplier.id} ({supplier.name}) is {supplier.vetting_status} in the records"
            )
        approval = chain.ledger.supplier_approval(po.campaign_id, supplier.wallet)
        now = chain.now()
        if not approval.approved:
            refusals.append(
                f"the supplier's wallet {supplier.wallet} is not approved for campaign {po.campaign_id} "
                f"(`pledgeledger supplier approve {po.campaign_id} {supplier.id}`)"
            )
        else:
            if approval.effective_at > now:
                refusals.append(f"the supplier's approval takes effect only at {utc(approval.effective_at)}")
            if approval.record_hash != supplier_record_hash(supplier):
                refusals.append(
                    f"supplier {supplier.id}'s record changed since it was approved on chain (now version "
                    f"{supplier.version}): approve it again"
                )
        if invoice is None:
            refusals.append(
                f"order {po.reference} has no invoice in the records (upload it as kind 'invoice')"
            )
            invoice_hash = hashlib.sha256(f"override: {reason}".encode()).digest() if reason else b""
        else:
            invoice_hash = bytes.fromhex(invoice.sha256)
        if refusals and reason is None:
            raise LedgerError(
                "not paid: " + "; ".join(refusals) + ". Fix the records, or pay anyway with --override REASON"
            )
        details.update(amount=to_pay, symbol=symbol, decimals=decimals)
        ref = bytes.fromhex(po.order_ref.removeprefix("0x"))
        facts = [
            (
                "Order",
                f"{po.reference} (record {po.id}): "
                f"{human_amount(int(po.payment_amount), decimals)} {symbol}, "
                f"{human_amount(paid, decimals)} paid so far",
            ),
            (
                "Invoice",
                f"{invoice.filename} sha256 0x{invoice.sha256}"
                if invoice
                else f"none: the hash of the override reason is anchored instead (0x{invoice_hash.hex()})",
            ),
        ]
        facts += [("Override", f"{r}: {reason}") for r in refusals]
        return Plan.of_one(
            chain.ledger.calls.disburse(po.campaign_id, token, supplier.wallet, to_pay, ref, invoice_hash),
            f"Pay {supplier.name} ({supplier.wallet}) against order {po.reference}",
            title=f"Pay order {po.reference} of campaign {po.campaign_id}",
            role=Role.MANAGER,
            campaign_id=po.campaign_id,
            amounts=[chain.amount(po.campaign_id, token, to_pay)],
            facts=facts,
        )

    results = run_plan(plan, sending)
    if reason is not None and refusals and (results or sending.unsigned is not None):
        how = f"in tx {results[0].tx_hash}" if results else f"written for signing to {sending.unsigned}"
        _keep_override(database_url, po.id, refusals, reason, how, details, quiet=sending.as_json)


def _keep_override(
    database_url: str | None,
    order_id: int,
    refusals: list[str],
    reason: str,
    how: str,
    details: dict[str, Any],
    *,
    quiet: bool,
) -> None:
    """Append the override to the order's notes, through the records service (so it is in the history)."""
    from ledger.db.records import PurchaseOrder
    from ledger.reads.units import human_amount
    from ledger.records.schemas import OrderUpdate
    from ledger.records.service import update_order

    day = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    paid = f"{human_amount(details['amount'], details['decimals'])} {details['symbol']}"
    line = f"[{day}] Paid {paid} {how} by override: {reason} (records said: {'; '.join(refusals)})"
    with context.records(database_url, write=True) as session:
        stored = session.get(PurchaseOrder, order_id)
        assert stored is not None
        notes = (stored.notes + "\n" + line).strip()[-10_000:]
        update_order(
            session,
            record_id=order_id,
            changes=OrderUpdate(version=stored.version, notes=notes),
            actor="cli:pay --override",
        )
    if not quiet:
        console.print(f"[yellow]Override kept[/yellow] in order {order_id}'s notes and history: {reason}")
