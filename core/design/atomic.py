"""Writing a file all at once or not at all: a temporary file beside it, synced, then renamed;
and the temporary files of writers that were killed before they finished, swept away."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time

STALE_SECONDS = 24 * 3600  # a temporary file this old is swept even when its pid looks alive
UNNAMED_STALE_SECONDS = 600  # one without a pid (an earlier version's) is swept at this age


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `path` atomically; on any failure the old file (if any) is untouched and
    the temporary file is gone. OSError propagates (callers name the file in their message).

    The temporary file is `.NAME.pidPID.XXXXXXXX.tmp` beside `path`: a writer killed mid-write
    (kill -9, a power cut) leaves it behind, and the next write of the same file removes it."""
    name = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(name))
    base = os.path.basename(name)
    sweep_stale(directory, base, time.time())
    fd, temp = tempfile.mkstemp(prefix=f".{base}.pid{os.getpid()}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(OSError):  # keep the old file's permissions (mkstemp: 0600)
            mode = os.stat(name).st_mode & 0o7777 if os.path.exists(name) else 0o644
            os.chmod(temp, mode)
        os.replace(temp, name)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    sync_directory(directory)


def sweep_stale(directory: str, base: str, started: float) -> list[str]:
    """Remove the temporary files that writers of `base` left in `directory`; the names removed.

    Only our own are touched (`.BASE.pidPID.XXXXXXXX.tmp`, or `.BASE.XXXXXXXX.tmp` as earlier
    versions named them), only those last written before `started`, and only those whose
    writer is gone: its process no longer runs, or the file is a day old (its pid now another
    process's); one without a pid once it is ten minutes old."""
    own = re.compile(r"\." + re.escape(base) + r"\.(?:pid(\d+)\.)?[a-z0-9_]{8}\.tmp")
    removed = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        match = own.fullmatch(entry.name)
        if match is None:
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            modified = entry.stat(follow_symlinks=False).st_mtime
        except OSError:
            continue
        if modified >= started:
            continue
        age = started - modified
        if match[1] is None:  # an earlier version's: no pid to ask about, so by its age
            stale = age > UNNAMED_STALE_SECONDS
        else:
            stale = not _running(int(match[1])) or age > STALE_SECONDS
        if stale:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(entry.name)
    return removed


def _running(pid: int) -> bool:
    """Whether a process with this id runs here (unknown on Windows: taken as running)."""
    if pid == os.getpid():
        return True
    if os.name == "nt":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # it exists, as another user's (or the id cannot be asked about)
    return True


def sync_directory(directory: str) -> None:
    """Make the rename itself durable where the system allows it (not on Windows)."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
