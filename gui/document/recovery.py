"""Recovery files: each running instance keeps its unsaved work in a file of its own, written
beside a note of the file it came from and guarded by a lock held while the instance lives; after
a crash the files whose lock is free (their instance is gone) are offered back, newest first, and
one that cannot be read is set aside (renamed, never offered again).

A lock is an operating-system lock on an open file (flock, or msvcrt's byte lock on Windows): the
system lets go of it when its process ends, however it ends, so a free lock is a dead instance and
no process id has to be trusted (ids are reused)."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import stat
import time
from pathlib import Path

from core.design.design import Design
from core.design.safe_files import RECOVERY_NOTE, UnreadableFile, read_file
from core.files.fileformat import load_design, save_design

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt

# recovery-20261206-234500-4242-1.ncanvas: started then, process 4242, its first document;
# recovery.ncanvas is the one file of versions before each instance had its own
NAME = re.compile(r"recovery(-\d{8}-\d{6}-\d+-\d+)?\.ncanvas")
_STARTED = time.strftime("%Y%m%d-%H%M%S")
_documents = itertools.count(1)


def instance_name() -> str:
    """A recovery file name no other document, in this process or another, uses."""
    return f"recovery-{_STARTED}-{os.getpid()}-{next(_documents)}.ncanvas"


def note_path(target: Path) -> Path:
    return target.with_suffix(".json")


def lock_path(target: Path) -> Path:
    return target.with_suffix(".lock")


class Lock:
    """An operating-system lock on a file, held until `release` (or until the process ends)."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path, self._fd = path, fd

    @classmethod
    def take(cls, path: Path) -> Lock | None:
        """The lock on `path` (made when missing), or None when another holds it; OSError when
        the file cannot be opened at all (no folder, a folder in its place, no permission)."""
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(path, flags, 0o600)
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # a FIFO or a device put in its place
            os.close(fd)
            raise OSError(f"{path.name} is not a regular file")
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            else:
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            os.close(fd)
            return None
        return cls(path, fd)

    @property
    def held(self) -> bool:
        return self._fd >= 0

    def release(self) -> None:
        """Let go of the lock and remove its file."""
        if self._fd < 0:
            return
        if fcntl is not None:  # removed while still held: no one takes the lock of a file going
            with contextlib.suppress(OSError):
                self.path.unlink(missing_ok=True)
        else:  # Windows lets go of a lock at close only in its own time
            with contextlib.suppress(OSError):
                os.lseek(self._fd, 0, os.SEEK_SET)
                msvcrt.locking(self._fd, msvcrt.LK_UNLCK, 1)
        os.close(self._fd)  # lets go of the lock as well
        self._fd = -1
        with contextlib.suppress(OSError):  # Windows removes no file that is open
            self.path.unlink(missing_ok=True)

    def __del__(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)


def write(design: Design, source: str | None, target: Path) -> None:
    """Keep `design` (unsaved work on the file `source`) at `target`; OSError or
    FileFormatError when it cannot be written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    save_design(design, target)
    note_path(target).write_text(json.dumps({"path": source}), encoding="utf-8")


def read(target: Path) -> tuple[Design, str | None]:
    """The recovered design and the file it came from (None when the note is lost or odd);
    FileFormatError when the design cannot be read (not UTF-8, not JSON, refused, …)."""
    design = load_design(target, validate=False)
    try:
        note = json.loads(read_file(note_path(target), RECOVERY_NOTE).decode("utf-8"))
    except (UnreadableFile, ValueError):  # missing, odd (a FIFO, too large) or not JSON
        note = None
    source = note.get("path") if isinstance(note, dict) else None
    return design, source if isinstance(source, str) and source else None


def discard(target: Path) -> None:
    for path in (target, note_path(target)):
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def set_aside(target: Path) -> Path:
    """Rename a recovery file that cannot be read, so that it is not offered again, and drop its
    note; where it went (the same name when it could not be renamed: it is then removed)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    kept = next(path for n in itertools.count(1)
                if not os.path.lexists(path := target.with_name(
                    f"recovery-unreadable-{stamp}{f'-{n}' if n > 1 else ''}.ncanvas")))
    try:
        os.replace(target, kept)
    except OSError:
        kept = target
    discard(target)
    return kept


class LeftBehind:
    """A recovery file whose instance is no longer running, claimed (its lock held) while it is
    offered, so that another instance launched meanwhile does not offer it too."""

    def __init__(self, path: Path, lock: Lock | None) -> None:
        self.path, self._lock = path, lock

    def read(self) -> tuple[Design, str | None]:
        return read(self.path)

    def discard(self) -> None:
        """Taken or declined: the file, its note and its lock go."""
        discard(self.path)
        self.release()

    def set_aside(self) -> Path:
        kept = set_aside(self.path)
        self.release()
        return kept

    def release(self) -> None:
        """Let go of the claim, leaving the file for the next launch."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None


def _modified(path: Path) -> float:
    try:
        return path.lstat().st_mtime
    except OSError:
        return 0.0


def left_behind(folder: Path) -> list[LeftBehind]:
    """The recovery files in `folder` whose instance is no longer running, newest first, each
    claimed; a file whose instance still runs is not among them."""
    try:
        names = [entry.name for entry in os.scandir(folder) if NAME.fullmatch(entry.name)]
    except OSError:  # no folder yet, or one that cannot be looked into: nothing to offer
        return []
    found: list[LeftBehind] = []
    for name in names:
        target = folder / name
        try:
            lock = Lock.take(lock_path(target))
        except OSError:  # a lock file that cannot be opened is held by no one
            lock = None
        else:
            if lock is None:  # its instance is running
                continue
        if not os.path.lexists(target):  # discarded by its instance just before it ended
            if lock is not None:
                lock.release()
            continue
        found.append(LeftBehind(target, lock))
    found.sort(key=lambda left: _modified(left.path), reverse=True)
    return found
