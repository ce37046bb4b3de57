"""A CSV file opened safely and read as rows: only a regular file, at most MAX_CSV_BYTES read, an
unclosed quote or a first line that is no header refused, every problem naming the file (and line).
A first line is a header only if it is one line of column names and the row below it has as many
cells, numbers among them.

A design names its own CSV file, and a design may come from anyone: the file may be a FIFO that
never answers, a device that never ends, or a private file whose first line must not be echoed
back in an error message. Nothing here shows file content that is not a CSV header.
"""

from __future__ import annotations

import csv
import io
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

from core.design.errors import DataError, DataFileRefused, shown_path
from core.design.safe_files import CSV_FILE, CappedFile, UnreadableFile, open_file, refuse_unsafe

MAX_CSV_BYTES = 1 << 30  # 1 GiB: read into float32 arrays, a file this size needs about 1 GB
SHOWN_CHARS = 40  # a column name or cell longer than this is cut in messages
MAX_LINE_CHARS = 1 << 20  # a longer line is refused: its cells would not fit in memory as text
MAX_HEADER_CELL = 256  # a first line with a longer cell is not a header of column names


def shown(text: str, limit: int = SHOWN_CHARS) -> str:
    """A name or cell as it appears in a message: quoted, escaped, cut to a readable length."""
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _data_error(exc: UnreadableFile) -> DataError:
    """The file's problem as a data set's: DataFileRefused for a file never read."""
    return (DataFileRefused if exc.refused else DataError)(str(exc))


def open_csv_bytes(path: str | os.PathLike) -> CappedFile:
    """The file opened for reading, if it is a regular file of at most MAX_CSV_BYTES; DataError
    otherwise (core/design/safe_files.py: a FIFO put in its place cannot block the open)."""
    try:
        return open_file(path, CSV_FILE, MAX_CSV_BYTES)
    except UnreadableFile as exc:
        raise _data_error(exc) from None


def refuse_unsafe_file(path: str | os.PathLike) -> None:
    """DataFileRefused if the file is one never read (not a regular file, or too large); a file
    that is merely missing or unreadable passes here (reading it says why)."""
    try:
        refuse_unsafe(path, CSV_FILE, MAX_CSV_BYTES)
    except UnreadableFile as exc:
        raise _data_error(exc) from None


def header_problem(fname: str, header: list[str] | tuple[str, ...]) -> str | None:
    """Why a first row is not a CSV header of column names, without showing it; None if it is.

    Column names: at least two, comma-separated, printable, each at most MAX_HEADER_CELL
    characters, none empty but the first (a table written with its row index)."""
    empty = [i for i, cell in enumerate(header) if not cell]
    if (len(header) < 2 or any(i > 0 for i in empty)
            or any(not cell.isprintable() or len(cell) > MAX_HEADER_CELL for cell in header)):
        return (f"{fname}: is not a CSV file with a header row; its first line must name the "
                "columns, separated by commas")
    return None


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def first_row_problem(fname: str, header: list[str] | tuple[str, ...],
                      first: tuple[int, list[str]] | None) -> str | None:
    """Why the first line is not a header after all, given the first row after it (its line
    number and cells; None when there is none), without showing either; None if it is one.

    A header names the columns of the rows below it: the first of them has as many cells, and
    at least one of its cells is a number (a data set's features are numbers). A file of other
    text (a shell history, a .netrc, a key=value list) whose first line happens to hold commas
    is refused so, and its first line is never echoed as column names."""
    if first is None:
        return (f"{fname}: is not a CSV file with a header row; there are no data rows below its "
                "first line")
    line, row = first
    if len(row) != len(header):
        return (f"{fname}: is not a CSV file with a header row; its first line has {len(header)} "
                f"cells but line {line}, the first row below it, has {len(row)}")
    if not any(_is_number(cell) for cell in row):
        return (f"{fname}: is not a CSV file with a header row; line {line}, the first row below "
                "its first line, holds no number")
    return None


def _line_breaks(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n")


class CsvRows:
    """(line number, cells) of each non-blank row of a CSV file, the header (line 1) first.

    DataError names the file (and the line) when it cannot be read: not a regular file, too
    large, not UTF-8, a cell too long, or a quote opened and never closed."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.name = shown_path(self.path.name)  # as messages show it: one line, cut
        self.size = 0  # the file's size in bytes, once opened
        self._raw: CappedFile | None = None

    @property
    def bytes_read(self) -> int:
        """Bytes read from the file so far (a little ahead of the rows handed out)."""
        return 0 if self._raw is None else self._raw.count

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        raw = self._raw = open_csv_bytes(self.path)
        self.size = raw.size
        # the last "line" is a token no file holds: a row that ends in it was inside a quote
        end = f"end-of-file-{uuid.uuid4().hex}"
        text = io.TextIOWrapper(io.BufferedReader(raw), encoding="utf-8-sig", newline="")
        with text:
            reader = csv.reader(_lines(text, self.name, end))
            try:
                for row in reader:
                    if row and row[-1].endswith(end):
                        if row == [end]:
                            return
                        raise DataError(self._unclosed(reader.line_num - 1, row[-1][: -len(end)]))
                    if not row or (len(row) == 1 and not row[0].strip()):
                        continue  # a blank line
                    yield reader.line_num, row
            except csv.Error as exc:
                raise DataError(f"{self.name}, line {reader.line_num}: {_csv_message(exc)}") from None
            except UnicodeDecodeError:
                raise DataError(f"{self.name}: is not UTF-8 text") from None
            except UnreadableFile as exc:  # more than MAX_CSV_BYTES came
                raise _data_error(exc) from None
            except OSError as exc:
                raise DataError(f"{shown_path(self.path)}: cannot be read ({exc.strerror})") from None

    def _unclosed(self, last_line: int, cell: str) -> str:
        """The message for a quoted cell still open at the end of the file, naming the line
        where its quote opens (the cell holds everything from there to the end)."""
        breaks = _line_breaks(cell)
        ends_with_break = cell.endswith(("\n", "\r"))
        opens = max(1, last_line - breaks + (1 if ends_with_break else 0))
        return (f"{self.name}, line {opens}: a quote opens a cell that is never closed (the file "
                "ends inside it)")


def _lines(text: io.TextIOBase, name: str, end: str) -> Iterator[str]:
    """The file's lines, each at most MAX_LINE_CHARS long, then `end`."""
    number = 0
    while line := text.readline(MAX_LINE_CHARS + 1):
        number += 1
        if len(line) > MAX_LINE_CHARS:
            raise DataError(f"{name}, line {number}: is longer than {MAX_LINE_CHARS:,} characters")
        yield line
    yield end


def _csv_message(exc: csv.Error) -> str:
    text = str(exc)
    if "field larger than field limit" in text:
        return f"a cell is longer than {csv.field_size_limit():,} characters"
    return text


def iter_rows(path: str | os.PathLike) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of each non-blank row of the file, the header (line 1) first;
    DataError names the file (and the line) when it cannot be read."""
    return iter(CsvRows(path))
