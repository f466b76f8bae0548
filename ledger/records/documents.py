"""Documents: files stored once each with their SHA-256 (what a payment's ``invoiceHash`` must equal),
never edited; and the check that a record may name one as its proof."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.db.records import Document, PurchaseOrder
from ledger.errors import DocumentTooLargeError, InvalidRecordError, RecordConflictError
from ledger.records.names import forbidden_in_name
from ledger.records.ownership import authorize_campaign_record, authorize_write
from ledger.records.schemas import DocumentMeta
from ledger.records.versions import must_exist, now, record_version
from ledger.scope import EVERY_CAMPAIGN, KeyScope

#: Uploads above this are refused unless the caller passes its own limit.
DEFAULT_DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
#: Kinds of document that prove a delivery.
DELIVERY_PROOF_KINDS = ("delivery_note", "handover_certificate")

#: A media type as RFC 6838 names them (parameters dropped); anything else is stored as octet-stream, since
#: it is sent back as the download's Content-Type header.
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,48}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,48}")


def _safe_filename(filename: str) -> str:
    """The name a file is stored under: its last path part, in NFC, every control, bidirectional or
    zero-width character replaced by ``_`` (``invoice`` U+202E ``fdp.exe`` shows as ``invoiceexe.pdf``)."""
    base = unicodedata.normalize("NFC", filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1])
    return "".join("_" if forbidden_in_name(c) else c for c in base).strip()[:255] or "document"


def _media_type(declared: str) -> str:
    media_type = declared.split(";", 1)[0].strip().lower()
    return media_type if _MEDIA_TYPE.fullmatch(media_type) else "application/octet-stream"


def add_document(
    s: Session,
    *,
    meta: DocumentMeta,
    filename: str,
    content_type: str,
    content: bytes,
    actor: str,
    max_bytes: int = DEFAULT_DOCUMENT_MAX_BYTES,
    scope: KeyScope = EVERY_CAMPAIGN,
) -> Document:
    """Store a file and its SHA-256. The same content is stored once; an invoice belongs to an order."""
    if len(content) > max_bytes:
        raise DocumentTooLargeError(f"the file has {len(content):,} bytes; the limit is {max_bytes:,}")
    if not content:
        raise InvalidRecordError("the file is empty")
    if meta.kind == "invoice" and meta.order_id is None:
        raise InvalidRecordError("an invoice must name the order_id it bills")
    if (meta.amount is None) != (meta.currency is None):
        raise InvalidRecordError("amount and currency go together")
    if meta.order_id is not None:
        authorize_write(s, scope, must_exist(s, PurchaseOrder, meta.order_id, "order"))
    digest = hashlib.sha256(content).hexdigest()
    stored = s.scalar(select(Document.id).where(Document.sha256 == digest))
    if stored is not None:
        raise RecordConflictError(f"this file is stored already as document {stored} (sha256 {digest})")
    document = Document(
        **meta.model_dump(),
        sha256=digest,
        filename=_safe_filename(filename),
        content_type=_media_type(content_type),
        size=len(content),
        content=content,
        uploaded_by=actor,
        uploaded_at=now(),
    )
    s.add(document)
    record_version(s, "document", document, actor=actor, before=None, version=1)
    return document


def check_document(s: Session, document_id: int | None, scope: KeyScope, kinds: Sequence[str] = ()) -> None:
    """A document a record names (if any) exists, may be used under ``scope`` and is of one of ``kinds``."""
    if document_id is None:
        return
    document = must_exist(s, Document, document_id, "document")
    authorize_campaign_record(s, scope, document)
    if kinds and document.kind not in kinds:
        raise InvalidRecordError(
            f"document {document_id} is a {document.kind}; expected one of: {', '.join(kinds)}"
        )
