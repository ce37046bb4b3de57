"""What an id, a kind's name or a label may be: one line of printable text of bounded length."""

from __future__ import annotations

import unicodedata

MAX_ID = 200  # characters in a node or connection id, a kind's or a setting's name
MAX_LABEL = 200  # characters in a node's label (the name shown on the canvas)
# Characters that reorder the text around them (the "Trojan Source" controls): never in a name.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_REFUSED_CATEGORIES = ("Cc", "Cs", "Zl", "Zp")  # controls, lone surrogates, line/paragraph breaks
# The same rule as a regular expression (for the file's schema; a lone surrogate is refused there
# as text that is not valid Unicode): no C0 or C1 control, line break or direction control.
ONE_LINE = "^[^\x00-\x1f\x7f-\x9f\u2028\u2029" + "".join(sorted(BIDI_CONTROLS)) + "]*$"


def refused_character(char: str) -> str:
    """Why `char` may not be in a name ('' when it may): its kind and code point."""
    code = f"U+{ord(char):04X}"
    if char in _LINE_BREAKS:
        return f"a line break ({code})"
    if char in BIDI_CONTROLS:
        return f"a text-direction control ({code})"
    category = unicodedata.category(char)
    if category == "Cs":
        return f"half of a surrogate pair ({code})"
    if category in _REFUSED_CATEGORIES:
        return f"a control character ({code})"
    return ""


def text_problem(text: str, what: str, limit: int) -> str:
    """Why `text` cannot be `what` ("an id", "a label"), or '' when it can."""
    if len(text) > limit:
        return f"{what} is at most {limit} characters long (this one has {len(text)})"
    if text.isprintable():  # the common case, at C speed: nothing below can be refused then
        return ""
    for i, char in enumerate(text):
        reason = refused_character(char)
        if reason:
            return f"{what} is one line of printable text: this one holds {reason} at character {i + 1}"
    return ""


def one_line(text: str, limit: int = MAX_LABEL) -> str:
    """`text` made fit for a label: each refused character a space, at most `limit` characters."""
    if len(text) <= limit and text.isprintable():
        return text
    text = "".join(" " if refused_character(c) else c for c in text)
    return text[:limit]


def escaped(text: str) -> str:
    """`text` safe to quote in a one-line message: each refused character as a \\uXXXX escape."""
    if text.isprintable():
        return text
    return "".join(f"\\u{ord(c):04x}" if refused_character(c) else c for c in text)
