"""The rule of every name field, on any text: a name comes out in NFC with nothing invisible in it, or is
refused naming the first character that is."""

from __future__ import annotations

import re
import unicodedata
from unittest.mock import ANY

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic_core import PydanticCustomError

from ledger.records.names import FORBIDDEN_CATEGORIES, normalised_name

#: Text biased towards the characters at stake: combining accents, bidi controls, zero-width, controls.
names = st.text() | st.text(
    alphabet=st.sampled_from(
        ["a", "e", "\u0301", " ", "\t", "\n", "\x00", "\u202e", "\u2066", "\u200b", "\ufeff"]
    )
)


@given(text=names)
def test_a_name_is_nfc_without_invisible_characters_or_refused_naming_one(text: str) -> None:
    expected = unicodedata.normalize("NFC", text).strip()
    forbidden = [c for c in expected if unicodedata.category(c) in FORBIDDEN_CATEGORIES]
    refusal: PydanticCustomError | None = None
    try:
        name = normalised_name(text)
    except PydanticCustomError as error:
        refusal = error
    if refusal is not None:
        assert forbidden, text
        code_point = f"U+{ord(forbidden[0]):04X}"
        assert refusal.context == {"character": ANY, "code_point": code_point}
        assert code_point in refusal.message()
    else:
        assert not forbidden, text
        assert name == expected
        assert unicodedata.is_normalized("NFC", name)
        assert normalised_name(name) == name


@pytest.mark.parametrize(
    ("char", "says"),
    [
        ("\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("\u200b", "U+200B ZERO WIDTH SPACE"),
        ("\x07", "U+0007 (a control character)"),
        ("\u2028", "U+2028 LINE SEPARATOR"),
    ],
)
def test_the_refusal_names_the_character(char: str, says: str) -> None:
    with pytest.raises(PydanticCustomError, match=re.escape(says)):
        normalised_name(f"Mask{char}Maker")


def test_anything_but_text_is_left_to_the_type_check() -> None:
    assert normalised_name(5) == 5
    assert normalised_name(None) is None
