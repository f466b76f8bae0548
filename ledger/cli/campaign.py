"""``campaign``: create one and set its manager (admin), cancel, pause and unpause it (guardian or admin),
and show it (anyone)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ledger.cli.app import ADMIN, ANYONE, GUARDIAN, app, console
from ledger.cli.onchain import OnChain, Plan, Role, Step, parse_addresses, run_plan
from ledger.cli.options import (
    AccountOption,
    CampaignArgument,
    DryRunOption,
    JsonOption,
    KeystoreOption,
    RpcUrlOption,
    UnsignedOption,
    YesOption,
)
from ledger.cli.parse import duration
from ledger.errors import LedgerError

if TYPE_CHECKING:
    from ledger.client import TxResult

campaign_app = typer.Typer(
    help="Campaigns: create, set the manager (admin); cancel, pause, unpause (guardian); show (anyone).",
    no_args_is_help=True,
)
app.add_typer(campaign_app, name="campaign", rich_help_panel=ADMIN)

#: The ledger's limit on a beneficiary's name (bytes of UTF-8), checked before anything is sent.
MAX_BENEFICIARY_BYTES = 200


def _created(results: list[TxResult]) -> dict[str, Any]:
    for result in results:
        for event in result.all("CampaignCreated"):
            return {"campaign": int(event["campaignId"])}
    return {}


@campaign_app.command("create", rich_help_panel=ADMIN)
def create(
    manager: Annotated[
        str, typer.Option(metavar="ADDRESS", help="The campaign manager's address (an account or a Safe)")
    ],
    beneficiary: Annotated[
        str, typer.Option(metavar="TEXT", help="Who the campaign is for, e.g. the health organisation")
    ],
    metadata: Annotated[
        Path,
        typer.Option(
            metavar="FILE", help="The campaign's description (any file): its SHA-256 is anchored on chain"
        ),
    ],
    supplier_delay: Annotated[
        str, typer.Option(metavar="DURATION", help="Wait between a supplier's approval and its first payment")
    ] = "2d",
    rpc_url: RpcUrlOption = None,
    keystore: KeystoreOption = None,
    account: AccountOption = None,
    yes: YesOption = False,
    dry_run: DryRunOption = False,
    as_json: JsonOption = False,
    unsigned: UnsignedOption = None,
) -> None:
    """Create a campaign (admin: through its timelock when it has one)."""
    (manager_address,) = parse_addresses([manager], "--manager")
    name = beneficiary.strip()
    if not name or len(name.encode()) > MAX_BENEFICIARY_BYTES:
        raise LedgerError(f"--beneficiary must be 1 to {MAX_BENEFICIARY_BYTES} bytes of text")
    try:
        metadata_hash = hashlib.sha256(metadata.read_bytes()).digest()
    except OSError as exc:
        raise LedgerError(f"cannot read --metadata {metadata}: {exc.strerror}") from None
    delay = duration(supplier_delay, "--supplier-delay")

    def plan(chain: OnChain) -> Plan:
        from ledger.reverts import duration as words

        if delay < chain.deployment.min_supplier_delay:
            raise LedgerError(
                f"--supplier-delay {words(delay)} is shorter than this ledger's minimum of "
                f"{words(chain.deployment.min_supplier_delay)}"
            )
        call = chain.ledger.calls.create_campaign(manager_address, name, metadata_hash, delay)
        return Plan(
            title="Create a campaign",
            role=Role.ADMIN,
            steps=[Step(call, f"Create a campaign for {name}, managed by {manager_address}")],
            facts=[
                ("Metadata", f"{metadata} (sha256 0x{metadata_hash.hex()})"),
                ("Supplier delay", words(delay)),
                ("Next id", str(chain.ledger.campaign_count() + 1)),
            ],
            outcome=_created,
        )

    run_plan(
        plan,
        rpc_url=rpc_url,
        keystore=keystore,
        account=account,
        yes=yes,
        dry_run=dry_run,
        as_json=as_json,
        unsigned=unsigned,
    )


@campaign_app.command("set-manager", rich_help_panel=ADMIN)
def set_manager(
    campaign: CampaignArgument,
    manager: Annotated[
        str, typer.Argument(metavar="ADDRESS", help="The new manager's address", show_default=False)
    ],
    rpc_url: RpcUrlOption = None,
    keystore: KeystoreOption = None,
    account: AccountOption = None,
    yes: YesOption = False,
    dry_run: DryRunOption = False,
    as_json: JsonOption = False,
    unsigned: UnsignedOption = None,
) -> None:
    """Hand a campaign to another manager (admin)."""
    (new_manager,) = parse_addresses([manager], "the manager")

    def plan(chain: OnChain) -> Plan:
        current = chain.ledger.campaign(campaign).manager
        return Plan(
            title=f"Set the manager of campaign {campaign}",
            role=Role.ADMIN,
            campaign_id=campaign,
            steps=[
                Step(
                    chain.ledger.calls.set_manager(campaign, new_manager),
                    f"Make {new_manager} the manager of campaign {campaign} (now {current})",
                )
            ],
        )

    run_plan(
        plan,
        rpc_url=rpc_url,
        keystore=keystore,
        account=account,
        yes=yes,
        dry_run=dry_run,
        as_json=as_json,
        unsigned=unsigned,
    )


def _protective(action: str, campaign: int, says: str, **options: Any) -> None:
    """cancel, pause, unpause: the guardian's (at once), or the admin's."""

    def plan(chain: OnChain) -> Plan:
        call = getattr(chain.ledger.calls, f"{action}_campaign")(campaign)
        return Plan(
            title=f"{action.capitalize()} campaign {campaign}",
            role=Role.GUARDIAN,
            campaign_id=campaign,
            steps=[Step(call, says)],
        )

    run_plan(plan, **options)


@campaign_app.command("cancel", rich_help_panel=GUARDIAN)
def cancel(
    campaign: CampaignArgument,
    rpc_url: RpcUrlOption = None,
    keystore: KeystoreOption = None,
    account: AccountOption = None,
    yes: YesOption = False,
    dry_run: DryRunOption = False,
    as_json: JsonOption = False,
    unsigned: UnsignedOption = None,
) -> None:
    """Cancel a campaign for good: its open round ends and every donor can take their pledge back."""
    _protective(
        "cancel",
        campaign,
        f"Cancel campaign {campaign} for good: donors get back what has not been paid out",
        rpc_url=rpc_url,
        keystore=keystore,
        account=account,
        yes=yes,
        dry_run=dry_run,
        as_json=as_json,
        unsigned=unsigned,
    )


@campaign_app.command("pause", rich_help_panel=GUARDIAN)
def pause(
    campaign: CampaignArgument,
    rpc_url: RpcUrlOption = None,
    keystore: KeystoreOption = None,
    account: AccountOption = None,
    yes: YesOption = False,
    dry_run: DryRunOption = False,
    as_json: JsonOption = False,
    unsigned: UnsignedOption = None,
) -> None:
    """Pause a campaign: no pledge and no payment until it is unpaused (refunds still work)."""
    _protective(
        "pause",
        campaign,
        f"Pause campaign {campaign}: pledges and payments stop",
        rpc_url=rpc_url,
        keystore=keystore,
        account=account,
        yes=yes,
        dry_run=dry_run,
        as_json=as_json,
        unsigned=unsigned,
    )


@campaign_app.command("unpause", rich_help_panel=GUARDIAN)
def unpause(
    campaign: CampaignArgument,
    rpc_url: RpcUrlOption = None,
    keystore: KeystoreOption = None,
    account: AccountOption = None,
    yes: YesOption = False,
    dry_run: DryRunOption = False,
    as_json: JsonOption = False,
    unsigned: UnsignedOption = None,
) -> None:
    """Unpause a campaign."""
    _protective(
        "unpause",
        campaign,
        f"Unpause campaign {campaign}: pledges and payments resume",
        rpc_url=rpc_url,
        keystore=keystore,
        account=account,
        yes=yes,
        dry_run=dry_run,
        as_json=as_json,
        unsigned=unsigned,
    )


@campaign_app.command("show", rich_help_panel=ANYONE)
def show(campaign: CampaignArgument, rpc_url: RpcUrlOption = None, as_json: JsonOption = False) -> None:
    """What the chain says of a campaign: its manager, state, rounds and what it holds per token."""
    from ledger.reads.units import human_amount, usd
    from ledger.reverts import ROUND_STATES, utc
    from ledger.reverts import duration as words

    chain = OnChain.open(rpc_url)
    info = chain.ledger.campaign(campaign)
    rounds = [chain.ledger.round(campaign, r) for r in range(1, info.round_count + 1)]
    tokens = []
    for token in info.tokens:
        totals = chain.ledger.token_totals(campaign, token)
        tokens.append((str(token), chain.token_symbol(token), chain.token_decimals(token), totals))
    state = "cancelled" if info.cancelled else "paused" if info.paused else "active"
    if as_json:
        print(
            json.dumps(
                {
                    "campaign": campaign,
                    "manager": info.manager,
                    "state": state,
                    "metadata_hash": "0x" + info.metadata_hash.hex(),
                    "supplier_delay": info.supplier_delay,
                    "rounds": [
                        {
                            "round": r.round_id,
                            "state": ROUND_STATES[int(r.state)],
                            "start": r.start,
                            "end": r.end,
                            "goal_usd": str(usd(r.goal_usd)),
                            "raised_usd": str(usd(r.raised_usd)),
                            "all_or_nothing": r.all_or_nothing,
                        }
                        for r in rounds
                    ],
                    "tokens": [
                        {"token": t, "symbol": s, "decimals": d, **{k: str(v) for k, v in vars(tt).items()}}
                        for t, s, d, tt in tokens
                    ],
                }
            )
        )
        return
    console.print(
        f"[bold]Campaign {campaign}[/bold] ({state}) · manager {info.manager} · supplier delay "
        f"{words(info.supplier_delay)} · metadata 0x{info.metadata_hash.hex()}"
    )
    table = Table("Round", "State", "From", "Until", "Goal USD", "Raised USD", "All or nothing")
    for r in rounds:
        table.add_row(
            str(r.round_id),
            ROUND_STATES[int(r.state)],
            utc(r.start),
            utc(r.end),
            f"{usd(r.goal_usd):,.2f}",
            f"{usd(r.raised_usd):,.2f}",
            "yes" if r.all_or_nothing else "no",
        )
    console.print(table)
    holdings = Table("Token", *_TOTAL_FIELDS.values())
    for _, symbol, decimals, totals in tokens:
        holdings.add_row(escape(symbol), *(human_amount(getattr(totals, f), decimals) for f in _TOTAL_FIELDS))
    console.print(holdings)


#: TokenTotals' fields and their headings: ``available`` is what the manager may pay out now.
_TOTAL_FIELDS = {
    "pledged": "Pledged",
    "refunded": "Refunded",
    "disbursed": "Paid out",
    "held": "Held",
    "available": "Spendable now",
}
