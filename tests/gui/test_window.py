"""The main window as a person meets it: menus, title, files, unsaved changes, recovery, screenshot."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QAction, QKeySequence, QTextDocument
from PySide6.QtWidgets import QMessageBox

import core
from gui.app import make_app
from gui.document.document import Document
from gui.window import file_actions
from gui.window.main_window import MainWindow
from resources import EXAMPLES
from tests.gui.instances import crashed_instance

ROOT = Path(__file__).resolve().parents[2]


def answer(monkeypatch, button):
    asked = []

    def ask(parent, name):
        asked.append(name)
        return button

    monkeypatch.setattr(file_actions, "ask_to_save", ask)
    return asked


def test_the_menus_carry_the_platforms_standard_shortcuts(window):
    menus = {m.title().replace("&", ""): m for m in (a.menu() for a in window.menuBar().actions())}
    assert set(menus) == {"File", "Edit", "View", "Training", "Learn", "Help"}
    assert window.act_open.shortcut() == QKeySequence(QKeySequence.StandardKey.Open)
    assert window.act_save.shortcut() == QKeySequence(QKeySequence.StandardKey.Save)
    assert window.act_undo.shortcut() == QKeySequence(QKeySequence.StandardKey.Undo)
    view_actions = [a.text() for a in menus["View"].actions()]
    assert {"Palette", "Inspector", "Problems"} <= set(view_actions)


def test_the_title_shows_the_file_and_a_marker_for_unsaved_changes(window, tmp_path):
    assert window.windowTitle().startswith("Untitled")
    window.document.add_node("neuron", (0, 0))
    assert "•" in window.windowTitle()
    path = tmp_path / "mine.ncanvas"
    window.document.save(str(path))
    assert window.windowTitle().startswith("mine.ncanvas") and "•" not in window.windowTitle()


def test_opening_a_corrupt_file_shows_the_message_and_keeps_the_open_design(window, tmp_path,
                                                                             monkeypatch):
    window.open_path(str(EXAMPLES / "xor.ncanvas"))
    before = window.document.design.copy()
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: shown.append(text))
    bad = tmp_path / "broken.ncanvas"
    bad.write_text('{"format": "neuralcanvas-design", "version": 99}')
    assert not window.open_path(str(bad))
    assert shown and "broken.ncanvas" in shown[0] and "newer" in shown[0]
    assert window.document.design == before


def test_closing_with_unsaved_changes_asks_and_cancel_keeps_the_window(window, monkeypatch):
    window.document.add_node("neuron", (0, 0))
    asked = answer(monkeypatch, QMessageBox.StandardButton.Cancel)
    assert not window.close()
    assert asked == ["Untitled"] and window.isVisible()
    answer(monkeypatch, QMessageBox.StandardButton.Discard)
    assert window.close()


def test_save_from_the_close_question_writes_the_file(window, tmp_path, monkeypatch):
    window.document.add_node("neuron", (0, 0))
    path = tmp_path / "kept.ncanvas"
    answer(monkeypatch, QMessageBox.StandardButton.Save)
    monkeypatch.setattr(file_actions, "save_file_name", lambda parent, current: str(path))
    assert window.close()
    assert Document().design != window.document.design
    reopened = Document()
    reopened.open(str(path))
    assert reopened.design == window.document.design


def test_new_with_unsaved_changes_asks_first(window, monkeypatch):
    window.document.add_node("neuron", (0, 0))
    answer(monkeypatch, QMessageBox.StandardButton.Cancel)
    window.act_new.trigger()
    assert len(window.document.design.nodes) == 1
    answer(monkeypatch, QMessageBox.StandardButton.Discard)
    window.act_new.trigger()
    assert len(window.document.design.nodes) == 0


def test_after_a_crash_the_next_launch_offers_the_unsaved_work(qtbot, monkeypatch):
    left = crashed_instance(Document.recovery_folder(), EXAMPLES / "xor.ncanvas", label="unsaved")
    expected = len(core.load(str(EXAMPLES / "xor.ncanvas")).nodes) + 1
    make_app([])
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda parent, title, text, *a: asked.append(text) or QMessageBox.StandardButton.Yes)
    fresh = MainWindow(restore_settings=False)
    qtbot.addWidget(fresh)
    fresh.offer_recovery()
    assert len(asked) == 1 and "xor.ncanvas" in asked[0]
    nodes = fresh.document.design.nodes.values()
    assert len(nodes) == expected and [n.label for n in nodes].count("unsaved") == 1
    assert fresh.document.dirty and fresh.document.path == str(EXAMPLES / "xor.ncanvas")
    assert not left.exists()  # taken: the next launch does not offer it again
    fresh.document.undo_stack.setClean()


def test_autosave_runs_every_30_seconds_while_there_are_unsaved_changes(window):
    assert window.document.autosave_timer.interval() == 30_000
    assert window.document.autosave_timer.isActive()
    assert not window.document.autosave()  # nothing unsaved yet
    window.document.add_node("neuron", (0, 0))
    assert window.document.autosave() and window.document.recovery_path().is_file()


def test_the_screenshot_command_renders_the_window_with_the_design(tmp_path):
    out = tmp_path / "shot.png"
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), str(EXAMPLES / "xor.ncanvas"),
                           "--screenshot", str(out)], capture_output=True, text=True, timeout=120,
                          env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert proc.returncode == 0, proc.stderr
    from PySide6.QtGui import QImage

    image = QImage(str(out))
    assert image.width() >= 1200 and image.height() >= 800


@pytest.mark.parametrize("name, content, words", [
    ("bad.ncanvas", "{oops", "error: Cannot open the design: bad.ncanvas: $: not valid JSON"),
    ("bad.onnx", "not a model", "error: Cannot import the ONNX model: bad.onnx"),
])
def test_the_screenshot_of_a_bad_file_says_why_on_stderr_and_exits_2(tmp_path, name, content,
                                                                      words):
    bad, out = tmp_path / name, tmp_path / "shot.png"
    bad.write_text(content)
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "--screenshot", str(out), name],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path),
                               "XDG_CONFIG_HOME": str(tmp_path), "PYTHONPATH": str(ROOT)})
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert proc.returncode == 2 and len(errors) == 1 and errors[0].startswith(words)
    assert "Traceback" not in proc.stderr and not out.exists()


@pytest.mark.parametrize("name, words", [
    ("sent.ncanvas", "error: Cannot open the design: sent.ncanvas: $: is a FIFO (named pipe)"),
    ("sent.onnx", "error: Cannot import the ONNX model: sent.onnx: is a FIFO (named pipe)"),
])
def test_the_screenshot_of_a_fifo_says_why_on_stderr_and_exits_2(tmp_path, name, words):
    out = tmp_path / "shot.png"
    os.mkfifo(tmp_path / name)  # no one writes to it: reading it would wait for ever
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "--screenshot", str(out), name],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path),
                               "XDG_CONFIG_HOME": str(tmp_path), "PYTHONPATH": str(ROOT)})
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert proc.returncode == 2 and len(errors) == 1 and errors[0].startswith(words)
    assert "regular file" in errors[0] and "Traceback" not in proc.stderr and not out.exists()


def test_the_screenshot_into_a_missing_folder_says_so_and_exits_2(tmp_path):
    out = tmp_path / "nowhere" / "shot.png"
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "--screenshot", str(out),
                           str(EXAMPLES / "xor.ncanvas")], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "QT_QPA_PLATFORM": "offscreen",
                                            "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2 and f"error: cannot write the screenshot to {out}" in proc.stderr


def test_the_dark_look_can_be_chosen_and_is_remembered(window, qtbot):
    from PySide6.QtCore import QSettings
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QApplication

    from gui.canvas import style
    from gui.widgets.theme import set_appearance

    try:
        window.appearance_actions["dark"].trigger()
        assert QApplication.palette().color(QPalette.ColorRole.Window).lightness() < 80
        qtbot.waitUntil(lambda: style.theme().dark)  # the canvas follows the palette
        assert QSettings().value("appearance") == "dark"
        window.appearance_actions["light"].trigger()
        assert QApplication.palette().color(QPalette.ColorRole.Window).lightness() > 200
        qtbot.waitUntil(lambda: not style.theme().dark)
        assert window.appearance_actions["light"].isChecked()
        assert not window.appearance_actions["dark"].isChecked()
    finally:
        set_appearance("system")


def test_the_app_and_its_window_carry_the_icon_and_name_the_desktop_entry(window):
    import configparser

    from PySide6.QtGui import QGuiApplication

    from resources import DESKTOP_FILE, DESKTOP_ID

    app_icon = QGuiApplication.windowIcon()
    assert {16, 32, 48, 256} <= {size.width() for size in app_icon.availableSizes()}
    assert window.windowIcon().cacheKey() == app_icon.cacheKey()  # the window shows the app's
    assert not window.windowIcon().pixmap(48, 48).isNull()
    assert QGuiApplication.desktopFileName() == DESKTOP_ID
    entry = configparser.ConfigParser(interpolation=None)
    entry.read(DESKTOP_FILE, encoding="utf-8")
    assert DESKTOP_FILE.name == f"{DESKTOP_ID}.desktop"
    assert entry["Desktop Entry"]["Icon"] == DESKTOP_ID
    assert entry["Desktop Entry"]["Exec"].split()[0] == "neuralcanvas-gui"  # pyproject's gui-script


def test_open_example_lists_each_example_with_its_description_and_opens_the_chosen_one(
        window, monkeypatch):
    from PySide6.QtWidgets import QDialog

    from gui.window.dialogs import ExampleChooser, example_descriptions

    descriptions = example_descriptions()
    examples = sorted(p.stem for p in EXAMPLES.glob("*.ncanvas"))
    assert set(descriptions) == set(examples)
    shown = []

    def pick_spiral(dialog):
        rows = [dialog.list.item(i) for i in range(dialog.list.count())]
        shown.extend(item.text() for item in rows)
        dialog.list.setCurrentRow(next(i for i, item in enumerate(rows) if item.text().startswith("spiral")))
        return QDialog.DialogCode.Accepted.value

    monkeypatch.setattr(ExampleChooser, "exec", pick_spiral)
    window.act_example.trigger()
    assert len(shown) == len(examples)
    assert all(descriptions[name] in text for name, text in zip(examples, shown, strict=True))
    assert window.document.design.dataset.name == "spiral"
    assert window.document.path is None  # Save asks for a new name: the example stays as it is
    assert window.windowTitle().startswith("Untitled")


def test_recent_files_are_remembered_across_launches_and_reopen(window, qtbot, tmp_path):
    path = tmp_path / "mine.ncanvas"
    window.open_path(str(EXAMPLES / "xor.ncanvas"))
    window.document.save(str(path))
    window.open_path(str(path))
    window.document.new()
    later = MainWindow(restore_settings=False)  # the next launch
    qtbot.addWidget(later)
    recent = [a.text() for a in later.recent_menu.actions()]
    assert recent[:2] == [str(path), str(EXAMPLES / "xor.ncanvas")]
    later.recent_menu.actions()[0].trigger()
    assert later.document.path == str(path) and len(later.document.design.nodes) == 7


def test_dropping_a_design_file_on_the_window_opens_it(window):
    from PySide6.QtCore import QMimeData, QPoint, QUrl

    from tests.gui.gestures import drop

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(EXAMPLES / "circle.ncanvas"))])
    assert drop(window.view, mime, QPoint(200, 200)) == (True, True)
    assert window.document.path == str(EXAMPLES / "circle.ncanvas")
    assert window.document.design.dataset.name == "circle"


def test_copy_paste_and_duplicate_from_the_edit_menu(window):
    window.open_path(str(EXAMPLES / "xor.ncanvas"))
    design = window.document.design
    hidden = [n for n, node in design.nodes.items() if node.kind == "neuron"][:2]
    window.scene.select_ids(hidden)
    window.act_copy.trigger()
    window.act_paste.trigger()
    pasted = window.scene.selected_node_ids()
    assert len(pasted) == 2 and not set(pasted) & set(hidden) and len(design.nodes) == 9
    window.act_duplicate.trigger()
    assert len(design.nodes) == 11
    window.act_delete.trigger()
    assert len(design.nodes) == 9
    for _ in range(3):
        window.act_undo.trigger()
    assert len(design.nodes) == 7


def test_the_shortcuts_sheet_names_the_platforms_keys(window, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text: shown.append(text))
    window.act_shortcuts.trigger()
    save_key = QKeySequence(QKeySequence.StandardKey.Save).toString(QKeySequence.SequenceFormat.NativeText)
    assert shown and save_key in shown[0] and "Save" in shown[0] and "Wheel" in shown[0]


def test_the_shortcuts_sheet_lists_every_action_with_a_shortcut_under_its_menu(window, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text: shown.append(text))
    window.act_shortcuts.trigger()
    document = QTextDocument()
    document.setHtml(shown[0])
    lines = [line.strip() for line in document.toPlainText().splitlines() if line.strip()]
    menus = [a.menu() for a in window.menuBar().actions() if a.menu() is not None]
    headings = [m.title().replace("&", "") for m in menus]

    def menu_of(line_number: int) -> str | None:
        return next((line for line in reversed(lines[:line_number]) if line in headings), None)

    with_keys = [a for a in window.findChildren(QAction) if not a.shortcut().isEmpty()]
    names = {a.text().replace("&", "") for a in with_keys}
    assert {"Undo", "Redo", "Play", "One Step", "Reset"} <= names  # those the sheet once left out
    where = {}
    for action in with_keys:
        key = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        name = action.text().replace("&", "")
        rows = [i for i in range(len(lines) - 1)  # a row: the keys, then what they do
                if key in lines[i].split(", ") and lines[i + 1] == name]
        where[action] = rows
    assert not [a.text() for a, rows in where.items() if not rows], "not on the sheet"
    for action, rows in where.items():
        holder = next(m for m in menus if action in m.actions())
        assert menu_of(rows[0]) == holder.title().replace("&", ""), action.text()


def test_the_panels_and_the_window_size_come_back_at_the_next_launch(qtbot):
    make_app([])
    first = MainWindow(restore_settings=True)
    qtbot.addWidget(first)
    first.resize(1100, 700)  # within the tests' screen (1920×1200), above the window's least size
    first.show()
    qtbot.waitExposed(first)
    first.problems_dock.toggleViewAction().trigger()  # the person hides the Problems panel
    assert first.problems_dock.isHidden()
    assert first.close()
    second = MainWindow(restore_settings=True)
    qtbot.addWidget(second)
    second.show()
    assert second.problems_dock.isHidden() and not second.palette_dock.isHidden()
    assert (second.width(), second.height()) == (1100, 700)


def test_open_and_save_as_start_in_the_folder_last_saved_to(window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    projects = tmp_path / "projects"
    projects.mkdir()
    saved = projects / "mine.ncanvas"
    starts: list[tuple[str, str]] = []

    def open_dialog(parent, title, folder, *rest):
        starts.append(("open", folder))
        return "", ""

    def save_dialog(parent, title, suggested, *rest):  # the first time, the person picks `saved`
        starts.append(("save", suggested))
        return (str(saved), "") if len(starts) == 2 else ("", "")

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(open_dialog))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(save_dialog))
    window.act_open.trigger()  # nothing saved yet: the home folder
    assert starts[-1] == ("open", str(Path.home()))
    window.document.add_node("neuron", (0, 0))
    window.act_save.trigger()
    assert saved.is_file()
    window.act_open.trigger()
    assert starts[-1] == ("open", str(projects))
    window.act_new.trigger()
    window.act_save_as.trigger()  # an untitled design is suggested in that folder too
    assert starts[-1] == ("save", str(projects / "untitled.ncanvas"))


def test_a_refused_wire_says_why_in_the_status_bar_until_the_next_wire_is_made(window):
    from tests.gui.gestures import at, drag

    document, scene, view = window.document, window.scene, window.view
    x = document.add_node("input", (0, 0), {"feature": "x1"})
    a = document.add_node("neuron", (150, 0))
    b = document.add_node("neuron", (300, 0))
    document.connect(x, a)
    document.connect(a, b)
    view.resetTransform()
    view.centerOn(150, 0)
    status = window.statusBar()
    drag(view, at(view, scene.node_item(b).output_anchor()), at(view, scene.node_item(a).input_anchor()))
    assert "cycle" in status.currentMessage()
    drag(view, at(view, scene.node_item(x).output_anchor()), at(view, scene.node_item(b).input_anchor()))
    assert document.design.connection_between(x, b) is not None
    assert status.currentMessage() == ""


@pytest.mark.parametrize("kind", ["check box", "radio button"])
def test_check_boxes_and_radio_buttons_are_seen_on_a_dark_window(qtbot, kind):
    """Fusion frames an unchecked indicator in a darker shade of the window: on a dark window
    it vanished. Its frame must stand out from the window behind it."""
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QApplication, QCheckBox, QRadioButton

    from gui.app import make_app
    from gui.widgets.theme import set_appearance

    make_app([])
    try:
        set_appearance("dark")
        box = (QCheckBox if kind == "check box" else QRadioButton)("log scale")
        qtbot.addWidget(box)
        box.show()
        qtbot.waitExposed(box)
        image = box.grab().toImage()
        window = QApplication.palette().color(QPalette.ColorRole.Window)
        indicator = range(min(16, image.width()))  # the indicator is drawn first, at the left
        contrast = max(abs(QColor(image.pixel(x, y)).lightness() - window.lightness())
                       for x in indicator for y in range(image.height()))
        assert contrast >= 40, f"the {kind}'s frame is {contrast} lightness steps from the window"
    finally:
        set_appearance("system")


@pytest.mark.parametrize("size", [(1280, 800), (1600, 1000)])
def test_each_group_of_panels_has_one_tab_bar_and_none_lingers_over_the_panels(qtbot, monkeypatch,
                                                                            size):
    """Two groups of tabbed panels (Boundary/Confusion/Inside, Loss/Problems): a stale copy of
    the second group's tab bar was drawn over the Boundary panel once the window showed, when the
    window was laid out at another size before (a maximized window, the screenshot's)."""
    from PySide6.QtWidgets import QTabBar

    from gui.app import make_app
    from gui.window import main_window

    make_app([])
    monkeypatch.setattr(main_window, "place_first", lambda window: None)  # Qt's first size
    window = main_window.MainWindow(restore_settings=False)
    qtbot.addWidget(window, before_close_func=lambda w: w.document.undo_stack.setClean())
    window.resize(*size)
    window.open_path(str(EXAMPLES / "spiral.ncanvas"))
    window.show()
    qtbot.waitExposed(window)

    def shown_bars() -> list[QTabBar]:
        return [bar for bar in window.findChildren(QTabBar) if bar.isVisible()]

    qtbot.waitUntil(lambda: any(bar.tabText(0) == "Loss" for bar in shown_bars()))
    qtbot.wait(20)  # (a bar Qt retires goes in the next events)
    bars = shown_bars()
    groups = [tuple(bar.tabText(i) for i in range(bar.count())) for bar in bars]
    assert sorted(groups) == [("Boundary", "Confusion", "Inside"), ("Loss", "Problems")]
    for bar in bars:  # each right under its own panels
        dock = window.live.boundary_dock if bar.tabText(0) == "Boundary" else window.live.loss_dock
        shown = next(d for d in (dock, *window.tabifiedDockWidgets(dock))
                     if not d.visibleRegion().isEmpty())
        assert shown.geometry().left() <= bar.geometry().left() <= shown.geometry().right()
        assert bar.geometry().top() >= shown.geometry().bottom() - 2


def test_a_design_opened_before_the_window_shows_brings_its_view_and_data_set_forward(qtbot):
    """`main.py DESIGN` (and the screenshot) open the design before the window shows: the digits
    CNN showed the Boundary panel (empty: no plane) and a data-set list scrolled to Circle."""
    from gui.app import make_app
    from gui.window.main_window import MainWindow

    make_app([])
    window = MainWindow(restore_settings=False)
    qtbot.addWidget(window, before_close_func=lambda w: w.document.undo_stack.setClean())
    window.resize(1280, 800)
    window.open_path(str(EXAMPLES / "digits_cnn.ncanvas"))
    window.show()
    qtbot.waitExposed(window)
    live = window.live
    qtbot.waitUntil(lambda: not live.confusion_dock.visibleRegion().isEmpty())
    assert live.boundary_dock.visibleRegion().isEmpty()
    chosen = live.data.strip.buttons["digits"]
    assert chosen.isChecked()
    shown = live.data.strip_scroll.viewport().rect()
    assert shown.contains(chosen.mapTo(live.data.strip_scroll.viewport(), chosen.rect().center()))


def test_the_window_loads_on_numpy_and_leaves_the_training_backend_to_the_work(monkeypatch):
    """No backend named: the window's own engine is NumPy, and its training processes are
    marked to choose by each design's work; a named one is left as it is, for all of them."""
    from core.engine import backend
    from gui import launch

    monkeypatch.delenv(backend.ENV_VAR, raising=False)
    monkeypatch.delenv(backend.BY_WORK, raising=False)
    launch._window_backend()
    assert os.environ[backend.ENV_VAR] == "numpy" and os.environ[backend.BY_WORK] == "1"
    monkeypatch.setenv(backend.ENV_VAR, "cupy")
    monkeypatch.delenv(backend.BY_WORK)
    launch._window_backend()
    assert os.environ[backend.ENV_VAR] == "cupy" and backend.BY_WORK not in os.environ
