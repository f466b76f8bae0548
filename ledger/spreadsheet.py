"""CSV that a spreadsheet opens as data, never as formulas: the one writer of every CSV export.

A supplier may be named ``=HYPERLINK("http://evil","x")``; opened in Excel or LibreOffice, that cell
would be a live formula in an auditor's spreadsheet (CSV or formula injection). OWASP's rule is applied
to every cell: one that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed
with a single quote, which the spreadsheet shows and which keeps the rest of the value readable.

One exception, by value rather than by column: a cell that is wholly a plain decimal number (``-5``,
``-0.25``) is left as it is. A spreadsheet reads it as a number, never as a formula, and the
reconciliation's amounts are documented as signed (``held`` is negative in a broken mirror) and meant
to be re-added in the spreadsheet. Anything else after a ``-`` (``-2+3``, ``-1e3``, ``- 5``) is quoted.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator

#: First characters that make a spreadsheet read a cell as a formula (OWASP, CSV Injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")

#: Lines written between two chunks of a streamed export.
CHUNK_ROWS = 1_000


def neutralise(cell: str) -> str:
    """``cell`` as a spreadsheet shows it rather than runs it: behind a ``'`` if it could start a formula."""
    if cell.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def csv_lines(
    header: Iterable[str], rows: Iterable[Iterable[str]], *, chunk_rows: int = CHUNK_ROWS
) -> Iterator[str]:
    """CSV text (header, then rows, every cell neutralised), ``chunk_rows`` lines at a time."""
    buffer = io.StringIO()
    # RFC 4180 line ends: the writer then quotes every cell holding a CR or LF. With "\n" alone it would
    # leave a bare CR unquoted, which spreadsheets read as a new row: a row (and formula) injection.
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(neutralise(cell) for cell in header)
    for count, row in enumerate(rows, start=1):
        writer.writerow(neutralise(cell) for cell in row)
        if count % chunk_rows == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
