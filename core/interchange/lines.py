"""How the exports lay out generated source: numbers as exact literals, and long lines and
docstring paragraphs broken to a width without breaking what they hold."""

from __future__ import annotations

import textwrap

import numpy as np


def array_literal(values: np.ndarray, indent: str = "    ", width: int = 100, first: int = 0) -> str:
    """A float64 array as exact source: a nested list of shortest round-trip numbers (`first`:
    the characters before it on its first line)."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 0:
        return repr(float(values))
    text = _nested(values.tolist())
    return wrap_list(text, indent, width, first)


def _nested(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_nested(v) for v in value) + "]"
    return repr(float(value))


def wrap_list(text: str, indent: str = "    ", width: int = 100, first: int = 0) -> str:
    """Break a long list after commas so no line passes `width` (`first`: the characters before
    it on its first line)."""
    lines, line = [], ""
    for token in text.split(", "):
        piece = token if not line else line + ", " + token
        used = (first if not lines else len(indent)) + len(piece)
        if used > width and line:
            lines.append(line + ",")
            line = token
        else:
            line = piece
    lines.append(line)
    return ("\n" + indent).join(lines)


def wrap_code(line: str, width: int = 100) -> list[str]:
    """One generated line as lines of at most `width` where it can be: a trailing comment moves
    above, and the code breaks after commas, the outermost first, aligned inside their brackets."""
    if len(line) <= width:
        return [line]
    code, comment = _split_comment(line)
    if not code.strip():  # a comment line: it stays whole
        return [line]
    indent = line[:len(line) - len(line.lstrip())]
    above = [f"{indent}# {comment}"] if comment else []
    commas, openers = [], []
    for i, char in _outside_strings(code):
        if char in "([{":
            openers.append(i)
        elif char in ")]}" and openers:
            openers.pop()
        elif char == "," and openers:
            commas.append((len(openers), i, openers[-1]))
    lines = [code]
    for depth in sorted({d for d, _, _ in commas}):
        cuts = [(i, opener) for d, i, opener in commas if d <= depth]
        lines = _packed(code, cuts, width)
        if max(map(len, lines)) <= width:
            break
    return above + lines


def _packed(code: str, cuts: list[tuple[int, int]], width: int) -> list[str]:
    """The code cut after the given commas, pieces joined back while they fit on a line; a new
    line starts one column inside the bracket that holds the comma before it."""
    pieces, start, column = [], 0, 0
    for i, opener in cuts:
        pieces.append((column, code[start:i + 1].strip() if start else code[:i + 1]))
        start, column = i + 1, opener + 1
    pieces.append((column, code[start:].strip()))
    lines = [pieces[0][1]]
    for column, text in pieces[1:]:
        if len(lines[-1]) + 1 + len(text) <= width:
            lines[-1] += " " + text
        else:
            lines.append(" " * column + text)
    return lines


def _split_comment(line: str) -> tuple[str, str]:
    """(code, comment) of a line whose comment starts with '  # ' outside any string."""
    for i, _char in _outside_strings(line):
        if line.startswith("  # ", i):
            return line[:i], line[i + 4:]
    return line, ""


def _outside_strings(code: str):
    """(index, character) of each character of a line of code that is outside its string literals
    (a backslash escape inside one never ends it)."""
    quote, escaped = "", False
    for i, char in enumerate(code):
        if escaped:
            escaped = False
        elif quote:
            escaped = char == "\\"
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        else:
            yield i, char


def docstring_lines(text: str, width: int = 100) -> list[str]:
    """A paragraph (whose design names went through safe_text) as docstring lines, broken only at
    spaces, never inside a word: so never between a backslash and the character it escapes."""
    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)
