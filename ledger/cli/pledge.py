"""``pledge``: a donor pledges ETH or a token to a campaign's open round (approving the token first when
needed), seeing beforehand what the campaign's feed says it is worth in USD."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ledger.cli.app import DONOR, app
from ledger.cli.onchain import OnChain
from ledger.cli.options import CampaignArgument, Sending, sends
from ledger.cli.parse import amount as parse_amount
from ledger.cli.plan import ETH, Plan, Role, Step, first_event
from ledger.cli.sending import run_plan
from ledger.errors import LedgerError


def _pledged(event: Any) -> dict[str, Any]:
    from ledger.reads.units import human_decimal, usd

    return {
        "round": int(event["roundId"]),
        "credited_usd": human_decimal(usd(int(event["usdValue"]))),
    }


def open_round(chain: OnChain, campaign: int, given: int | None) -> int:
    """``given``, else the campaign's latest round when it is open."""
    from ledger.client import RoundState

    if given is not None:
        return given
    count = chain.ledger.campaign(campaign).round_count
    if count == 0 or chain.ledger.round(campaign, count).state is not RoundState.OPEN:
        raise LedgerError(f"campaign {campaign} has no open round to pledge to")
    return count


@app.command("pledge", rich_help_panel=DONOR)
@sends(unsigned=False)
def pledge(
    campaign: CampaignArgument,
    amount: Annotated[
        str,
        typer.Argument(metavar="AMOUNT", help="How much, in token units: 1.5, 70,000", show_default=False),
    ],
    token: Annotated[
        str,
        typer.Argument(
            metavar="TOKEN",
            help="ETH, or the symbol or address of a token the campaign accepts",
            show_default=False,
        ),
    ],
    round_id: Annotated[
        int | None,
        typer.Option(
            "--round", min=1, help="The round (default: the campaign's open one)", show_default=False
        ),
    ] = None,
    *,
    sending: Sending,
) -> None:
    """Pledge AMOUNT of TOKEN to a campaign's open round: a token is approved first when needed. The preview
    shows its USD value by the campaign's price feed (the ledger values it at receipt)."""

    def plan(chain: OnChain) -> Plan:
        from ledger.reads.units import human_amount

        donor = chain.signer_address
        chain.ledger.campaign(campaign)  # an unknown campaign says so, rather than "does not accept"
        address = chain.resolve_token(token, campaign)
        if not chain.ledger.token_config(campaign, address).accepted:
            raise LedgerError(f"campaign {campaign} does not accept {chain.token_symbol(address)}")
        decimals = chain.token_decimals(address)
        base_units = parse_amount(amount, decimals, "AMOUNT")
        if base_units == 0:
            raise LedgerError("a pledge must be more than 0")
        target = open_round(chain, campaign, round_id)
        value = chain.amount(campaign, address, base_units)
        balance = chain.ledger.balance(address, donor)
        if balance < base_units:
            raise LedgerError(
                f"{donor} holds {human_amount(balance, decimals)} {value.symbol}, less than the "
                f"{human_amount(base_units, decimals)} pledged"
            )
        steps = []
        if address == ETH:
            steps.append(
                Step(chain.ledger.calls.pledge(campaign, target, base_units), f"Pledge {value.words()}")
            )
        else:
            if chain.ledger.allowance(address, donor) < base_units:
                steps.append(
                    Step(
                        chain.ledger.calls.approve_token(address, base_units),
                        f"Allow the ledger to take {human_amount(base_units, decimals)} {value.symbol}",
                    )
                )
            steps.append(
                Step(
                    chain.ledger.calls.pledge_token(campaign, target, address, base_units),
                    f"Pledge {value.words()}",
                    after_previous=len(steps) > 0,
                )
            )
        return Plan(
            title=f"Pledge to round {target} of campaign {campaign}",
            role=Role.ANYONE,
            campaign_id=campaign,
            steps=steps,
            amounts=[value],
            facts=[("Donor", donor)],
            outcome=first_event("Pledged", _pledged),
        )

    run_plan(plan, sending)
