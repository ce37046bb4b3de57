"""The File menu's work for the main window: new, open, open example, save, save as, the
question before unsaved work is dropped, recent files, the offer to recover after a crash, a CSV
data set imported, and the canvas and the training history exported."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from core.design.errors import NeuralCanvasError, cut, shown_path
from core.interchange.tables import history_csv
from gui.canvas import style
from gui.document.document import Document
from gui.panels.data.csv_dialog import choose_csv_dataset
from gui.widgets import exports
from gui.window.dialogs import ask_to_save, choose_example, open_file_name, remember_folder, save_file_name

MAX_RECENT = 8
_log = logging.getLogger(__name__)


def unexpected(path: str, exc: BaseException) -> str:
    """A message for an error no check foresaw while reading `path` (logged for a bug report)."""
    _log.error("reading %s failed", path, exc_info=exc)
    if isinstance(exc, MemoryError):
        return f"{path}: there is not enough memory to read it"
    return f"{path}: it could not be read ({type(exc).__name__}: {cut(str(exc))})"


def recovery_origin(source: str | None, kept: Path) -> str:
    """' of mine.ncanvas (kept 06 Dec 23:50)': what a recovery offer names, on one line."""
    try:
        when = " (kept " + time.strftime("%d %b %H:%M", time.localtime(kept.lstat().st_mtime)) + ")"
    except OSError:
        when = ""
    return (f" of {shown_path(source)}" if source else "") + when


class FileActions:
    """Mixed into MainWindow (which provides document, statusBar, problems_dock, recent_menu)."""

    def maybe_save(self) -> bool:
        """True when it is fine to drop the current design (saved, discarded or unchanged)."""
        if not self.document.dirty:
            return True
        answer = ask_to_save(self, self.document.title.rstrip(" •"))
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def new_design(self) -> None:
        if self.maybe_save():
            self.document.new()

    def open_dialog(self) -> None:
        if self.maybe_save():
            path = open_file_name(self)
            if path and self.open_path(path):
                remember_folder(path)

    def open_example(self) -> None:
        if self.maybe_save():
            path = choose_example(self)
            if path:
                self.open_example_path(path)

    def open_example_path(self, path: str) -> bool:
        """Open an example (the chooser's or the start page's pick) as a new, unnamed design."""
        if not self.open_path(path):
            return False
        self.document.path = None  # Save asks for a new name: examples stay pristine
        self._refresh_title()
        return True

    def open_path_asking(self, path: str) -> None:
        if self.maybe_save():
            self.open_path(path)

    def open_path(self, path: str) -> bool:
        """Open a design (an ONNX model is imported as one); a bad file shows the model's message
        and changes nothing."""
        if path.lower().endswith(".onnx"):
            return self.import_onnx(path)
        try:
            self.document.open(path)
        except NeuralCanvasError as exc:
            QMessageBox.critical(self, "Cannot open the design", str(exc))
            return False
        except Exception as exc:  # noqa: BLE001 - a file someone sent: said, never a traceback
            QMessageBox.critical(self, "Cannot open the design", unexpected(path, exc))
            return False
        self.remember_recent(path)
        errors = [p for p in self.document.problems if p.severity == "error"]
        if errors:
            self.statusBar().showMessage(
                f"Opened {shown_path(path)}, which is unfinished: {len(errors)} problem(s) to fix, listed "
                "in the Problems panel and marked on the canvas", 8000)
            self.problems_dock.show()
            self.problems_dock.raise_()
        else:
            self.statusBar().showMessage(f"Opened {shown_path(path)}", 4000)
        return True

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self._save_to(self.document.path)

    def save_as(self) -> bool:
        path = save_file_name(self, self.document.path)
        return bool(path) and self._save_to(path)

    def _save_to(self, path: str) -> bool:
        try:
            self.document.save(path)
        except (NeuralCanvasError, OSError, ValueError) as exc:
            QMessageBox.critical(self, "Cannot save the design", str(exc))
            return False
        self.remember_recent(path)
        remember_folder(path)
        self.statusBar().showMessage(f"Saved {shown_path(path)}", 4000)
        return True

    def offer_recovery(self) -> None:
        """After a crash: offer the work autosave kept, one file of each instance that is no
        longer running, newest first (instances still running keep theirs). Each file offered
        is removed, taken or declined; once one is taken, the rest wait for the next launch. One
        that cannot be read is said so once and set aside (renamed), not offered again."""
        left = Document.left_recoveries()
        for index, offered in enumerate(left):
            try:
                recovered = offered.read()
            except NeuralCanvasError as exc:
                kept = offered.set_aside()
                _log.warning("the recovery file %s cannot be read (%s): set aside as %s",
                             offered.path, exc, kept)
                where = f"It was set aside as {kept}." if kept.exists() else "It was removed."
                QMessageBox.warning(
                    self, "Cannot recover unsaved work",
                    f"Neural Canvas did not close cleanly last time, but the unsaved work it kept "
                    f"cannot be read: {exc}\n\n{where}")
                continue
            answer = QMessageBox.question(
                self, "Recover unsaved work?",
                f"Neural Canvas did not close cleanly last time. Restore the unsaved design"
                f"{recovery_origin(recovered[1], offered.path)}?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                _log.info("recovery declined: %s removed", offered.path)
                offered.discard()
                continue
            _log.info("recovered the unsaved work in %s", offered.path)
            self.document.restore_recovery(recovered)
            offered.discard()
            for waiting in left[index + 1:]:
                waiting.release()
            if len(left) > index + 1:
                more = len(left) - index - 1
                self.statusBar().showMessage(
                    f"{more} more unsaved design{'s' if more > 1 else ''} will be offered at the "
                    f"next launch", 10000)
            return

    # ------------------------------------------------------------------ data in, pictures out
    def import_csv_dataset(self) -> bool:
        """File → Import → CSV Data Set…: a file, its columns, then the design's data set."""
        if not choose_csv_dataset(self, self.document):
            return False
        self.statusBar().showMessage(
            f"The data set is now {self.document.design.dataset.params.get('path', '')}", 5000)
        return True

    def export_canvas_svg(self) -> str:
        return exports.export(
            self, "Export the canvas as SVG", exports.suggested_name(self.document, "canvas", ".svg"),
            exports.SVG_FILTER,
            lambda: exports.canvas_svg(self.scene, style.theme().background,
                                       self.document.title.rstrip(" •")),
            "the canvas picture")

    def export_canvas_png(self) -> str:
        return exports.export(
            self, "Export the canvas as PNG", exports.suggested_name(self.document, "canvas", ".png"),
            exports.PNG_FILTER,
            lambda: exports.png_bytes(exports.canvas_image(self.scene, style.theme().background)),
            "the canvas picture")

    def export_history_csv(self) -> str:
        history = self.document.design.state.history
        if not history:
            QMessageBox.information(self, "No training history",
                                    "The design has not been trained yet: there is no history "
                                    "to export.")
            return ""
        return exports.export(
            self, "Export the training history as CSV",
            exports.suggested_name(self.document, "history", ".csv"), exports.CSV_FILTER,
            lambda: history_csv(history), "the training history")

    # ------------------------------------------------------------------ recent files
    def remember_recent(self, path: str) -> None:
        """Put `path` first in File → Open Recent (once; the list keeps MAX_RECENT)."""
        settings = QSettings()
        recent = [p for p in settings.value("recent", [], list) if p != path]
        settings.setValue("recent", [path, *recent][:MAX_RECENT])
        self._refresh_recent()

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        recent = QSettings().value("recent", [], list)
        for path in recent:
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _c=False, p=path: self.open_path_asking(p))
        self.recent_menu.setEnabled(bool(recent))
