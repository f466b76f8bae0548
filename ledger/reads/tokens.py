"""A campaign's tokens: which it accepts, and per token what was pledged, refunded, disbursed and is held;
what every campaign of a chain holds; the symbols the records give tokens."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.db.models import Disbursed, Pledged, Refunded, TokenAccepted
from ledger.db.records import Token
from ledger.reads.aggregates import CampaignAggregates
from ledger.reads.mirror import MirrorPosition, mirrored
from ledger.reads.sums import grouped_sums


@dataclass(frozen=True)
class TokenRow:
    """A token the campaign accepts, with its USD price feed (the last ``TokenAccepted`` for it)."""

    token: str
    token_decimals: int
    feed: str
    feed_decimals: int
    max_staleness: int

    @property
    def decimals(self) -> int:
        return self.token_decimals


def accepted_tokens(s: Session, pos: MirrorPosition, campaign_id: int) -> dict[str, TokenRow]:
    """The campaign's tokens, in the order they were accepted (a later event for a token changed its feed)."""
    tokens: dict[str, TokenRow] = {}
    rows = s.execute(
        select(
            TokenAccepted.token,
            TokenAccepted.token_decimals,
            TokenAccepted.feed,
            TokenAccepted.feed_decimals,
            TokenAccepted.max_staleness,
        )
        .where(*mirrored(TokenAccepted, pos, campaign_id))
        .order_by(TokenAccepted.id)
    )
    for row in rows:
        tokens[row[0]] = TokenRow(*row)
    return tokens


def per_token(pairs: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Amounts added up per token."""
    sums: dict[str, int] = defaultdict(int)
    for token, amount in pairs:
        sums[token] += amount
    return dict(sums)


@dataclass(frozen=True)
class TokenFigures:
    """A campaign's totals in one token (base units; ``pledged_usd`` USD at receipt, 8 decimals)."""

    token: str
    pledged: int = 0
    pledged_usd: int = 0
    pledges: int = 0
    refunded: int = 0
    disbursed: int = 0

    @property
    def held(self) -> int:
        """What the contract holds for the campaign: pledged − refunded − disbursed."""
        return self.pledged - self.refunded - self.disbursed


def token_figures(sums: CampaignAggregates, disbursed: Mapping[str, int]) -> dict[str, TokenFigures]:
    """Per token the campaign has any pledge, refund or payment of, its totals (in no particular order)."""
    figures: dict[str, TokenFigures] = {}
    for (_, token), p in sums.pledges.items():
        f = figures.get(token, TokenFigures(token))
        figures[token] = replace(
            f, pledged=f.pledged + p.amount, pledged_usd=f.pledged_usd + p.usd, pledges=f.pledges + p.count
        )
    for (_, token), r in sums.refunds.items():
        f = figures.get(token, TokenFigures(token))
        figures[token] = replace(f, refunded=f.refunded + r.amount)
    for token, amount in disbursed.items():
        figures[token] = replace(figures.get(token, TokenFigures(token)), disbursed=amount)
    return figures


def disbursed_totals(s: Session, pos: MirrorPosition, campaign_id: int) -> dict[str, int]:
    """The base units paid out of the campaign, per token."""
    rows = grouped_sums(s, [Disbursed.token], [], [Disbursed.amount], mirrored(Disbursed, pos, campaign_id))
    return {token: amount for token, amount in rows}


def ledger_held(s: Session, pos: MirrorPosition, *, after_block: int | None = None) -> dict[str, int]:
    """Per token, what all campaigns of the chain hold (pledged − refunded − disbursed): the contract's
    balance must cover it. With ``after_block``, the change over the blocks after it."""
    held: dict[str, int] = {}
    for model, sign in ((Pledged, 1), (Refunded, -1), (Disbursed, -1)):
        where = [model.chain_id == pos.chain_id, (model.block_number + 0) <= pos.block_number]
        if after_block is not None:
            where = [
                model.chain_id == pos.chain_id,
                model.block_number > after_block,
                model.block_number <= pos.block_number,
            ]
        for token, amount in grouped_sums(s, [model.token], [], [model.amount], where):
            held[token] = held.get(token, 0) + sign * int(amount)
    return held


def token_symbols(s: Session, addresses: Iterable[str] | None = None) -> dict[str, str]:
    """The symbol of every token that has a record (or of those of ``addresses``), by address."""
    query = select(Token.address, Token.symbol)
    if addresses is not None:
        query = query.where(Token.address.in_(sorted(set(addresses))))
    return {address: symbol for address, symbol in s.execute(query)}
