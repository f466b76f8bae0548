"""Documents: invoices, bills of lading, delivery notes and hand-over certificates, stored with their
SHA-256 (what a payment's invoiceHash must equal). Uploads are multipart; documents are never edited."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Form, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from api.deps import EngineDep, ManagerKey, SessionDep, SettingsDep
from api.downloads import OPAQUE_TYPE, SERVED_TYPES, download_headers, served_type
from api.errors import AUTH_RESPONSES, NOT_FOUND
from api.routes.records_common import (
    CONFLICT,
    FilterId,
    RecordFilters,
    RecordId,
    add_list_route,
    add_read_route,
    get_record,
)
from api.schemas.common import ErrorBody
from api.schemas.records import DocumentPublic, DocumentsPublic
from ledger.db.records import Document
from ledger.db.session import write_session
from ledger.errors import DocumentTooLargeError
from ledger.records import service
from ledger.records.schemas import DocumentKind, DocumentMeta

router = APIRouter(prefix="/documents", tags=["records"])

TOO_LARGE: dict[int | str, dict[str, object]] = {413: {"model": ErrorBody, "description": "File too large"}}


class DocumentFilters(RecordFilters):
    order_id: FilterId = None
    kind: DocumentKind | None = None


add_list_route(
    router,
    name="documents",
    summary="List documents (metadata and hashes)",
    model=Document,
    page=DocumentsPublic,
    filters=DocumentFilters,
)
add_read_route(
    router, name="document", model=Document, public=DocumentPublic, summary="Read a document's metadata"
)


@router.get(
    "/{record_id}/content",
    response_class=Response,
    responses={
        **NOT_FOUND,
        200: {
            "content": {t: {} for t in sorted({OPAQUE_TYPE, *SERVED_TYPES})},
            "description": "The file, as an attachment: its declared type if an inert document type "
            "(PDF, PNG, JPEG, TIFF, XML, JSON, CSV, plain text), else application/octet-stream",
        },
    },
    summary="Download a document's file",
)
def read_document_content(record_id: RecordId, session: SessionDep) -> Response:
    document: Document = get_record(session, Document, record_id, "document")
    return Response(
        content=document.content,
        media_type=served_type(document.content_type),
        headers={**download_headers(document.filename), "X-Content-SHA256": document.sha256},
    )


@router.post(
    "",
    status_code=201,
    response_model=DocumentPublic,
    responses={**AUTH_RESPONSES, **CONFLICT, **TOO_LARGE},
    summary="Upload a document (manager key); the same file twice is a conflict",
)
async def upload_document(
    file: UploadFile,
    kind: Annotated[DocumentKind, Form()],
    key: ManagerKey,
    engine: EngineDep,
    settings: SettingsDep,
    order_id: Annotated[int | None, Form(ge=1, le=2**63 - 1)] = None,
    amount: Annotated[Decimal | None, Form(ge=0, max_digits=38, decimal_places=8)] = None,
    currency: Annotated[str | None, Form(pattern=r"^[A-Z][A-Z0-9]{2,9}$")] = None,
    description: Annotated[str, Form(max_length=10_000)] = "",
) -> DocumentPublic:
    try:
        meta = DocumentMeta(
            kind=kind, order_id=order_id, amount=amount, currency=currency, description=description
        )
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from exc
    limit = settings.document_max_bytes
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise DocumentTooLargeError(f"the file is larger than the limit of {limit:,} bytes")

    def store() -> DocumentPublic:
        with write_session(engine) as s:
            document = service.add_document(
                s,
                meta=meta,
                filename=file.filename or "document",
                content_type=file.content_type or "application/octet-stream",
                content=content,
                actor=key.name,
                max_bytes=limit,
                scope=key.scope,
            )
            return DocumentPublic.model_validate(document)

    return await run_in_threadpool(store)
