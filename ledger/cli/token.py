"""``token accept``: let a campaign take pledges in a token, priced by a USD feed (admin). The feed is read
and checked before anything is sent: a feed with odd decimals, no answer or a stale one would make every
pledge revert, or price it wrongly."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import typer

from ledger.cli.app import ADMIN, app
from ledger.cli.onchain import OnChain, parse_addresses
from ledger.cli.options import CampaignArgument, Sending, sends
from ledger.cli.parse import duration
from ledger.cli.plan import ETH, Plan, Role, Step
from ledger.cli.sending import run_plan
from ledger.errors import LedgerError

token_app = typer.Typer(help="Tokens a campaign accepts: `token accept` (admin).", no_args_is_help=True)
app.add_typer(token_app, name="token", rich_help_panel=ADMIN)


@token_app.command("accept", rich_help_panel=ADMIN)
@sends()
def accept(
    campaign: CampaignArgument,
    tokens: Annotated[
        list[str],
        typer.Argument(
            metavar="TOKEN...",
            help="ETH, a token address, or the symbol of a token this deployment knows (several: one "
            "operation)",
            show_default=False,
        ),
    ],
    feed: Annotated[
        str | None,
        typer.Option(
            metavar="ADDRESS",
            help="The token's USD price feed (Chainlink AggregatorV3); default: the deployment's for a token "
            "it deployed",
            show_default=False,
        ),
    ] = None,
    max_staleness: Annotated[
        str,
        typer.Option(
            metavar="DURATION",
            help="The oldest price a pledge may use: the feed's heartbeat (1h for ETH/USD, 1d for USDT/USD)",
        ),
    ] = "1d",
    *,
    sending: Sending,
) -> None:
    """Accept pledges of TOKEN in a campaign, valued in USD by its feed (admin: through its timelock). Each
    feed is read and checked first: its decimals, a positive answer, and one fresher than --max-staleness."""
    staleness = duration(max_staleness, "--max-staleness")
    if staleness <= 0:
        raise LedgerError("--max-staleness must be at least 1 second")
    if feed is not None and len(tokens) > 1:
        raise LedgerError("--feed prices one token: accept the tokens one at a time")
    given_feed = parse_addresses([feed], "--feed")[0] if feed is not None else None

    def plan(chain: OnChain) -> Plan:
        steps: list[_Acceptance] = []
        facts: list[tuple[str, str]] = []
        for token in tokens:
            step, token_facts = _accept_step(chain, campaign, token, given_feed, staleness)
            steps.append(step)
            facts += token_facts
        symbols = ", ".join(chain.token_symbol(step.call_token) for step in steps)
        return Plan(
            title=f"Accept {symbols} in campaign {campaign}",
            role=Role.ADMIN,
            campaign_id=campaign,
            steps=[step.step for step in steps],
            facts=facts,
        )

    run_plan(plan, sending)


@dataclass(frozen=True)
class _Acceptance:
    step: Step
    call_token: str


def _accept_step(
    chain: OnChain, campaign: int, token: str, given_feed: str | None, staleness: int
) -> tuple[_Acceptance, list[tuple[str, str]]]:
    """The call accepting ``token`` with its feed, after checking both; and what the preview says of them."""
    from ledger.client.prices import check_feed, read_feed
    from ledger.reads.units import human_decimal
    from ledger.reverts import duration as words
    from ledger.reverts import utc

    address = chain.resolve_token(token)
    symbol = chain.token_symbol(address)
    decimals = chain.token_decimals(address)
    if address != ETH and not chain.w3.eth.get_code(chain.w3.to_checksum_address(address)):
        raise LedgerError(f"the token {address} has no code on chain {chain.chain_id}: is it the right one?")
    feed_address = given_feed or _known_feed(chain, address)
    reading = read_feed(chain.w3, feed_address)
    check_feed(reading, now=chain.now(), max_staleness=staleness)
    if reading.description and not reading.description.replace(" ", "").upper().endswith("/USD"):
        raise LedgerError(
            f"the feed {feed_address} prices {reading.description!r}, not a token in USD: "
            "a campaign's figures are in USD"
        )
    step = Step(
        chain.ledger.calls.accept_token(campaign, address, feed_address, staleness),
        f"Accept pledges of {symbol} ({address}, {decimals} decimals) in campaign {campaign}",
    )
    facts = [
        (f"{symbol} feed", f"{feed_address} ({reading.description or 'no description'})"),
        (
            f"{symbol} price",
            f"{human_decimal(reading.price(), 4)} USD, updated {utc(reading.updated_at)}; "
            f"older than {words(staleness)} refuses pledges",
        ),
    ]
    return _Acceptance(step, address), facts


def _known_feed(chain: OnChain, address: str) -> str:
    for known in chain.deployment.tokens.values():
        if known.address.lower() == address.lower():
            return known.feed
    raise LedgerError(f"no feed known for {address}: give its USD price feed with --feed ADDRESS")
