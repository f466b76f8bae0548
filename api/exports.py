"""Exports of whole tables as CSV or JSON, streamed row by row.

Rows are read through a connection of the export's own with ``yield_per`` (a server-side cursor on
PostgreSQL), so memory stays flat however large the table. uint256 columns and decimals are written as
decimal strings, as everywhere in the API; dates and times in ISO 8601. CSV is written by
:func:`ledger.spreadsheet.csv_lines`, which keeps every cell from being read as a spreadsheet formula.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Engine, Table, select

from ledger.db.models import Base
from ledger.db.types import Uint256
from ledger.spreadsheet import csv_lines

#: Rows fetched from the database at a time.
BATCH_ROWS = 1_000


class ExportTable(StrEnum):
    """Every table an auditor may export: the chain mirror and the off-chain records (not the API keys)."""

    # Chain mirror.
    campaign_created = "campaign_created"
    campaign_manager_changed = "campaign_manager_changed"
    campaign_cancelled = "campaign_cancelled"
    campaign_paused = "campaign_paused"
    campaign_unpaused = "campaign_unpaused"
    token_accepted = "token_accepted"  # noqa: S105 - a table name, not a secret
    round_opened = "round_opened"
    pledged = "pledged"
    round_closed = "round_closed"
    refunded = "refunded"
    refund_deferred = "refund_deferred"
    supplier_approved = "supplier_approved"
    supplier_revoked = "supplier_revoked"
    disbursed = "disbursed"
    report_attested = "report_attested"
    role_granted = "role_granted"
    role_revoked = "role_revoked"
    role_admin_changed = "role_admin_changed"
    default_admin_transfer_scheduled = "default_admin_transfer_scheduled"
    default_admin_transfer_canceled = "default_admin_transfer_canceled"
    default_admin_delay_change_scheduled = "default_admin_delay_change_scheduled"
    default_admin_delay_change_canceled = "default_admin_delay_change_canceled"
    # The ledger's timelock.
    timelock_call_scheduled = "timelock_call_scheduled"
    timelock_call_executed = "timelock_call_executed"
    timelock_call_salt = "timelock_call_salt"
    timelock_cancelled = "timelock_cancelled"
    timelock_min_delay_change = "timelock_min_delay_change"
    blocks = "blocks"
    indexer_cursor = "indexer_cursor"
    # Off-chain records.
    suppliers = "suppliers"
    reference_prices = "reference_prices"
    purchase_orders = "purchase_orders"
    order_lines = "order_lines"
    documents = "documents"
    shipments = "shipments"
    shipment_items = "shipment_items"
    deliveries = "deliveries"
    delivery_items = "delivery_items"
    distributions = "distributions"
    tokens = "tokens"
    record_versions = "record_versions"


#: Columns never exported: a document's bytes are downloaded one by one, not dumped into a table export.
EXCLUDED_COLUMNS = {("documents", "content")}


def export_columns(table: Table) -> list[Column[Any]]:
    return [c for c in table.columns if (table.name, c.name) not in EXCLUDED_COLUMNS]


def _json_value(column: Column[Any], value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column.type, Uint256) or isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _csv_value(column: Column[Any], value: Any) -> str:
    plain = _json_value(column, value)
    if plain is None:
        return ""
    if isinstance(plain, bool):
        return "true" if plain else "false"
    if isinstance(plain, dict | list):
        return json.dumps(plain, sort_keys=True)
    return str(plain)


def _rows(engine: Engine, table: Table, columns: list[Column[Any]]) -> Iterator[tuple[Any, ...]]:
    order = list(table.primary_key.columns)
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=BATCH_ROWS).execute(select(*columns).order_by(*order))
        for row in result:
            yield tuple(row)


def table_of(name: ExportTable) -> Table:
    return Base.metadata.tables[name.value]


def stream_csv(engine: Engine, name: ExportTable) -> Iterator[str]:
    """The table as CSV: a header of column names, then one line per row in primary-key order."""
    table = table_of(name)
    columns = export_columns(table)
    yield from csv_lines([c.name for c in columns], _csv_rows(engine, table, columns), chunk_rows=BATCH_ROWS)


def _csv_rows(engine: Engine, table: Table, columns: list[Column[Any]]) -> Iterator[list[str]]:
    for row in _rows(engine, table, columns):
        yield [_csv_value(c, v) for c, v in zip(columns, row, strict=True)]


def stream_json(engine: Engine, name: ExportTable) -> Iterator[str]:
    """The table as a JSON array of objects (column → value), in primary-key order."""
    table = table_of(name)
    columns = export_columns(table)
    yield "["
    chunk: list[str] = []
    first = True
    for row in _rows(engine, table, columns):
        item = {c.name: _json_value(c, v) for c, v in zip(columns, row, strict=True)}
        chunk.append(("" if first else ",") + json.dumps(item, separators=(",", ":")))
        first = False
        if len(chunk) == BATCH_ROWS:
            yield "".join(chunk)
            chunk.clear()
    yield "".join(chunk) + "]"
