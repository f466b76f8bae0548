"""Hostile requests for the API tests: the app's routes as its OpenAPI schema lists them (so that a new
route is covered without editing a test), bodies nested to any depth, the answers such bodies must get,
and a snapshot of everything stored, to show that refused requests wrote nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine, func, select

from api.body_limit import BodyLimitMiddleware
from api.json_depth import MAX_JSON_DEPTH
from ledger.db.models import Base
from ledger.db.records import RecordVersion
from tests.records.support import USDT, WALLET

WRITE_METHODS = ("post", "put", "patch")
API = "/api/v1"
#: What the API answers a body nested too deeply.
TOO_DEEP = f"nested deeper than {MAX_JSON_DEPTH} levels"


@dataclass(frozen=True)
class Operation:
    """One route and method of the app's OpenAPI schema, with its path parameters filled in."""

    method: str
    template: str
    path: str
    body_types: tuple[str, ...]
    parameters: tuple[dict[str, Any], ...]

    @property
    def takes_json(self) -> bool:
        return "application/json" in self.body_types

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.template}"


def operations(app: FastAPI, *, path_value: str = "1") -> list[Operation]:
    """Every operation the app documents, each path parameter set to ``path_value``."""
    found = []
    for template, methods in app.openapi()["paths"].items():
        for method, spec in methods.items():
            found.append(
                Operation(
                    method=method,
                    template=template,
                    path=re.sub(r"\{[^}]+\}", path_value, template),
                    body_types=tuple(spec.get("requestBody", {}).get("content", {})),
                    parameters=tuple(spec.get("parameters", [])),
                )
            )
    return found


def write_operations(app: FastAPI) -> list[Operation]:
    """The routes that take a body: every POST, PUT and PATCH."""
    writes = [op for op in operations(app) if op.method in WRITE_METHODS]
    assert writes, "the schema lists no write route"
    return writes


def body_limit(app: FastAPI, path: str) -> int:
    """The largest body the app accepts on ``path`` (its BodyLimitMiddleware's rule)."""
    for middleware in app.user_middleware:
        if middleware.cls is BodyLimitMiddleware:
            limiter = BodyLimitMiddleware(app, **middleware.kwargs)
            return limiter.limit_for(path)
    raise AssertionError("the app has no BodyLimitMiddleware")


def nested(depth: int, *, closed: bool = True) -> bytes:
    """An array nested ``depth`` levels deep (``[[[…]]]``), left open if not ``closed``."""
    return b"[" * depth + (b"]" * depth if closed else b"")


def nesting_cases(limit: int) -> list[tuple[str, bytes, int]]:
    """(name, body, depth): around the bound, far past it, and the deepest bodies that fit in ``limit``
    bytes, closed and left open."""
    depths = (10, MAX_JSON_DEPTH - 1, MAX_JSON_DEPTH, MAX_JSON_DEPTH + 1, 1_000, 100_000)
    cases = [(f"depth {d}", nested(d), d) for d in depths]
    cases.append((f"deepest closed ({limit // 2:,})", nested(limit // 2), limit // 2))
    cases.append((f"deepest open ({limit:,})", nested(limit, closed=False), limit))
    cases.append(("objects 65 deep", b'{"a":' * 65 + b"1" + b"}" * 65, 65))
    return cases


def assert_nesting_answer(op: Operation, status: int, text: str, depth: int, where: str) -> None:
    """Past the bound: a 422 saying so. Within it: parsed, then refused for what it is (no key, not a
    record): a 4xx that is not about nesting. A form route never reads a JSON body: a 4xx either way."""
    if not op.takes_json:
        assert 400 <= status < 500, f"{where}: {status} {text[:200]}"
    elif depth > MAX_JSON_DEPTH:
        assert status == 422 and TOO_DEEP in text, f"{where}: {status} {text[:200]}"
    else:
        assert 400 <= status < 500 and TOO_DEEP not in text, f"{where}: {status} {text[:200]}"


@dataclass(frozen=True)
class Stored:
    """Row counts of every table and the whole record-version history."""

    counts: dict[str, int]
    history: list[tuple[Any, ...]]


def stored(engine: Engine) -> Stored:
    with engine.connect() as conn:
        counts = {
            table.name: int(conn.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
        }
        history = [tuple(row) for row in conn.execute(select(RecordVersion).order_by(RecordVersion.id))]
    return Stored(counts, history)


LINE = {"item": "mask", "quantity": 1, "unit": "piece", "unit_price": "0.4", "currency": "USD"}
ITEMS = [{"order_line_id": 1, "quantity": 1}]
#: A well-formed body for each known create route (naming campaign 1, supplier 1, order 1 and its line 1…),
#: so that a hostile field, or a forged key, meets everything else valid.
VALID_CREATES: dict[str, dict[str, Any]] = {
    "/suppliers": {"name": "Mask Maker", "country": "CN", "wallet": WALLET},
    "/reference-prices": {"item": "mask", "unit": "piece", "currency": "USD", "unit_price": "0.08"},
    "/orders": {
        "campaign_id": 1,
        "supplier_id": 1,
        "reference": "PO-1",
        "payment_token": USDT,
        "payment_amount": "100",
        "issued_on": "2020-05-04",
        "lines": [LINE],
    },
    "/shipments": {
        "order_id": 1,
        "origin": "A",
        "destination": "B",
        "shipped_on": "2020-05-05",
        "items": ITEMS,
    },
    "/deliveries": {
        "shipment_id": 1,
        "consignee": "X",
        "place": "Y",
        "delivered_on": "2020-05-06",
        "items": ITEMS,
    },
    "/distributions": {
        "delivery_id": 1,
        "order_line_id": 1,
        "recipient": "Ghana",
        "quantity": 1,
        "distributed_on": "2020-05-07",
    },
    "/tokens": {"address": USDT, "symbol": "USDT"},
}


def valid_body(op: Operation, valid: dict[str, dict[str, Any]] = VALID_CREATES) -> dict[str, Any]:
    """A body the route would take (an edit: of version 1, changing the create's fields); ``{}`` for a
    route it does not know."""
    resource = "/" + op.template.removeprefix(API).strip("/").split("/")[0]
    create = valid.get(resource, {})
    return dict(create) if op.method == "post" else {"version": 1, **create}
