"""The window's small dialogs: save-or-discard, file names, the example chooser, the shortcut sheet."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
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


def shortcut_groups(window: QMainWindow) -> list[tuple[str, list[tuple[str, str]]]]:
    """Every action of the window with a shortcut, as (menu, [(keys, what it does)]) in the menu
    bar's order, an action in no menu under "Other". Read from the actions themselves, so the sheet
    cannot drift from the menus: a new action with a shortcut is on it at once."""

    def keys(action: QAction) -> str:
        return ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())

    def walk(menu: QMenu, rows: list[tuple[str, str]]) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu(), rows)
            elif action not in listed and keys(action):
                listed.add(action)
                rows.append((keys(action), plain(action.text())))

    listed: set[QAction] = set()
    groups = []
    for top in window.menuBar().actions():
        rows: list[tuple[str, str]] = []
        if top.menu() is not None:
            walk(top.menu(), rows)
        if rows:
            groups.append((plain(top.text()), rows))
    other = [(keys(a), plain(a.text())) for a in window.findChildren(QAction)
             if a not in listed and keys(a)]
    if other:
        groups.append(("Other", other))
    return groups


def plain(text: str) -> str:
    """A menu text without its mnemonic markers ("&Save" → "Save", "&&" → "&")."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def shortcuts_text(window: QMainWindow) -> str:
    """The shortcut sheet: every action with a shortcut, under its menu, as the platform spells
    the keys, then what the mouse does on the canvas."""
    rows = []
    for menu, actions in shortcut_groups(window):
        rows.append(f"<tr><td colspan='2'><br><i>{escape(menu)}</i></td></tr>")
        rows += [f"<tr><td><b>{escape(key)}</b></td><td>&nbsp;{escape(what)}</td></tr>"
                 for key, what in actions]
    canvas = (("Wheel", "zoom"), ("Middle drag / Space+drag", "pan"),
              ("Drag from an output port", "wire to an input port"),
              ("Esc", "drop the wire being drawn"))
    rows.append("<tr><td colspan='2'><br><i>Canvas</i></td></tr>")
    rows += [f"<tr><td><b>{key}</b></td><td>&nbsp;{what}</td></tr>" for key, what in canvas]
    return f"<table>{''.join(rows)}</table>"
