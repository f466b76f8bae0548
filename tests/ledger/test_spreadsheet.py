"""The CSV writer of every export: whatever text is stored, a spreadsheet reads back the same rows and
cells, none of them a formula, each value readable (at most a ``'`` in front)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.spreadsheet import FORMULA_TRIGGERS, csv_lines, neutralise

#: Text biased towards what breaks CSV: formula starts, separators, quotes, line ends, numbers.
cells = st.text(
    alphabet=st.sampled_from([*FORMULA_TRIGGERS, ",", '"', "'", "\n", " ", "0", "5", ".", "a", "é"])
)
rows = st.lists(st.lists(cells, min_size=1, max_size=5), max_size=6)


def read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@given(rows=rows, chunk_rows=st.integers(min_value=1, max_value=4))
def test_a_spreadsheet_reads_back_every_row_and_no_formula(rows: list[list[str]], chunk_rows: int) -> None:
    header = ["name", "=notes"]
    text = "".join(csv_lines(header, rows, chunk_rows=chunk_rows))
    got = read(text)
    assert len(got) == len(rows) + 1  # no cell can start a row of its own
    assert got[0] == ["name", "'=notes"]
    for stored, exported in zip(rows, got[1:], strict=True):
        assert exported == [neutralise(c) for c in stored]
        for value, cell in zip(stored, exported, strict=True):
            assert cell in (value, "'" + value)
            assert not cell.startswith(FORMULA_TRIGGERS) or re.fullmatch(r"-[0-9]+(\.[0-9]+)?", cell)


@pytest.mark.parametrize(
    ("stored", "exported"),
    [
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("+1", "'+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-2+3", "'-2+3"),
        ("-1e3", "'-1e3"),
        ("- 5", "'- 5"),
        ("-", "'-"),
        # Plain numbers are values, never formulas: negative amounts stay numbers a spreadsheet adds up.
        ("-5", "-5"),
        ("-0.25", "-0.25"),
        ("1000", "1000"),
        ("Mask Maker Co.", "Mask Maker Co."),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_a_cell_that_starts_a_formula_is_quoted(stored: str, exported: str) -> None:
    assert neutralise(stored) == exported
    assert read("".join(csv_lines(["x"], [[stored]]))) == [["x"], [exported]]


def test_a_carriage_return_inside_a_cell_does_not_start_a_row() -> None:
    text = "".join(csv_lines(["notes"], [['approved\r=HYPERLINK("http://evil")']]))
    assert read(text) == [["notes"], ['approved\r=HYPERLINK("http://evil")']]
