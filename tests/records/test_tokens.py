"""Token records (what a token address is called) on SQLite and PostgreSQL: validation, one per address,
edits with their history."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from ledger.db.records import Token
from ledger.db.session import write_session
from ledger.errors import RecordConflictError
from ledger.records import service
from ledger.records.schemas import TokenCreate, TokenUpdate
from tests.records.support import ETH, USDT


def test_a_token_is_named_once_per_address_and_its_edits_are_kept(engine: Engine) -> None:
    with write_session(engine) as s:
        service.create_token(s, data=TokenCreate(address=USDT, symbol="USDT", name="Tether USD"), actor="ann")
        service.create_token(s, data=TokenCreate(address=ETH, symbol="ETH"), actor="ann")
    with pytest.raises(RecordConflictError, match="recorded already"), write_session(engine) as s:
        service.create_token(s, data=TokenCreate(address=USDT, symbol="FAKE"), actor="eve")
    with write_session(engine) as s:
        service.update_token(s, record_id=1, changes=TokenUpdate(version=1, symbol="USDT0"), actor="bob")
    with pytest.raises(RecordConflictError, match="at version 2"), write_session(engine) as s:
        service.update_token(s, record_id=1, changes=TokenUpdate(version=1, symbol="X"), actor="eve")
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Token)) == 2
        token = s.get_one(Token, 1)
        assert (token.address, token.symbol, token.name, token.version) == (USDT, "USDT0", "Tether USD", 2)
        versions = service.history(s, record_type="token", record_id=1)
        assert [(v.action, v.actor) for v in versions] == [("create", "ann"), ("update", "bob")]
        assert versions[1].before is not None and versions[1].before["symbol"] == "USDT"
        assert versions[1].after["symbol"] == "USDT0"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("symbol", ""),
        ("symbol", "THIRTEEN-CHAR"),
        ("symbol", "US DC"),
        ("symbol", "<b>"),
        ("address", USDT.lower()),
        ("address", "0x1234"),
    ],
)
def test_a_bad_symbol_or_address_is_refused(field: str, value: str) -> None:
    values = {"address": USDT, "symbol": "USDT", field: value}
    with pytest.raises(ValidationError, match=field):
        TokenCreate.model_validate(values)


def test_the_address_of_a_token_record_cannot_be_edited() -> None:
    with pytest.raises(ValidationError, match="address"):
        TokenUpdate.model_validate({"version": 1, "address": ETH})
