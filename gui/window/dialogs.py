"""The window's small dialogs: save-or-discard, file names, the example chooser, the shortcut sheet."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from resources import EXAMPLES

FILTER = "Neural Canvas designs (*.ncanvas)"


def ask_to_save(parent: QWidget, name: str) -> QMessageBox.StandardButton:
    buttons = (QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
               | QMessageBox.StandardButton.Cancel)
    return QMessageBox.question(parent, "Unsaved changes",
                                f"Save the changes to {name} before closing it?", buttons,
                                QMessageBox.StandardButton.Save)


def last_folder() -> str:
    """Where the person last saved or opened a design (their home folder at first): where the
    Open and Save As dialogs start."""
    folder = QSettings().value("last_folder", "", str)
    return folder if folder and Path(folder).is_dir() else str(Path.home())


def remember_folder(path: str) -> None:
    """The folder of a design just saved or opened, for the next Open or Save As."""
    QSettings().setValue("last_folder", str(Path(path).resolve().parent))


def open_file_name(parent: QWidget) -> str:
    return QFileDialog.getOpenFileName(parent, "Open a design", last_folder(),
                                       f"{FILTER};;ONNX models, imported as a design (*.onnx)")[0]


def save_file_name(parent: QWidget, current: str | None) -> str:
    suggested = current or str(Path(last_folder()) / "untitled.ncanvas")
    path = QFileDialog.getSaveFileName(parent, "Save the design as", suggested, FILTER)[0]
    if path and not path.endswith(".ncanvas"):
        path += ".ncanvas"
    return path


def example_descriptions() -> dict[str, str]:
    try:
        return json.loads((EXAMPLES / "index.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


class ExampleChooser(QDialog):
    """Lists resources/examples/ with a one-line description of each."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open an example")
        self.resize(560, 360)
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setSpacing(3)
        descriptions = example_descriptions()
        for path in sorted(EXAMPLES.glob("*.ncanvas")):
            text = f"{path.stem.replace('_', ' ')}\n{descriptions.get(path.stem, '')}".strip()
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            item.setToolTip(descriptions.get(path.stem, ""))
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.list.itemDoubleClicked.connect(lambda _item: self.accept())
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addWidget(buttons)

    def chosen(self) -> str:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else ""


def choose_example(parent: QWidget) -> str:
    dialog = ExampleChooser(parent)
    return dialog.chosen() if dialog.exec() == QDialog.DialogCode.Accepted else ""


def shortcuts_text(window) -> str:
    """Every action with a shortcut, as the platform spells it."""
    rows = []
    for action in window.actions():
        key = action.shortcut().toString()
        if key:
            rows.append(f"<tr><td><b>{key}</b></td><td>&nbsp;{action.text().replace('&', '')}</td></tr>")
    extra = ("<tr><td><b>Wheel</b></td><td>&nbsp;zoom</td></tr>"
             "<tr><td><b>Middle drag / Space+drag</b></td><td>&nbsp;pan</td></tr>"
             "<tr><td><b>Drag from an output port</b></td><td>&nbsp;wire to an input port</td></tr>")
    return f"<table>{''.join(rows)}{extra}</table>"
