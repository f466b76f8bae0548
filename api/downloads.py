"""How the API hands out a file: always a download, never a page or a script of this origin.

An uploaded "document" is whatever its uploader sent. Served with its declared type (``text/html``,
``image/svg+xml``), a page of the same origin could load it as a script or a browser render it with the
API's cookies and origin. So a download is served as one of a few inert document types, otherwise as
``application/octet-stream``; always as an attachment, sandboxed by its CSP and with sniffing off.

The file's name goes in ``Content-Disposition`` twice (RFC 6266): ``filename*`` carries it exactly, in
UTF-8 percent-encoding (RFC 8187, formerly 5987), so ``发票.pdf`` downloads as ``发票.pdf`` and no quote,
semicolon or line break of a name can add a parameter or a header; ``filename`` carries an ASCII fallback
for clients that lack ``filename*``.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

#: Document types served as they were declared: none of them is run or rendered as a page by a browser
#: once the CSP below sandboxes it (XML included: it could be XHTML, and the sandbox keeps it inert).
SERVED_TYPES = frozenset(
    {
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/tiff",
        "application/xml",
        "text/xml",
        "application/json",
        "text/csv",
        "text/plain",
    }
)
#: Every other type, whatever was declared at upload.
OPAQUE_TYPE = "application/octet-stream"
#: No script, no plugin, no same-origin access, no subresource: the file cannot act as part of the site.
SANDBOX_CSP = "sandbox; default-src 'none'"

#: Characters kept in the ASCII fallback name; each other one becomes ``_``.
_FALLBACK_UNSAFE = re.compile(r"[^A-Za-z0-9 ._()+,-]")


def served_type(declared: str | None) -> str:
    """The type a stored file is served as: its declared type if on the allow-list, else octet-stream."""
    media_type = (declared or "").split(";", 1)[0].strip().lower()
    return media_type if media_type in SERVED_TYPES else OPAQUE_TYPE


def ascii_filename(filename: str) -> str:
    """``filename`` in printable ASCII for the ``filename`` fallback: accents dropped (``Reçu`` → ``Recu``),
    anything else that is not a plain name character replaced by ``_``."""
    decomposed = unicodedata.normalize("NFKD", filename)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    name = _FALLBACK_UNSAFE.sub("_", letters).strip(" .")
    return name or "download"


def attachment(filename: str) -> str:
    """A ``Content-Disposition`` that downloads the file as ``filename``, whatever characters it has."""
    return f"attachment; filename=\"{ascii_filename(filename)}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download_headers(filename: str) -> dict[str, str]:
    """The headers of every file the API hands out (besides its content type)."""
    return {
        "Content-Disposition": attachment(filename),
        "Content-Security-Policy": SANDBOX_CSP,
        "X-Content-Type-Options": "nosniff",
    }
