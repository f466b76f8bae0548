"""Payments to suppliers: filtered by campaign, supplier, token or purchase order; in chain order."""

from __future__ import annotations

from fastapi import APIRouter

from api.chain import event_page
from api.deps import ChainIdDep, SessionDep, SettingsDep
from api.pagination import PageDep
from api.params import CampaignFilter, OrderRefFilter, SupplierFilter, TokenFilter
from api.schemas.disbursements import DisbursementPublic, DisbursementsPublic
from ledger.db.models import Disbursed
from ledger.orderref import reference_of

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
    rows, next_cursor = event_page(
        session,
        Disbursed,
        chain_id=chain_id,
        campaign_id=campaign_id,
        page=page,
        depth=settings.confirmation_depth,
        supplier=supplier,
        token=token,
        purchase_order_ref=purchase_order_ref,
    )
    data = [
        DisbursementPublic.model_validate(
            {**row, "purchase_order_reference": reference_of(str(row["purchase_order_ref"]))}
        )
        for row in rows
    ]
    return DisbursementsPublic(data=data, next_cursor=next_cursor)
