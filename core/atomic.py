"""Writing a file all at once or not at all: a temporary file beside it, synced, then renamed."""

from __future__ import annotations

import contextlib
import os
import tempfile


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `path` atomically; on any failure the old file (if any) is untouched and
    the temporary file is gone. OSError propagates (callers name the file in their message)."""
    name = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(name))
    fd, temp = tempfile.mkstemp(prefix=f".{os.path.basename(name)}.", suffix=".tmp", dir=directory)
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


def sync_directory(directory: str) -> None:
    """Make the rename itself durable where the system allows it (not on Windows)."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
