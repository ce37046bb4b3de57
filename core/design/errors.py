"""The problems a person can cause, and the exceptions that carry every one of them."""

from __future__ import annotations

import os
from dataclasses import dataclass

from core.design.names import escaped

SHOWN_CHARACTERS = 60  # a name, path or value quoted in a message is cut to this length
SHOWN_IDS = 5  # a problem naming more nodes or wires lists this many, then says how many more
SHOWN_PROBLEMS = 20  # an error message lists this many problems, then says how many more


def cut(text: str, limit: int = SHOWN_CHARACTERS) -> str:
    """`text` as a message shows it: at most `limit` characters, cut with an ellipsis."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def cut_middle(text: str, limit: int = 2 * SHOWN_CHARACTERS) -> str:
    """A path or file name cut in its middle, so that its start and its end both show."""
    if len(text) <= limit:
        return text
    tail = limit // 3
    return text[:limit - tail - 1] + "…" + text[-tail:]


def shown_path(path: str | bytes | os.PathLike) -> str:
    """A file's path or name as a message shows it: one line (line breaks, controls and
    text-direction marks as escapes), cut in its middle so that its start and end both show."""
    try:
        text = os.fsdecode(path)
    except TypeError:
        text = repr(path)
    return cut_middle(escaped(text))


def shown(value: object, limit: int = SHOWN_CHARACTERS) -> str:
    """`value` quoted in a message: its repr, cut to `limit` characters (a str keeps its quotes).

    The whole value stays where the problem keeps it (a Problem's node_ids, the design), so the
    window can still select a node whose long id a message shows cut."""
    text = repr(value)
    if len(text) <= limit:
        return text
    if isinstance(value, str):
        return text[:limit - 2] + "…" + text[0]
    return text[:limit - 1] + "…"


def _names(ids: tuple[str, ...]) -> str:
    names = [cut(escaped(str(i))) for i in ids[:SHOWN_IDS]]
    more = len(ids) - len(names)
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")


def problems_text(problems: list) -> str:
    """The problems joined into one message, at most SHOWN_PROBLEMS of them."""
    text = "; ".join(str(p) for p in problems[:SHOWN_PROBLEMS])
    more = len(problems) - SHOWN_PROBLEMS
    return text + (f"; and {more} more problem{'s' if more > 1 else ''}" if more > 0 else "")


@dataclass(frozen=True)
class Problem:
    """One thing wrong, with the ids or the JSON path it concerns."""

    message: str
    node_ids: tuple[str, ...] = ()
    connection_ids: tuple[str, ...] = ()
    path: str = ""
    severity: str = "error"  # or "warning": shown, but does not stop compiling

    def __str__(self) -> str:
        where = []
        if self.path:
            where.append(cut_middle(escaped(self.path)))
        if self.node_ids:
            where.append("node " + _names(self.node_ids))
        if self.connection_ids:
            where.append("connection " + _names(self.connection_ids))
        return f"{'; '.join(where)}: {self.message}" if where else self.message


class NeuralCanvasError(Exception):
    """Base of every error a person can cause; its message is fit to show them."""


class DesignError(NeuralCanvasError):
    """A design that cannot be compiled or trained, with every problem found."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__(problems_text(self.problems))


class FileFormatError(NeuralCanvasError):
    """A design file that cannot be read, naming the JSON path of each problem."""

    def __init__(self, problems: list[Problem] | str, filename: str = ""):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        self.problems = list(problems)
        self.filename = filename
        prefix = f"{shown_path(filename)}: " if filename else ""
        super().__init__(prefix + problems_text(self.problems))


class DataError(NeuralCanvasError):
    """A data set that cannot be loaded (a bad CSV cell, an unknown column, …)."""


class DataFileRefused(DataError):
    """A data file that is never read: not a regular file (a FIFO, a device), or too large."""


class TrainingError(NeuralCanvasError):
    """Training stopped because something went wrong (a NaN loss, for example)."""

    def __init__(self, message: str, epoch: int | None = None, step: int | None = None):
        self.epoch = epoch
        self.step = step
        super().__init__(message)


class OutOfMemoryError(TrainingError):
    """Training or evaluation needed more memory than the machine could give (a MemoryError)."""


class BackendError(NeuralCanvasError):
    """The requested array backend cannot be used here."""
