"""The open document's unsaved work kept for recovery: every 30 s into its own recovery file, under
a lock held while the window lives, so that a later launch offers only what an ended instance left
behind. A part of Document (gui/document/document.py), which owns the timer and the state it uses:
`design`, `path`, `dirty`, `_recovery_name`, `_recovery_lock`, `_autosave_failing`, the
`autosave_failed` and `changed` signals and `replace_design`."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths

from core.design.design import Design
from core.design.errors import NeuralCanvasError
from gui.document import recovery


class AutosaveRecovery:
    """Document's recovery files: where they live, writing this document's, and taking back one an
    ended instance left."""

    @staticmethod
    def recovery_folder() -> Path:
        """Where every instance keeps its recovery file."""
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
        return Path(folder or Path.home() / ".neuralcanvas")

    def recovery_path(self) -> Path:
        """This document's own recovery file: no other window, here or in another process,
        writes it."""
        return self.recovery_folder() / self._recovery_name

    def autosave(self) -> bool:
        """Write the unsaved work to this document's recovery file (atomically), under a lock
        held while it lives; True when written.

        When it cannot be written (no folder, no permission, a full disk), `autosave_failed` says
        why once; the timer tries again quietly, and a later success makes a new failure said."""
        if not self.dirty:
            return False
        target = self.recovery_path()
        try:
            self._lock_recovery(target)
            recovery.write(self.design, self.path, target)
        except (OSError, NeuralCanvasError) as exc:
            if not self._autosave_failing:
                self._autosave_failing = True
                reason = (exc.strerror or str(exc)) if isinstance(exc, OSError) else str(exc)
                self.autosave_failed.emit(f"Unsaved work cannot be kept for recovery in "
                                          f"{target.parent} ({reason}); autosave will try again")
            return False
        self._autosave_failing = False
        return True

    def _lock_recovery(self, target: Path) -> None:
        """Hold the lock that tells other instances this recovery file's owner is running."""
        wanted = recovery.lock_path(target)
        if self._recovery_lock is not None and self._recovery_lock.path == wanted:
            return
        self._release_recovery_lock()
        target.parent.mkdir(parents=True, exist_ok=True)
        lock = recovery.Lock.take(wanted)
        if lock is None:
            raise OSError(f"{wanted.name} is locked by another process")
        self._recovery_lock = lock

    def _release_recovery_lock(self) -> None:
        if self._recovery_lock is not None:
            self._recovery_lock.release()
            self._recovery_lock = None

    def discard_recovery(self) -> None:
        """Saved, or closed without keeping it: this document's recovery file goes."""
        recovery.discard(self.recovery_path())
        self._release_recovery_lock()

    @classmethod
    def left_recoveries(cls) -> list[recovery.LeftBehind]:
        """The recovery files of instances that are no longer running, newest first, each held
        (claimed) until it is discarded, set aside or released."""
        return recovery.left_behind(cls.recovery_folder())

    def restore_recovery(self, recovered: tuple[Design, str | None]) -> None:
        """Open recovered work as unsaved changes to its file, kept at once in this document's
        own recovery file."""
        design, path = recovered
        self.replace_design(design, path)
        self.undo_stack.resetClean()  # recovered work is not saved yet
        self.changed.emit()
        self.autosave()
