"""Opening a file a person names (a design, a CSV file, an ONNX model and its external data, the
recovery file): only a regular file, opened so that a FIFO put in its place cannot block, read up
to a size limit suited to its kind; every refusal names the file, cut and escaped to one line.

A file may come from anyone: it may be a FIFO that never answers, a device that never ends (a
link to /dev/zero), or a file that says it is empty and keeps going. Nothing here reads more than
the limit, and nothing but a regular file is read at all.
"""

from __future__ import annotations

import io
import os
import stat
from dataclasses import dataclass

from core.design.errors import NeuralCanvasError, shown_path

GiB = 1 << 30
MiB = 1 << 20


@dataclass(frozen=True)
class FileKind:
    """What a file is for: its name in messages, why only a regular file, the most read of it."""

    noun: str  # "a CSV file"
    rule: str  # "a data set is read only from a regular file"
    limit: int  # bytes


# A design of 100,000 neurons with its weights is about 55 MB: 1 GiB leaves room for far more.
DESIGN_FILE = FileKind("a design file", "a design is read only from a regular file", GiB)
CSV_FILE = FileKind("a CSV file", "a data set is read only from a regular file", GiB)
# An ONNX model holds its weights; the model and its external data together are read up to this.
ONNX_MODEL = FileKind("an ONNX model", "a model is read only from a regular file", GiB)
ONNX_DATA = FileKind("an ONNX model's external data", "weights are read only from a regular file",
                     GiB)
RECOVERY_NOTE = FileKind("a recovery note", "a note is read only from a regular file", MiB)

_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


class UnreadableFile(NeuralCanvasError):
    """A file that cannot be read: `reason` says why without naming it (the message does).

    `refused` is True for a file that is never read (not a regular file, or too large), False
    for one that is merely missing, a folder or not readable."""

    def __init__(self, path: str | os.PathLike, reason: str, refused: bool = False) -> None:
        self.path, self.reason, self.refused = path, reason, refused
        super().__init__(f"{shown_path(path)}: {reason}")

    def __reduce__(self):  # pickled whole (a process may send it on)
        return type(self), (self.path, self.reason, self.refused)


def size_text(count: int) -> str:
    """A size in bytes as a message shows it: '168 bytes', '12 MiB', '1,024 MiB'."""
    return f"{count / MiB:,.0f} MiB" if count >= MiB else f"{count:,} bytes"


class CappedFile(io.RawIOBase):
    """A file descriptor read through a counter: UnreadableFile (refused) once more than `limit`
    bytes came (a file that grows while it is read, or one that says it is empty and is not)."""

    def __init__(self, fd: int, path: str | os.PathLike, kind: FileKind, limit: int) -> None:
        super().__init__()
        self._file = io.FileIO(fd, "rb", closefd=True)
        self.path, self.kind, self.limit, self.count = path, kind, limit, 0
        self.size = 0  # what the file said its size was when opened

    def readable(self) -> bool:
        return True

    def _counted(self, count: int) -> None:
        self.count += count
        if self.count > self.limit:
            raise UnreadableFile(self.path, f"is larger than {size_text(self.limit)}, the most "
                                 f"{self.kind.noun} may hold", refused=True)

    def readinto(self, buffer) -> int | None:
        count = self._file.readinto(buffer)
        self._counted(count or 0)
        return count

    def read_all(self) -> bytes:
        """The rest of the file, at most the limit (one read for a file that tells its size)."""
        parts = []
        while True:
            want = min(self.limit + 1 - self.count, max(self.size + 1 - self.count, 1 << 16))
            chunk = self._file.read(want)
            if not chunk:
                return b"".join(parts)
            self._counted(len(chunk))
            parts.append(chunk)

    def read_exactly(self, count: int) -> bytes:
        """`count` bytes from here (fewer only where the file ends), counted against the limit."""
        parts = []
        while count > 0:
            chunk = self._file.read(count)
            if not chunk:
                break
            self._counted(len(chunk))
            parts.append(chunk)
            count -= len(chunk)
        return b"".join(parts)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._file.seek(offset, whence)

    def seekable(self) -> bool:
        return self._file.seekable()

    def close(self) -> None:
        self._file.close()
        super().close()


def _refuse_kind(path: str | os.PathLike, info: os.stat_result, kind: FileKind, limit: int) -> None:
    """UnreadableFile unless the stat result is a regular file of at most `limit` bytes."""
    if stat.S_ISDIR(info.st_mode):
        raise UnreadableFile(path, f"is a folder, not {kind.noun}")
    if not stat.S_ISREG(info.st_mode):
        what = next((what for test, what in _KINDS if test(info.st_mode)), "not a regular file")
        raise UnreadableFile(path, f"is {what}, not {kind.noun}; {kind.rule}", refused=True)
    if info.st_size > limit:
        raise UnreadableFile(path, f"is {size_text(info.st_size)}; {kind.noun} may hold at most "
                             f"{size_text(limit)}", refused=True)


def open_file(path: str | os.PathLike, kind: FileKind, limit: int | None = None) -> CappedFile:
    """The file opened for reading, if it is a regular file of at most `limit` bytes (the kind's
    limit by default); UnreadableFile otherwise. Anything else is refused before it is opened,
    and a FIFO put in its place meanwhile cannot block the open (O_NONBLOCK): it is refused by
    the kind of what was opened, and nothing is read from it."""
    limit = kind.limit if limit is None else limit
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        _refuse_kind(path, os.stat(path), kind, limit)
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise UnreadableFile(path, "no such file") from None
    except IsADirectoryError:
        raise UnreadableFile(path, f"is a folder, not {kind.noun}") from None
    except OSError as exc:
        raise UnreadableFile(path, f"cannot be read ({exc.strerror})") from None
    except (ValueError, TypeError):  # a NUL in the name, or no name at all
        raise UnreadableFile(path, "is not a file name") from None
    try:
        info = os.fstat(fd)
        _refuse_kind(path, info, kind, limit)
        raw = CappedFile(fd, path, kind, limit)
    except BaseException:
        os.close(fd)
        raise
    raw.size = info.st_size
    return raw


def read_file(path: str | os.PathLike, kind: FileKind, limit: int | None = None) -> bytes:
    """The whole file, if it is a regular file of at most `limit` bytes; UnreadableFile otherwise
    (see open_file). A read error midway is an UnreadableFile too."""
    with open_file(path, kind, limit) as raw:
        try:
            return raw.read_all()
        except OSError as exc:
            raise UnreadableFile(path, f"cannot be read ({exc.strerror})") from None


def refuse_unsafe(path: str | os.PathLike, kind: FileKind, limit: int | None = None) -> None:
    """UnreadableFile (refused) if the file is one never read (not a regular file, or too
    large); a file that is merely missing or unreadable passes here (reading it says why)."""
    try:
        open_file(path, kind, limit).close()
    except UnreadableFile as exc:
        if exc.refused:
            raise
