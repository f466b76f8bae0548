"""``round``: open a funding round (manager) and close it (the manager once its goal is met; anyone after
its end)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ledger.cli.app import MANAGER, app
from ledger.cli.onchain import OnChain
from ledger.cli.options import CampaignArgument, RoundArgument, Sending, sends
from ledger.cli.parse import amount, moment
from ledger.cli.plan import Plan, Role, first_event
from ledger.cli.sending import run_plan
from ledger.errors import LedgerError

round_app = typer.Typer(
    help="Funding rounds: open (manager), close (the manager, or anyone after the end).", no_args_is_help=True
)
app.add_typer(round_app, name="round", rich_help_panel=MANAGER)


def _opened(event: Any) -> dict[str, Any]:
    return {"round": int(event["roundId"])}


def _closed(event: Any) -> dict[str, Any]:
    from ledger.reverts import ROUND_STATES

    return {"outcome": ROUND_STATES[int(event["outcome"])]}


@round_app.command("open", rich_help_panel=MANAGER)
@sends()
def open_round(
    campaign: CampaignArgument,
    end: Annotated[
        str,
        typer.Option(
            metavar="TIME",
            help="When pledges stop: +14d (from now, on the chain's clock) or 2026-12-20T14:00 (UTC)",
        ),
    ],
    goal_usd: Annotated[
        str, typer.Option("--goal-usd", metavar="USD", help="The round's goal in USD, e.g. 70,000")
    ],
    start: Annotated[
        str, typer.Option(metavar="TIME", help="When pledges open: now, +1d or a date-time")
    ] = "now",
    all_or_nothing: Annotated[
        bool,
        typer.Option(
            "--all-or-nothing",
            help="If the goal is missed, every donor gets their pledge back "
            "(otherwise the manager keeps what "
            "was raised)",
        ),
    ] = False,
    *,
    sending: Sending,
) -> None:
    """Open the campaign's next funding round (its manager)."""
    from ledger.reads.units import USD_DECIMALS

    goal = amount(goal_usd, USD_DECIMALS, "--goal-usd")
    if goal == 0:
        raise LedgerError("--goal-usd must be more than 0")

    def plan(chain: OnChain) -> Plan:
        from ledger.reads.units import human_decimal, usd
        from ledger.reverts import duration, utc

        now = chain.now()
        opens, closes = moment(start, "--start", now=now), moment(end, "--end", now=now)
        if closes <= max(opens, now):
            raise LedgerError(f"--end {utc(closes)} must come after the start and after now ({utc(now)})")
        round_id = chain.ledger.campaign(campaign).round_count + 1
        rule = (
            "all or nothing: if the goal is missed, donors get their pledges back"
            if all_or_nothing
            else "keep what is raised, even below the goal"
        )
        return Plan.of_one(
            chain.ledger.calls.open_round(campaign, opens, closes, goal, all_or_nothing),
            f"Open round {round_id} of campaign {campaign} for {duration(closes - opens)}, "
            f"goal {human_decimal(usd(goal))} USD",
            title=f"Open round {round_id} of campaign {campaign}",
            role=Role.MANAGER,
            campaign_id=campaign,
            facts=[("From", utc(opens)), ("Until", utc(closes)), ("Rule", rule)],
            outcome=first_event("RoundOpened", _opened),
        )

    run_plan(plan, sending)


@round_app.command("close", rich_help_panel=MANAGER)
@sends()
def close_round(
    campaign: CampaignArgument,
    round_id: RoundArgument,
    sending: Sending,
) -> None:
    """Close a round: anyone once it has ended, its manager before that once the goal is met. It succeeds
    when it met its goal; otherwise it fails (and an all-or-nothing round's donors can take their pledges
    back)."""

    def plan(chain: OnChain) -> Plan:
        from ledger.client import RoundState
        from ledger.reads.units import human_decimal, usd
        from ledger.reverts import utc

        info = chain.ledger.round(campaign, round_id)
        ended = chain.now() >= info.end
        met = info.raised_usd >= info.goal_usd
        if info.state is RoundState.OPEN and not ended and not met:
            raise LedgerError(
                f"round {round_id} of campaign {campaign} is open until {utc(info.end)} "
                f"and has not met its goal "
                f"({human_decimal(usd(info.raised_usd))} of {human_decimal(usd(info.goal_usd))} USD): "
                "it can be closed once it ends"
            )
        if met:
            outcome = "succeeds: the funds become spendable by the manager"
        elif info.all_or_nothing:
            outcome = "fails: every donor can take their pledge back (`refund push` or `refund claim`)"
        else:
            outcome = "misses its goal; the manager keeps what was raised (not all or nothing)"
        return Plan.of_one(
            chain.ledger.calls.close_round(campaign, round_id),
            f"Close round {round_id} of campaign {campaign}: it {outcome}",
            title=f"Close round {round_id} of campaign {campaign}",
            # Before its end only the manager may close it (to bank a goal already met); after, anyone.
            role=Role.ANYONE if ended else Role.MANAGER,
            campaign_id=campaign,
            facts=[
                (
                    "Raised",
                    f"{human_decimal(usd(info.raised_usd))} of {human_decimal(usd(info.goal_usd))} USD",
                ),
                ("Ends", utc(info.end)),
            ],
            outcome=first_event("RoundClosed", _closed),
        )

    run_plan(plan, sending)
