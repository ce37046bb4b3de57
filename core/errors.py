"""The problems a person can cause, and the exceptions that carry every one of them."""

from __future__ import annotations

from dataclasses import dataclass


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
            where.append(self.path)
        if self.node_ids:
            where.append("node " + ", ".join(self.node_ids))
        if self.connection_ids:
            where.append("connection " + ", ".join(self.connection_ids))
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
        super().__init__("; ".join(str(p) for p in self.problems))


class FileFormatError(NeuralCanvasError):
    """A design file that cannot be read, naming the JSON path of each problem."""

    def __init__(self, problems: list[Problem] | str, filename: str = ""):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        self.problems = list(problems)
        self.filename = filename
        prefix = f"{filename}: " if filename else ""
        super().__init__(prefix + "; ".join(str(p) for p in self.problems))


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


class BackendError(NeuralCanvasError):
    """The requested array backend cannot be used here."""
