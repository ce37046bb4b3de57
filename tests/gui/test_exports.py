"""Pictures and numbers out, through the menus as a person would: the canvas as SVG (a text
element per node label) and as PNG (twice its size, drawn), the loss and boundary plots as PNG and
CSV (the numbers the panels show), the training history as CSV (the design's own), and a folder
that cannot be written: a message, and no file."""

from __future__ import annotations

import csv
import errno
import io
import math
import os
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QFileDialog, QMessageBox

from core.design import atomic
from gui.canvas import style
from gui.widgets.exports import canvas_rect
from resources import EXAMPLES

SVG = "{http://www.w3.org/2000/svg}"


def save_to(monkeypatch, path) -> list[str]:
    """The save dialog answers `path`; the list records the names it suggested."""
    suggested = []

    def answer(parent, title, name, file_filter):
        suggested.append(name)
        return str(path), file_filter
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(answer))
    return suggested


def menu_action(menu, text: str):
    actions = {a.text(): a for a in menu.actions()}
    assert text in actions, list(actions)
    return actions[text]


def panel_action(panel, text: str):
    """An entry of the panel's save menu (its header button), enabled."""
    action = menu_action(panel.export_button.defaultAction().menu(), text)
    assert action in panel.plots.actions()  # the plot's right-click menu has it too
    return action


def read_csv(path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def drawn_pixels(image: QImage, background: QColor) -> int:
    """Pixels of another colour than the background."""
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    pixels = np.frombuffer(image.constBits(), np.uint32, image.width() * image.height())
    return int(np.count_nonzero(pixels != (background.rgb() & 0xFFFFFFFF)))


@pytest.fixture
def out(tmp_path):
    """An empty folder to save into."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


@pytest.fixture
def xor_window(window):
    window.open_path(str(EXAMPLES / "xor.ncanvas"))
    yield window
    window.live.shutdown()


@pytest.fixture
def trained(xor_window, qtbot):
    """XOR trained for 6 epochs in the window, the run over."""
    window = xor_window
    window.document.set_training(epochs=6, target_accuracy=None)
    window.live.bar.act_play.trigger()
    qtbot.waitUntil(lambda: not window.live.controller.running, timeout=60000)
    qtbot.waitUntil(lambda: window.live.loss.columns.count == 6)
    return window


# ---------------------------------------------------------------------------- the canvas
def test_canvas_as_svg_has_a_text_element_for_each_node_label(xor_window, monkeypatch, out):
    window = xor_window
    document = window.document
    labels = {}
    for i, node_id in enumerate(document.design.nodes):
        labels[node_id] = f"node{i}"
        document.rename(node_id, labels[node_id])
    window.scene.select_ids(list(document.design.nodes)[:2])
    suggested = save_to(monkeypatch, out / "net")  # the suffix is added
    menu_action(window.export_menu, "Canvas as &SVG…").trigger()
    assert [os.path.basename(name) for name in suggested] == ["xor-canvas.svg"]
    root = ET.parse(out / "net.svg").getroot()
    assert root.tag == f"{SVG}svg"
    texts = ["".join(t.itertext()).strip() for t in root.iter(f"{SVG}text")]
    for label in labels.values():
        assert texts.count(label) == 1, (label, texts)
    rect = canvas_rect(window.scene)
    assert root.get("viewBox") == f"0 0 {math.ceil(rect.width())} {math.ceil(rect.height())}"
    assert not list(root.iter(f"{SVG}image"))  # shapes and text, not pictures of them
    assert len(window.scene.selectedItems()) == 2  # the selection is as it was


def test_canvas_as_png_is_twice_the_designs_size_and_drawn(xor_window, monkeypatch, out):
    window = xor_window
    save_to(monkeypatch, out / "net.png")
    menu_action(window.export_menu, "Canvas as &PNG…").trigger()
    image = QImage(str(out / "net.png"))
    rect = canvas_rect(window.scene)
    assert (image.width(), image.height()) == (round(rect.width() * 2), round(rect.height() * 2))
    background = style.theme().background
    assert image.pixel(0, 0) == background.rgb()  # the canvas's own colour, without the dots
    assert drawn_pixels(image, background) > 0.03 * image.width() * image.height()
    assert os.listdir(out) == ["net.png"]  # nothing else left behind


# ---------------------------------------------------------------------------- the plots
def test_loss_plot_saves_the_numbers_it_shows_and_a_picture(trained, monkeypatch, out):
    loss = trained.live.loss
    save_to(monkeypatch, out / "loss.csv")
    panel_action(loss, "Save data as CSV…").trigger()
    rows = read_csv(out / "loss.csv")
    assert rows[0] == ["epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy"]
    assert len(rows) == 1 + 6
    table = np.array([[float(v) for v in row] for row in rows[1:]])
    epochs, train = loss.train_curve.getData()
    assert list(table[:, 0]) == list(epochs) == [1, 2, 3, 4, 5, 6]
    assert list(table[:, 1]) == list(train)  # exactly the plotted values
    assert list(table[:, 2]) == list(loss.test_curve.getData()[1])
    assert list(table[:, 3]) == list(loss.metric_train_curve.getData()[1])
    assert list(table[:, 4]) == list(loss.metric_test_curve.getData()[1])

    save_to(monkeypatch, out / "loss.png")
    panel_action(loss, "Save as PNG…").trigger()
    image = QImage(str(out / "loss.png"))
    assert image.width() == 2 * loss.plots.width() and image.height() > 2 * loss.plots.height()
    assert drawn_pixels(image, loss.colours.background) > 0.02 * image.width() * image.height()


def test_boundary_saves_its_grid_and_a_picture(trained, monkeypatch, out):
    boundary, controller = trained.live.boundary, trained.live.controller
    snap = boundary.last
    save_to(monkeypatch, out / "grid.csv")
    panel_action(boundary, "Save data as CSV…").trigger()
    rows = read_csv(out / "grid.csv")
    assert rows[0] == ["x1", "x2", "output"]
    table = np.array([[float(v) for v in row] for row in rows[1:]])
    assert table.shape == (snap.plane.size ** 2, 3)
    assert np.array_equal(table[:, :2], snap.plane.points())
    assert np.array_equal(table[:, 2], np.asarray(snap.output_map, np.float64).ravel())
    assert snap is controller.last or snap.epoch == controller.last.epoch

    save_to(monkeypatch, out / "boundary.png")
    panel_action(boundary, "Save as PNG…").trigger()
    image = QImage(str(out / "boundary.png"))
    assert image.width() == 2 * boundary.plots.width()
    assert image.height() > 2 * boundary.plots.height()
    heat = drawn_pixels(image, boundary.colours.background)
    assert heat > 0.2 * image.width() * image.height()  # the heatmap fills much of it


def test_plot_entries_wait_for_something_to_save(xor_window):
    for panel in (xor_window.live.loss, xor_window.live.boundary):
        for text in ("Save as PNG…", "Save data as CSV…"):
            assert not panel_action(panel, text).isEnabled()


# ---------------------------------------------------------------------------- the history
def test_training_history_csv_is_the_designs_history(trained, monkeypatch, out):
    history = trained.document.design.state.history
    assert len(history) == 6
    save_to(monkeypatch, out / "history.csv")
    menu_action(trained.export_menu, "Training &History as CSV…").trigger()
    rows = read_csv(out / "history.csv")
    header = rows[0]
    assert header[:3] == ["epoch", "train_loss", "test_loss"] and set(header) == set(history[0])
    assert len(rows) == 1 + len(history)
    for epoch, row in zip(history, rows[1:], strict=True):
        for key, text in zip(header, row, strict=True):
            assert (text == "") if epoch[key] is None else float(text) == epoch[key], key


def test_history_of_an_untrained_design_is_explained_not_written(xor_window, monkeypatch, out):
    said = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text: said.append(text))
    save_to(monkeypatch, out / "history.csv")
    menu_action(xor_window.export_menu, "Training &History as CSV…").trigger()
    assert len(said) == 1 and "not been trained" in said[0]
    assert os.listdir(out) == []


# ---------------------------------------------------------------------------- failures
@pytest.fixture(params=["missing folder", "a file, not a folder", "a full disk"])
def unwritable(request, out, monkeypatch):
    if request.param == "missing folder":
        return out / "nowhere"
    if request.param == "a file, not a folder":
        (out / "plain").write_text("x")
        return out / "plain"
    folder = out / "full"  # the bytes are half written when the disk runs out (even for root)
    folder.mkdir()

    def no_space(_fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", no_space)
    return folder


@pytest.mark.parametrize("entry", ["Canvas as &PNG…", "Canvas as &SVG…"])
def test_an_unwritable_folder_shows_a_message_and_leaves_no_file(
        xor_window, monkeypatch, unwritable, out, entry):
    said = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: said.append(text))
    before = sorted(os.listdir(out))
    target = unwritable / "net.png"
    save_to(monkeypatch, target)
    menu_action(xor_window.export_menu, entry).trigger()
    assert len(said) == 1 and str(target) in said[0]
    assert sorted(os.listdir(out)) == before
    if unwritable.is_dir():
        assert os.listdir(unwritable) == []


def test_a_cancelled_save_writes_nothing(xor_window, monkeypatch, out):
    save_to(monkeypatch, "")
    menu_action(xor_window.export_menu, "Canvas as &PNG…").trigger()
    assert os.listdir(out) == []
