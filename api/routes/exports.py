"""Exports for auditors (manager or auditor key): every table, and the reconciliation, as CSV or JSON.

A key for some campaigns exports their reconciliations only: a whole table holds every campaign's rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from api.deps import AllCampaignsReaderKey, CampaignReaderKey, EngineDep, ReaderKey
from api.downloads import download_headers
from api.errors import AUTH_RESPONSES, NOT_FOUND
from api.exports import ExportTable, stream_csv, stream_json
from api.routes.reconciliation import CampaignReportDep
from ledger.reconcile import CSV_COLUMNS, report_csv_rows
from ledger.spreadsheet import csv_lines

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
        headers=download_headers(f"{filename}.{fmt.value}"),
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
    table: ExportTable, engine: EngineDep, _key: AllCampaignsReaderKey, fmt: FormatQuery = ExportFormat.csv
) -> StreamingResponse:
    chunks = stream_csv(engine, table) if fmt is ExportFormat.csv else stream_json(engine, table)
    return streamed(chunks, fmt, table.value)


@router.get(
    "/campaigns/{campaign_id}/reconciliation",
    response_class=StreamingResponse,
    responses={**EXPORT_CONTENT, **NOT_FOUND},
    summary="A campaign's reconciliation as CSV (one metric per row) or JSON (the report)",
)
def export_reconciliation(
    _key: CampaignReaderKey, report: CampaignReportDep, fmt: FormatQuery = ExportFormat.csv
) -> StreamingResponse:
    name = f"reconciliation-{report.campaign.campaign_id}" + (
        f"-round-{report.round_id}" if report.round_id is not None else ""
    )
    if fmt is ExportFormat.json:
        return streamed(iter([report.model_dump_json()]), fmt, name)
    rows = ([row[c] for c in CSV_COLUMNS] for row in report_csv_rows(report))
    return streamed(csv_lines(list(CSV_COLUMNS), rows), fmt, name)
