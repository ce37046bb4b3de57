"""The window as it meets a screen: the tests' screen, the first size and a remembered one, the
screenshot's --size; and every example laid out at 1280×800 and 1600×1000, light and dark, with
no control, text or plot of the toolbars and the docks cut short (checks in tests/gui/fitting.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QGuiApplication, QImage

from gui.app import make_app
from gui.widgets.theme import appearance, set_appearance
from gui.window import file_actions
from gui.window.geometry import first_geometry
from gui.window.main_window import MainWindow
from resources import EXAMPLES
from tests.gui import fitting

ROOT = Path(__file__).resolve().parents[2]


def test_the_tests_screen_holds_a_desktop_window(qtbot):
    make_app([])
    available = QGuiApplication.primaryScreen().availableGeometry()
    assert (available.width(), available.height()) >= (1600, 1000)


def test_a_1280x800_screen_is_filled_and_a_large_one_mostly(qtbot):
    rect, maximized = first_geometry(QRect(0, 0, 1280, 800))
    assert maximized and rect == QRect(0, 0, 1280, 800)
    panel_at_top = QRect(0, 32, 1366, 736)  # a laptop, less a desktop panel
    rect, maximized = first_geometry(panel_at_top)
    assert maximized and panel_at_top.contains(rect)
    big = QRect(0, 0, 2560, 1440)
    rect, maximized = first_geometry(big)
    assert not maximized and big.contains(rect) and rect.center() == big.center()
    assert 1440 <= rect.width() < 2560 and 900 <= rect.height() < 1440


def test_the_first_window_fits_the_screen(qtbot):
    make_app([])
    window = MainWindow(restore_settings=False)
    qtbot.addWidget(window, before_close_func=lambda w: w.live.shutdown())
    window.show()
    qtbot.waitExposed(window)
    available = window.screen().availableGeometry()
    assert available.contains(window.frameGeometry())
    assert window.width() >= 0.8 * available.width() and window.height() >= 0.8 * available.height()


def test_a_size_remembered_from_a_larger_screen_fits_this_one(qtbot):
    make_app([])
    first = MainWindow(restore_settings=True)
    qtbot.addWidget(first)
    first.show()
    qtbot.waitExposed(first)
    first.setGeometry(-300, -200, 2600, 1700)  # as on a larger screen, beyond this one's corner
    assert first.close()
    second = MainWindow(restore_settings=True)
    qtbot.addWidget(second, before_close_func=lambda w: w.live.shutdown())
    second.show()
    qtbot.waitExposed(second)
    assert second.screen().availableGeometry().contains(second.geometry())


def test_the_screenshot_takes_the_size_asked_for(tmp_path):
    out = tmp_path / "shot.png"
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "--screenshot", str(out),
                           "--size", "1280x800", str(EXAMPLES / "xor.ncanvas")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1280, 800)
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "--screenshot", str(out),
                           "--size", "big"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "'big' is not a window size such as 1280x800" in proc.stderr


# ---------------------------------------------------------------------------- every example laid out
NAMES = sorted(path.stem for path in EXAMPLES.glob("*.ncanvas"))
SIZES = [(1280, 800), (1600, 1000)]


@pytest.fixture(params=["light", "dark"])
def look(request, qtbot):
    make_app([])
    before = appearance()
    set_appearance(request.param)
    yield request.param
    set_appearance(before)


def opened_at(window, qtbot, monkeypatch, name: str, size: tuple[int, int]):
    """The example opened as File → Open Example opens it, in a window of `size`, after two epochs
    of training (the plots' titles then carry numbers)."""
    window.showNormal()
    window.resize(*size)
    monkeypatch.setattr(file_actions, "choose_example", lambda parent: str(EXAMPLES / f"{name}.ncanvas"))
    window.act_example.trigger()
    assert window.document.design.nodes, name
    window.document.set_training(epochs=2)
    controller = window.live.controller
    if controller.play():
        qtbot.waitUntil(lambda: not controller.running, timeout=60000)
    qtbot.wait(200)  # the docks make room for what the last epoch's numbers need
    assert (window.width(), window.height()) == size


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", NAMES)
def test_every_example_lays_out_with_nothing_cut_short(window, qtbot, monkeypatch, look, name, size):
    opened_at(window, qtbot, monkeypatch, name, size)
    found = fitting.problems(window)
    for dock in (window.live.confusion_dock, window.live.inside_dock, window.problems_dock):
        if dock.isHidden() or dock.visibleRegion().isEmpty():  # a tab behind another: raised
            dock.raise_()
            qtbot.wait(20)
            found += [p for p in fitting.problems(window) if p not in found]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("text", ["epoch 1,000", "viewing epoch 1,000"])
def test_the_loss_panel_says_its_epoch_whole_at_1280x800(window, qtbot, monkeypatch, text):
    """The epoch the Loss panel shows (or the past one viewed) was cut to "epoch …" beside the
    key and the log-scale box: a tooltip held it, but a glance at the panel told nothing."""
    opened_at(window, qtbot, monkeypatch, "spiral", (1280, 800))
    summary = window.live.loss.summary
    summary.setText(text)
    assert summary.text() == text
