"""Payments to suppliers: filtered by campaign, supplier, token or purchase order; in chain order."""

from __future__ import annotations

from fastapi import APIRouter

from api.chain import EventPagesDep
from api.params import OrderRefFilter, SupplierFilter, TokenFilter
from api.schemas.disbursements import DisbursementsPublic
from ledger.db.models import Disbursed
from ledger.orderref import reference_of

router = APIRouter(prefix="/disbursements", tags=["disbursements"])


@router.get("", response_model=DisbursementsPublic, summary="Payments to suppliers in chain order")
def list_disbursements(
    events: EventPagesDep,
    supplier: SupplierFilter = None,
    token: TokenFilter = None,
    purchase_order_ref: OrderRefFilter = None,
) -> DisbursementsPublic:
    rows, next_cursor = events.rows(
        Disbursed, supplier=supplier, token=token, purchase_order_ref=purchase_order_ref
    )
    for row in rows:
        row["purchase_order_reference"] = reference_of(str(row["purchase_order_ref"]))
    return DisbursementsPublic.model_validate({"data": rows, "next_cursor": next_cursor})
