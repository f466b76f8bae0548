"""``supplier``: approve a vetted supplier for a campaign (manager), anchoring the canonical hash of its
record; revoke an approval (the guardian, the admin or the campaign's manager)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from ledger.cli import context
from ledger.cli.app import GUARDIAN, MANAGER, app
from ledger.cli.onchain import OnChain
from ledger.cli.options import CampaignArgument, DatabaseUrlOption, Sending, sends
from ledger.cli.plan import Plan, Role, first_event
from ledger.cli.sending import run_plan
from ledger.errors import LedgerError

if TYPE_CHECKING:
    from ledger.db.records import Supplier

supplier_app = typer.Typer(
    help="Suppliers a campaign may pay: approve from a vetted record (manager); revoke (guardian, manager).",
    no_args_is_help=True,
)
app.add_typer(supplier_app, name="supplier", rich_help_panel=MANAGER)

SupplierArgument = Annotated[
    str,
    typer.Argument(
        metavar="SUPPLIER", help="The supplier's record id, or its wallet address", show_default=False
    ),
]


def supplier_record(database_url: str | None, given: str) -> Supplier:
    """The supplier record ``given`` names: its id, or its wallet."""
    from sqlalchemy import select
    from web3 import Web3

    from ledger.db.records import Supplier

    with context.records(database_url) as session:
        if given.isdigit():
            found = session.get(Supplier, int(given))
        elif Web3.is_address(given):
            found = session.scalar(select(Supplier).where(Supplier.wallet == Web3.to_checksum_address(given)))
        else:
            raise LedgerError(f"SUPPLIER {given!r} is neither a record id nor a wallet address")
        if found is None:
            raise LedgerError(f"no supplier record {given} in {context.database_url(database_url)}")
        session.expunge(found)
        return found


def _approved(event: Any) -> dict[str, Any]:
    from ledger.reverts import utc

    return {"payable_from": utc(int(event["effectiveAt"]))}


@supplier_app.command("approve", rich_help_panel=MANAGER)
@sends()
def approve(
    campaign: CampaignArgument,
    supplier: SupplierArgument,
    database_url: DatabaseUrlOption = None,
    *,
    sending: Sending,
) -> None:
    """Approve a supplier whose record is vetted: its wallet may be paid once the campaign's supplier delay
    has passed, and the hash of its record is anchored on chain (an edit of the record shows later as a
    different hash)."""
    record = supplier_record(database_url, supplier)
    if record.vetting_status != "approved":
        raise LedgerError(
            f"supplier {record.id} ({record.name}) is {record.vetting_status}, not approved by vetting: "
            "record the vetting outcome first (PATCH /api/v1/suppliers/{id})"
        )

    def plan(chain: OnChain) -> Plan:
        from ledger.records.anchors import supplier_record_hash
        from ledger.reverts import duration, utc

        record_hash = supplier_record_hash(record)
        info = chain.ledger.campaign(campaign)
        current = chain.ledger.supplier_approval(campaign, record.wallet)
        if current.approved and current.record_hash == record_hash:
            raise LedgerError(
                f"supplier {record.id} is already approved for campaign {campaign} with this very record "
                f"(payable from {utc(current.effective_at)})"
            )
        payable_from = chain.now() + info.supplier_delay
        return Plan.of_one(
            chain.ledger.calls.approve_supplier(campaign, record.wallet, record_hash),
            f"Approve {record.name} ({record.country}), wallet {record.wallet}, for campaign {campaign}",
            title=f"Approve supplier {record.id} for campaign {campaign}",
            role=Role.MANAGER,
            campaign_id=campaign,
            facts=[
                ("Record", f"supplier {record.id} version {record.version}: sha256 0x{record_hash.hex()}"),
                (
                    "Payable",
                    f"from about {utc(payable_from)} (after {duration(info.supplier_delay)}; the guardian "
                    "can revoke it until then)",
                ),
            ]
            + (
                [("Replaces", f"the approval of record hash 0x{current.record_hash.hex()}")]
                if current.approved
                else []
            ),
            outcome=first_event("SupplierApproved", _approved),
        )

    run_plan(plan, sending)


@supplier_app.command("revoke", rich_help_panel=GUARDIAN)
@sends()
def revoke(
    campaign: CampaignArgument,
    supplier: SupplierArgument,
    database_url: DatabaseUrlOption = None,
    *,
    sending: Sending,
) -> None:
    """Revoke a supplier's approval, pending or effective: it can no longer be paid by the campaign (the
    guardian, the admin, or the campaign's manager)."""
    from web3 import Web3

    if Web3.is_address(supplier):
        wallet: str = Web3.to_checksum_address(supplier)
        name = wallet
    else:
        record = supplier_record(database_url, supplier)
        wallet, name = record.wallet, f"{record.name} ({record.wallet})"

    def plan(chain: OnChain) -> Plan:
        if not chain.ledger.supplier_approval(campaign, wallet).approved:
            raise LedgerError(f"{name} is not approved for campaign {campaign}: nothing to revoke")
        return Plan.of_one(
            chain.ledger.calls.revoke_supplier(campaign, wallet),
            f"Revoke {name}: campaign {campaign} can no longer pay it",
            title=f"Revoke a supplier of campaign {campaign}",
            role=Role.REVOKER,
            campaign_id=campaign,
        )

    run_plan(plan, sending)
