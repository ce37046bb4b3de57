"""The design as a model for other tools, and models from them: File → Export → ONNX, PyTorch and
NumPy files, File → Import → ONNX Model (also File → Open and a dropped .onnx file)."""

from __future__ import annotations

import os
from collections.abc import Callable

from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox

from core.design.errors import NeuralCanvasError, shown_path
from core.interchange.numpy.export import export_numpy
from core.interchange.onnx.export import export_onnx
from core.interchange.onnx.importer import read_onnx
from core.interchange.torch.export import export_torch
from gui.widgets import exports
from gui.window.file_actions import unexpected

ONNX_FILTER = "ONNX models (*.onnx)"
PYTHON_FILTER = "Python files (*.py)"
# what each export writes: (menu text, icon, tooltip, dialog title, file suffix, filter, words)
KINDS = {
    "onnx": ("&ONNX Model…", "mdi6.export", "the network and its weights for any ONNX runtime",
             "Export the design as an ONNX model", ".onnx", ONNX_FILTER, "the ONNX model"),
    "torch": ("&PyTorch Script…", "mdi6.language-python",
              "a torch.nn.Module with its weights, the data and a training loop that runs under "
              "torchrun (DistributedDataParallel)", "Export the design as a PyTorch script",
              "-torch.py", PYTHON_FILTER, "the PyTorch script"),
    "numpy": ("&NumPy Predictor…", "mdi6.code-braces", "one NumPy-only file with the weights and "
              "predict(x)", "Export the design as a NumPy predictor", "-numpy.py", PYTHON_FILTER,
              "the NumPy predictor"),
}


def exporter(kind: str) -> Callable:
    """The core function that writes `kind` (imported when first used: ONNX needs its package)."""
    if kind == "onnx":
        return export_onnx
    if kind == "torch":
        return export_torch

    return export_numpy


def onnx_file_name(parent) -> str:
    return QFileDialog.getOpenFileName(parent, "Import an ONNX model", "", ONNX_FILTER)[0]


class ModelFiles:
    """Mixed into the main window (with FileActions): its document, status bar and menus."""

    def add_model_actions(self: QMainWindow, make_action) -> None:
        """File → Import → ONNX Model…, and File → Export → the three model files."""
        self.act_import_onnx = make_action("&ONNX Model…", self.import_onnx_dialog, None,
                                           "mdi6.import", "open a feed-forward ONNX network as "
                                           "a design, with its weights")
        self.import_menu.insertAction(self.import_menu.actions()[0], self.act_import_onnx)
        self.model_export_actions = {}
        first = self.export_menu.actions()[0]
        for kind, (text, icon_name, tip, *_rest) in KINDS.items():
            action = make_action(text, lambda _on=False, kind=kind: self.export_model(kind), None,
                                 icon_name, tip)
            self.model_export_actions[kind] = action
            self.export_menu.insertAction(first, action)
        self.export_menu.insertSeparator(first)

    def export_model(self: QMainWindow, kind: str) -> str:
        """Write the design (its current weights) as `kind`; the path, or '' (cancelled or not
        possible: a message says which node and why, and no file is written)."""
        _text, _icon, _tip, title, suffix, file_filter, words = KINDS[kind]
        suggested = exports.suggested_name(self.document, "model", suffix).replace("-model-", "-")
        path = QFileDialog.getSaveFileName(self, title, suggested, file_filter)[0]
        if not path:
            return ""
        extension = "." + suffix.rsplit(".", 1)[1]
        if not path.lower().endswith(extension):
            path += extension
        try:
            exporter(kind)(self.document.design.copy(), path)
        except ImportError as exc:
            QMessageBox.critical(self, f"Cannot export {words}",
                                 f"This needs the {exc.name or 'onnx'} package: pip install "
                                 "'neuralcanvas[export]'.")
            return ""
        except (NeuralCanvasError, OSError) as exc:
            QMessageBox.critical(self, f"Cannot export {words}", str(exc))
            return ""
        except MemoryError:
            QMessageBox.critical(self, f"Cannot export {words}",
                                 "There is not enough memory to write it.")
            return ""
        self.statusBar().showMessage(f"Exported {words} to {shown_path(path)}", 6000)
        return path

    def import_onnx_dialog(self: QMainWindow) -> bool:
        if not self.maybe_save():
            return False
        path = onnx_file_name(self)
        return bool(path) and self.import_onnx(path)

    def import_onnx(self: QMainWindow, path: str) -> bool:
        """Open an ONNX file as a new, unsaved design; an unsupported file shows the operator and
        node it cannot take, and the open design stays as it was."""
        try:
            imported = read_onnx(path)
        except ImportError as exc:
            QMessageBox.critical(self, "Cannot import the ONNX model",
                                 f"This needs the {exc.name or 'onnx'} package: pip install "
                                 "'neuralcanvas[export]'.")
            return False
        except (NeuralCanvasError, OSError) as exc:
            QMessageBox.critical(self, "Cannot import the ONNX model", str(exc))
            return False
        except Exception as exc:  # noqa: BLE001 - a file someone sent: said, never a traceback
            QMessageBox.critical(self, "Cannot import the ONNX model", unexpected(path, exc))
            return False
        design = imported.design
        self.document.replace_design(design, None)
        self.document.undo_stack.resetClean()  # not saved yet: closing asks
        self.document.changed.emit()
        notes = "; ".join(imported.notes)
        self.statusBar().showMessage(
            f"Imported {shown_path(os.path.basename(path))}: {len(design.nodes)} nodes"
            + (f" ({notes})" if notes else "") + "; save it as a design to keep it", 12000)
        return True
