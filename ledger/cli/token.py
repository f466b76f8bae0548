"""``token accept``: let a campaign take pledges in a token, priced by a USD feed (admin). The feed is read
and checked before anything is sent: a feed with odd decimals, no answer or a stale one would make every
pledge revert, or price it wrongly."""

from __future__ import annotations

from typing import Annotated

import typer

from ledger.cli.app import ADMIN, app
from ledger.cli.onchain import ETH, OnChain, Plan, Role, Step, parse_addresses, run_plan
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

token_app = typer.Typer(help="Tokens a campaign accepts: `token accept` (admin).", no_args_is_help=True)
app.add_typer(token_app, name="token", rich_help_panel=ADMIN)


@token_app.command("accept", rich_help_panel=ADMIN)
def accept(
    campaign: CampaignArgument,
    token: Annotated[
        str,
        typer.Argument(
            metavar="TOKEN",
            help="ETH, a token address, or the symbol of a token this deployment knows",
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
    rpc_url: RpcUrlOption = None,
    keystore: KeystoreOption = None,
    account: AccountOption = None,
    yes: YesOption = False,
    dry_run: DryRunOption = False,
    as_json: JsonOption = False,
    unsigned: UnsignedOption = None,
) -> None:
    """Accept pledges of TOKEN in a campaign, valued in USD by its feed (admin: through its timelock)."""
    staleness = duration(max_staleness, "--max-staleness")
    if staleness <= 0:
        raise LedgerError("--max-staleness must be at least 1 second")
    given_feed = parse_addresses([feed], "--feed")[0] if feed is not None else None

    def plan(chain: OnChain) -> Plan:
        from ledger.client.prices import check_feed, read_feed
        from ledger.reconcile.units import human_decimal
        from ledger.reverts import duration as words
        from ledger.reverts import utc

        address = chain.resolve_token(token)
        symbol = chain.token_symbol(address)
        decimals = chain.token_decimals(address)
        if address != ETH and not chain.w3.eth.get_code(chain.w3.to_checksum_address(address)):
            raise LedgerError(
                f"the token {address} has no code on chain {chain.chain_id}: is it the right one?"
            )
        feed_address = given_feed or _known_feed(chain, address)
        reading = read_feed(chain.w3, feed_address)
        check_feed(reading, now=chain.now(), max_staleness=staleness)
        if reading.description and not reading.description.replace(" ", "").upper().endswith("/USD"):
            raise LedgerError(
                f"the feed {feed_address} prices {reading.description!r}, not a token in USD: "
                "a campaign's figures are in USD"
            )
        price = f"1 {symbol} = {human_decimal(reading.price(), 4)} USD"
        return Plan(
            title=f"Accept {symbol} in campaign {campaign}",
            role=Role.ADMIN,
            campaign_id=campaign,
            steps=[
                Step(
                    chain.ledger.calls.accept_token(campaign, address, feed_address, staleness),
                    f"Accept pledges of {symbol} ({address}, {decimals} decimals) in campaign {campaign}",
                )
            ],
            facts=[
                ("Feed", f"{feed_address} ({reading.description or 'no description'})"),
                ("Price now", f"{price} (updated {utc(reading.updated_at)})"),
                ("Max staleness", f"{words(staleness)}: older prices refuse pledges"),
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


def _known_feed(chain: OnChain, address: str) -> str:
    for known in chain.deployment.tokens.values():
        if known.address.lower() == address.lower():
            return known.feed
    raise LedgerError(f"no feed known for {address}: give its USD price feed with --feed ADDRESS")
