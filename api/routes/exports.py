"""Exports for auditors (manager or auditor key): every table, and the reconciliation, as CSV or JSON."""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from api.deps import EngineDep, ReaderKey
from api.errors import AUTH_RESPONSES
from api.exports import ExportTable, stream_csv, stream_json

router = APIRouter(prefix="/exports", tags=["exports"], responses=AUTH_RESPONSES)


class ExportFormat(StrEnum):
    csv = "csv"
    json = "json"


MEDIA_TYPES = {ExportFormat.csv: "text/csv; charset=utf-8", ExportFormat.json: "application/json"}
FormatQuery = Annotated[ExportFormat, Query(alias="format", description="csv (default) or json")]

#: How the OpenAPI schema describes a streamed export.
EXPORT_CONTENT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The export, streamed",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
        },
    }
}


class ExportTablesPublic(BaseModel):
    data: list[ExportTable]


def streamed(chunks: Iterator[str], fmt: ExportFormat, filename: str) -> StreamingResponse:
    return StreamingResponse(
        chunks,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}.{fmt.value}"'},
    )


@router.get("/tables", response_model=ExportTablesPublic, summary="The tables that can be exported")
def list_export_tables(_key: ReaderKey) -> ExportTablesPublic:
    return ExportTablesPublic(data=list(ExportTable))


@router.get(
    "/tables/{table}",
    response_class=StreamingResponse,
    responses=EXPORT_CONTENT,
    summary="One whole table (chain mirror or off-chain records) as CSV or JSON, streamed",
)
def export_table(
    table: ExportTable, engine: EngineDep, _key: ReaderKey, fmt: FormatQuery = ExportFormat.csv
) -> StreamingResponse:
    chunks = stream_csv(engine, table) if fmt is ExportFormat.csv else stream_json(engine, table)
    return streamed(chunks, fmt, table.value)
