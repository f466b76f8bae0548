"""Purchase orders and their lines: an order is for a campaign on chain, from a known supplier, paid in a
token the campaign accepts, and carries a reference unique in its campaign (see
:mod:`ledger.orderref` for the bytes32 a payment names it by)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.db.models import CampaignCreated, TokenAccepted
from ledger.db.records import OrderLine, PurchaseOrder, Supplier
from ledger.errors import InvalidRecordError, RecordConflictError
from ledger.orderref import order_ref
from ledger.records.custody import shipped_per_line
from ledger.records.schemas import OrderCreate, OrderLineIn, OrderUpdate
from ledger.records.versions import create_record, edited_values, finish_edit, must_exist, start_edit
from ledger.scope import EVERY_CAMPAIGN, KeyScope


def create_order(
    s: Session, *, data: OrderCreate, actor: str, scope: KeyScope = EVERY_CAMPAIGN
) -> PurchaseOrder:
    """Record a purchase order for a campaign that is on chain, from a known supplier, with its lines.

    The supplier's row is locked until commit, so a concurrent edit of the supplier sees this order among
    the ones that use it (see :mod:`ledger.records.ownership`)."""
    scope.require(data.campaign_id, "the order")
    _check_campaign(s, data.campaign_id)
    must_exist(s, Supplier, data.supplier_id, "supplier", lock=True)
    _check_token(s, data.campaign_id, data.payment_token)
    ref = order_ref(data.reference)
    clash = s.scalar(
        select(PurchaseOrder.id).where(
            PurchaseOrder.campaign_id == data.campaign_id, PurchaseOrder.order_ref == ref
        )
    )
    if clash is not None:
        raise RecordConflictError(
            f"campaign {data.campaign_id} already has an order with reference {data.reference!r} "
            f"(order {clash})"
        )
    order = PurchaseOrder(
        **data.model_dump(exclude={"lines"}),
        order_ref=ref,
        lines=[OrderLine(**line) for line in _numbered(data.lines)],
    )
    return create_record(s, order, actor=actor)


def update_order(
    s: Session, *, record_id: int, changes: OrderUpdate, actor: str, scope: KeyScope = EVERY_CAMPAIGN
) -> PurchaseOrder:
    """Edit an order. Lines are matched by ``line_no``: a line that has been shipped cannot be removed
    or reduced below what was shipped."""
    order, before = start_edit(s, PurchaseOrder, record_id, changes.version, scope)
    values = edited_values(changes, skip=("lines",))
    if "supplier_id" in values:
        must_exist(s, Supplier, values["supplier_id"], "supplier", lock=True)
    if "payment_token" in values:
        _check_token(s, order.campaign_id, values["payment_token"])
    if changes.lines is not None:
        _set_lines(s, order, changes.lines)
    return finish_edit(s, order, before, values, actor=actor)


def _check_campaign(s: Session, campaign_id: int) -> None:
    created = select(CampaignCreated.id).where(CampaignCreated.campaign_id == campaign_id)
    if s.scalar(created.limit(1)) is None:
        raise InvalidRecordError(f"campaign {campaign_id} is not on chain (or not indexed yet)")


def _check_token(s: Session, campaign_id: int, token: str) -> None:
    accepted = select(TokenAccepted.id).where(
        TokenAccepted.campaign_id == campaign_id, TokenAccepted.token == token
    )
    if s.scalar(accepted.limit(1)) is None:
        raise InvalidRecordError(f"campaign {campaign_id} does not accept token {token}")


def _numbered(lines: Sequence[OrderLineIn]) -> list[dict[str, Any]]:
    numbered = [{**line.model_dump(), "line_no": line.line_no or i} for i, line in enumerate(lines, 1)]
    numbers = [line["line_no"] for line in numbered]
    if len(set(numbers)) != len(numbers):
        raise InvalidRecordError("two order lines have the same line_no")
    return numbered


def _set_lines(s: Session, order: PurchaseOrder, lines: Sequence[OrderLineIn]) -> None:
    wanted = {line["line_no"]: line for line in _numbered(lines)}
    shipped = shipped_per_line(s, [line.id for line in order.lines])
    for line in list(order.lines):
        new = wanted.pop(line.line_no, None)
        done = shipped.get(line.id, 0)
        if new is None:
            if done:
                raise InvalidRecordError(f"order line {line.line_no} has shipments and cannot be removed")
            order.lines.remove(line)
            continue
        if new["quantity"] < done:
            raise InvalidRecordError(
                f"order line {line.line_no}: {done:,} units were shipped already, "
                f"more than the new quantity {new['quantity']:,}"
            )
        for name, value in new.items():
            setattr(line, name, value)
    order.lines.extend(OrderLine(**line) for line in wanted.values())
