"""``campaign``: create one and set its manager (admin), cancel, pause and unpause it (guardian or admin),
and show it (anyone)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ledger.cli.app import ADMIN, ANYONE, GUARDIAN, app, console
from ledger.cli.onchain import OnChain, parse_addresses
from ledger.cli.options import CampaignArgument, JsonOption, RpcUrlOption, Sending, sends
from ledger.cli.parse import duration
from ledger.cli.plan import Plan, Role, Step, first_event
from ledger.cli.sending import run_plan
from ledger.errors import LedgerError

campaign_app = typer.Typer(
    help="Campaigns: create, set the manager (admin); cancel, pause, unpause (guardian); show (anyone).",
    no_args_is_help=True,
)
app.add_typer(campaign_app, name="campaign", rich_help_panel=ADMIN)

#: The ledger's limit on a beneficiary's name (bytes of UTF-8), checked before anything is sent.
MAX_BENEFICIARY_BYTES = 200


@campaign_app.command("create", rich_help_panel=ADMIN)
@sends()
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
    *,
    sending: Sending,
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
            outcome=first_event("CampaignCreated", lambda e: {"campaign": int(e["campaignId"])}),
        )

    run_plan(plan, sending)


@campaign_app.command("set-manager", rich_help_panel=ADMIN)
@sends()
def set_manager(
    campaign: CampaignArgument,
    manager: Annotated[
        str, typer.Argument(metavar="ADDRESS", help="The new manager's address", show_default=False)
    ],
    sending: Sending,
) -> None:
    """Hand a campaign to another manager (admin)."""
    (new_manager,) = parse_addresses([manager], "the manager")

    def plan(chain: OnChain) -> Plan:
        current = chain.ledger.campaign(campaign).manager
        return Plan.of_one(
            chain.ledger.calls.set_manager(campaign, new_manager),
            f"Make {new_manager} the manager of campaign {campaign} (now {current})",
            title=f"Set the manager of campaign {campaign}",
            role=Role.ADMIN,
            campaign_id=campaign,
        )

    run_plan(plan, sending)


def _protective(action: str, help_text: str, says: str) -> None:
    """Register ``campaign ACTION`` (cancel, pause, unpause): the guardian's (at once), or the admin's.
    ``says``: what it does to ``{campaign}``, in words."""

    def command(campaign: CampaignArgument, sending: Sending) -> None:
        def plan(chain: OnChain) -> Plan:
            call = getattr(chain.ledger.calls, f"{action}_campaign")(campaign)
            return Plan(
                title=f"{action.capitalize()} campaign {campaign}",
                role=Role.GUARDIAN,
                campaign_id=campaign,
                steps=[Step(call, says.format(campaign=campaign))],
            )

        run_plan(plan, sending)

    campaign_app.command(action, help=help_text, rich_help_panel=GUARDIAN)(sends()(command))


_protective(
    "cancel",
    "Cancel a campaign for good: its open round ends and every donor can take their pledge back.",
    "Cancel campaign {campaign} for good: donors get back what has not been paid out",
)
_protective(
    "pause",
    "Pause a campaign: no pledge and no payment until it is unpaused (refunds still work).",
    "Pause campaign {campaign}: pledges and payments stop",
)
_protective("unpause", "Unpause a campaign.", "Unpause campaign {campaign}: pledges and payments resume")


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
