"""``refund``: send every donor still owed in a refundable round their pledges back, in batches (anyone,
usually the manager, pays the gas: ``push``); or take one's own back (a donor: ``claim``)."""

from __future__ import annotations

from typing import Annotated

import typer

from ledger.cli.app import DONOR, MANAGER, app
from ledger.cli.onchain import OnChain
from ledger.cli.options import CampaignArgument, RoundArgument, Sending, sends
from ledger.cli.plan import Plan, Role, Step
from ledger.cli.sending import run_plan
from ledger.errors import LedgerError

refund_app = typer.Typer(
    help="Refunds of a failed all-or-nothing round or a cancelled campaign: push (manager), claim (donor).",
    no_args_is_help=True,
)
app.add_typer(refund_app, name="refund", rich_help_panel=MANAGER)

TokenOption = Annotated[
    str | None,
    typer.Option(
        metavar="TOKEN",
        help="Only this token (ETH, a symbol or an address); default: every token",
        show_default=False,
    ),
]
#: The ledger refuses batches of more than ``MAX_REFUND_BATCH`` (100) donors.
MAX_BATCH = 100


def owed(chain: OnChain, campaign: int, round_id: int, tokens: list[str]) -> dict[str, dict[str, int]]:
    """Per token, each donor of the round who is still owed a refund, and how much (the ledger's
    ``refundableAmount``); the donors are those of the round's ``Pledged`` events."""
    pledgers: dict[str, list[str]] = {token.lower(): [] for token in tokens}
    for event in chain.ledger.event_args(
        "Pledged", from_block=chain.deployment.block_number, campaignId=campaign, roundId=round_id
    ):
        donors = pledgers.get(str(event["token"]).lower())
        if donors is not None and event["donor"] not in donors:
            donors.append(event["donor"])
    result: dict[str, dict[str, int]] = {}
    for token in tokens:
        amounts = {
            d: chain.ledger.refundable_amount(campaign, round_id, token, d) for d in pledgers[token.lower()]
        }
        result[token] = {d: a for d, a in amounts.items() if a > 0}
    return result


def _tokens(chain: OnChain, campaign: int, token: str | None) -> list[str]:
    if token is not None:
        return [chain.resolve_token(token, campaign)]
    return [str(t) for t in chain.ledger.campaign(campaign).tokens]


@refund_app.command("push", rich_help_panel=MANAGER)
@sends()
def push(
    campaign: CampaignArgument,
    round_id: RoundArgument,
    token: TokenOption = None,
    batch_size: Annotated[
        int, typer.Option(min=1, max=MAX_BATCH, help="Donors per transaction (the ledger takes at most 100)")
    ] = 50,
    *,
    sending: Sending,
) -> None:
    """Send every donor still owed in a round their refund, in batches, with a progress bar (anyone may, and
    pays the gas; donors who reject a transfer keep their claim)."""

    def plan(chain: OnChain) -> Plan:
        tokens = _tokens(chain, campaign, token)
        due = owed(chain, campaign, round_id, tokens)
        steps: list[Step] = []
        amounts = []
        for address, donors in due.items():
            if not donors:
                continue
            symbol = chain.token_symbol(address)
            wallets = list(donors)
            for start in range(0, len(wallets), batch_size):
                batch = wallets[start : start + batch_size]
                steps.append(
                    Step(
                        chain.ledger.calls.push_refunds(campaign, round_id, address, batch),
                        f"Refund {len(batch)} donor(s) their {symbol}",
                    )
                )
            amounts.append(chain.amount(campaign, address, sum(donors.values())))
        if not steps:
            raise LedgerError(f"no donor of round {round_id} of campaign {campaign} is owed a refund")
        donors_total = sum(len(d) for d in due.values())
        return Plan(
            title=f"Push refunds of round {round_id} of campaign {campaign}",
            role=Role.ANYONE,
            campaign_id=campaign,
            steps=steps,
            amounts=amounts,
            facts=[("Donors", f"{donors_total} in {len(steps)} transaction(s) of at most {batch_size}")],
        )

    run_plan(plan, sending)


@refund_app.command("claim", rich_help_panel=DONOR)
@sends(unsigned=False)
def claim(
    campaign: CampaignArgument,
    round_id: RoundArgument,
    token: TokenOption = None,
    *,
    sending: Sending,
) -> None:
    """Take back your own pledges of a round that is refundable (failed all-or-nothing, or cancelled)."""

    def plan(chain: OnChain) -> Plan:
        donor = chain.signer_address
        steps, amounts = [], []
        for address in _tokens(chain, campaign, token):
            due = chain.ledger.refundable_amount(campaign, round_id, address, donor)
            if due > 0:
                amount = chain.amount(campaign, address, due)
                steps.append(
                    Step(
                        chain.ledger.calls.claim_refund(campaign, round_id, address),
                        f"Take back {amount.words()}",
                    )
                )
                amounts.append(amount)
        if not steps:
            pledged = any(
                chain.ledger.pledge_of(campaign, round_id, a, donor) for a in _tokens(chain, campaign, token)
            )
            why = (
                "its round is not refundable (it succeeded, is still open, or kept what it raised)"
                if pledged
                else "it holds no pledge of yours"
            )
            raise LedgerError(
                f"nothing to claim for {donor} in round {round_id} of campaign {campaign}: {why}"
            )
        return Plan(
            title=f"Claim a refund from round {round_id} of campaign {campaign}",
            role=Role.ANYONE,
            campaign_id=campaign,
            steps=steps,
            amounts=amounts,
        )

    run_plan(plan, sending)
