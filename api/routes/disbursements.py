"""Payments to suppliers: filtered by campaign, supplier, token or purchase order; in chain order."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from api.chain import of_campaign, settlement, with_confirmation
from api.deps import ChainIdDep, SessionDep, SettingsDep
from api.pagination import PageDep, keyset_page
from api.params import CampaignFilter, OrderRefFilter, SupplierFilter, TokenFilter
from api.schemas.disbursements import DisbursementPublic, DisbursementsPublic
from ledger.db.models import Disbursed
from ledger.records.service import reference_of

router = APIRouter(prefix="/disbursements", tags=["disbursements"])


@router.get("", response_model=DisbursementsPublic, summary="Payments to suppliers in chain order")
def list_disbursements(
    session: SessionDep,
    settings: SettingsDep,
    chain_id: ChainIdDep,
    page: PageDep,
    campaign_id: CampaignFilter = None,
    supplier: SupplierFilter = None,
    token: TokenFilter = None,
    purchase_order_ref: OrderRefFilter = None,
) -> DisbursementsPublic:
    statement = select(Disbursed).where(of_campaign(Disbursed, chain_id, campaign_id))
    if supplier is not None:
        statement = statement.where(Disbursed.supplier == supplier)
    if token is not None:
        statement = statement.where(Disbursed.token == token)
    if purchase_order_ref is not None:
        statement = statement.where(Disbursed.purchase_order_ref == purchase_order_ref)
    rows, next_cursor = keyset_page(session, statement, Disbursed.id, limit=page.limit, cursor=page.cursor)
    settled = settlement(session, chain_id=chain_id, depth=settings.confirmation_depth)
    data = []
    for row in rows:
        values = with_confirmation(row, settled)
        values["purchase_order_reference"] = reference_of(row.purchase_order_ref)
        data.append(DisbursementPublic.model_validate(values))
    return DisbursementsPublic(data=data, next_cursor=next_cursor)
