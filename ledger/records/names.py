"""Names people read and compare (suppliers, consignees, places, items, tokens): one Unicode form, and
nothing invisible in them.

A supplier ``Mask Maker Co.`` and a look-alike with a zero-width space, a right-to-left override or a
control character in its name show the same on a screen and in an auditor's spreadsheet, but are two
suppliers to the database. So a name is stored in NFC (``Cafe`` + U+0301 is stored as ``Café``, one
code point as everyone types it), and a name holding a character that is invisible or reorders the text
is refused, naming the character, rather than silently cleaned.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

#: Unicode categories never in a name: control characters (C0, DEL, C1: tab, newline…), format characters
#: (every bidirectional mark, embedding, override and isolate: U+061C, U+200E/F, U+202A–U+202E,
#: U+2066–U+2069; every zero-width one: U+200B–U+200D, U+2060, U+FEFF; soft hyphen…), surrogates, and the
#: line and paragraph separators.
FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})

_KIND = {
    "Cc": "a control character",
    "Cf": "an invisible formatting character (bidirectional or zero-width)",
    "Cs": "a lone surrogate",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
}


def forbidden_in_name(char: str) -> bool:
    """Whether ``char`` may not appear in a name: it is invisible, or it reorders or breaks the text."""
    return unicodedata.category(char) in FORBIDDEN_CATEGORIES


def describe(char: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE``; a control character, which has no name, by its kind."""
    code_point = f"U+{ord(char):04X}"
    name = unicodedata.name(char, "")
    return f"{code_point} {name}" if name else f"{code_point} ({_KIND[unicodedata.category(char)]})"


def normalised_name(value: Any) -> Any:
    """``value`` in NFC without surrounding whitespace; refused if a character of it is forbidden.
    Anything but a string is left to the type check that follows."""
    if not isinstance(value, str):
        return value
    name = unicodedata.normalize("NFC", value).strip()
    for char in name:
        if forbidden_in_name(char):
            raise PydanticCustomError(
                "forbidden_character",
                "contains {character}, which is not allowed in a name: control, bidirectional and "
                "zero-width characters make look-alike names",
                {"character": describe(char), "code_point": f"U+{ord(char):04X}"},
            )
    return name


#: The rule of every name field: put it after the field's ``Field`` constraints in ``Annotated`` (they
#: then check the normalised name, and the JSON schema keeps them).
NAME_RULE = BeforeValidator(normalised_name)
