"""The recovery file: unsaved work written beside a note of the file it came from, read back after
a crash, and set aside (renamed, never offered again) when it cannot be read."""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path

from core.design.design import Design
from core.design.safe_files import RECOVERY_NOTE, UnreadableFile, read_file
from core.files.fileformat import load_design, save_design


def write(design: Design, source: str | None, target: Path) -> None:
    """Keep `design` (unsaved work on the file `source`) at `target`; OSError or
    FileFormatError when it cannot be written."""
    target.parent.mkdir(parents=True, exist_ok=True)
    save_design(design, target)
    target.with_suffix(".json").write_text(json.dumps({"path": source}), encoding="utf-8")


def read(target: Path) -> tuple[Design, str | None]:
    """The recovered design and the file it came from (None when the note is lost or odd);
    FileFormatError when the design cannot be read (not UTF-8, not JSON, refused, …)."""
    design = load_design(target, validate=False)
    try:
        note = json.loads(read_file(target.with_suffix(".json"), RECOVERY_NOTE).decode("utf-8"))
    except (UnreadableFile, ValueError):  # missing, odd (a FIFO, too large) or not JSON
        note = None
    source = note.get("path") if isinstance(note, dict) else None
    return design, source if isinstance(source, str) and source else None


def exists(target: Path) -> bool:
    try:
        return target.exists()
    except OSError:  # a folder that cannot be looked into holds nothing to offer
        return False


def discard(target: Path) -> None:
    for path in (target, target.with_suffix(".json")):
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def set_aside(target: Path) -> Path:
    """Rename a recovery file that cannot be read, so that it is not offered again, and drop its
    note; where it went (the same name when it could not be renamed: it is then removed)."""
    kept = target.with_name(f"recovery-unreadable-{time.strftime('%Y%m%d-%H%M%S')}.ncanvas")
    try:
        os.replace(target, kept)
    except OSError:
        kept = target
    discard(target)
    return kept
