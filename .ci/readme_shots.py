"""Retake the README's pictures (resources/*.png) from the code as it is: `make screenshots`.

Each is taken from a 1280×800 main window in the light look, on Qt's offscreen platform with the
tests' 1920×1200 screen (tests/offscreen_screens.json), after real training through the window's
controller: the spiral to 400 epochs (the whole window; then the timeline scrubbed back to epoch
20), the Inside dock after a few epochs of digits_cnn, sine_lstm and digits_autoencoder, and the
Learn menu's views opened from the menu (the Perceptron Walkthrough and the Activation Explorer
as their own windows, the Loss Landscape's window after 300 One Steps of XOR, recomputed where
they ended, Backpropagation Step by Step as the canvas and its dock). Every seed is fixed (the
examples carry theirs; the landscape's path is made of One Steps, not of a timed run), so a rerun
gives the same pictures (the canvas's anti-aliased wires may differ in a few pixels, not to the eye).

Settings, logs and recovery files go to a temporary folder, never the user's. Not part of the
wheel (nor of `make test`): `python .ci/readme_shots.py [OUT_DIR]` (default: resources/).
"""

from __future__ import annotations

import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCREENS = ROOT / "tests" / "offscreen_screens.json"
SIZE = (1280, 800)

if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":  # the tests' screen, as conftest
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={SCREENS}"
_HOME = tempfile.mkdtemp(prefix="neuralcanvas-shots-")
for _name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
    os.environ[_name] = str(Path(_HOME) / _name.lower())  # settings, recovery files, the log
os.environ["PYTHONHASHSEED"] = "0"  # the training process too
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from PySide6.QtCore import QRect, QRectF, Qt, qInstallMessageHandler  # noqa: E402
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QWidget  # noqa: E402

from gui.app import make_app  # noqa: E402
from gui.widgets.theme import set_appearance  # noqa: E402
from resources import EXAMPLES  # noqa: E402

PNG_QUALITY = 0  # Qt's PNG writer: 0 is zlib's strongest compression (lossless all the same)


def quiet_offscreen(_kind, _context, message: str) -> None:
    """Qt's messages, less the offscreen platform's own ("This plugin does not support raise()")."""
    if not message.startswith("This plugin does not support"):
        print(message, file=sys.stderr)


def settle(seconds: float = 0.3) -> None:
    """Let the window handle what is queued (layouts, timers, the training process's messages)."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        QApplication.processEvents()
        time.sleep(0.01)


def wait_until(condition, what: str, timeout: float = 600.0) -> None:
    end = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > end:
            raise TimeoutError(f"waited {timeout:.0f} s for {what}")
        QApplication.processEvents()
        time.sleep(0.02)


def save(widget: QWidget, out: Path, name: str, rect: QRect | None = None) -> None:
    settle(0.5)
    picture = widget.grab(rect) if rect is not None else widget.grab()
    path = out / name
    if not picture.save(str(path), "PNG", PNG_QUALITY):
        raise OSError(f"cannot write {path}")
    print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: "
          f"{picture.width()}×{picture.height()}, {path.stat().st_size / 1024:.0f} KiB", flush=True)


def learn_action(window, text: str):
    (action,) = [a for a in window.learn_menu.actions() if a.text().replace("&", "") == text]
    return action


class Shots:
    def __init__(self, out: Path) -> None:
        from gui.window.main_window import MainWindow

        self.out = out
        self.window = window = MainWindow(restore_settings=False)
        window.setWindowState(Qt.WindowState.WindowNoState)  # the size asked for, not maximized
        window.resize(*SIZE)
        window.show()
        settle()
        assert (window.width(), window.height()) == SIZE, (window.width(), window.height())

    # ------------------------------------------------------------------ helpers
    def open_example(self, name: str) -> None:
        """As File → Open Example opens it; unsaved work of the last shot is dropped first."""
        self.window.document.undo_stack.setClean()
        if not self.window.open_example_path(str(EXAMPLES / f"{name}.ncanvas")):
            raise RuntimeError(f"the example {name} did not open")
        settle()

    def train(self, epochs: int) -> None:
        """Play, through the window's controller, until `epochs` epochs are done."""
        window = self.window
        window.document.set_training(epochs=epochs, target_accuracy=None)
        controller = window.live.controller
        window.live.bar.act_play.trigger()
        wait_until(lambda: not controller.running, f"{epochs} epochs")
        assert controller.trainer.epoch == epochs, controller.trainer.epoch
        settle(1.0)  # the views' last frame after the run

    def fit(self, whole: bool = False) -> None:
        """View → Fit; with `whole`, then Zoom Out (as a person would) until every node shows:
        Fit stops at the zoom where the smallest text still reads, past the spiral's 8 rows."""
        window = self.window
        window.view.fit_to_view()
        settle()
        if whole:
            nodes = QRectF()
            for item in window.scene.node_items():
                nodes = nodes.united(item.sceneBoundingRect())
            nodes.adjust(-20, -20, 20, 20)
            for _ in range(10):
                shown = window.view.mapToScene(window.view.viewport().rect()).boundingRect()
                if shown.contains(nodes):
                    break
                window.act_zoom_out.trigger()
                window.view.centerOn(nodes.center())
                settle(0.1)
        settle()
        window.grab()  # a first frame asks for the picture of a big design's wires …
        window.scene.wire_layer.finish()  # … drawn in full (at the last zoom) before the shot

    # ------------------------------------------------------------------ the pictures
    def spiral_and_timeline(self) -> None:
        window = self.window
        self.open_example("spiral")
        self.train(400)
        window.live.boundary_dock.raise_()
        self.fit(whole=True)
        save(window, self.out, "screenshot.png")
        bar = window.timeline_bar
        bar.slider.setValue(20)  # as the handle dragged back: the views follow
        wait_until(lambda: window.live.controller.viewing is not None
                   and window.live.controller.viewing.epoch == 20, "epoch 20 shown")
        settle(1.0)
        self.fit(whole=True)
        save(window, self.out, "learn_timeline.png")
        bar.back.click()
        settle()

    def inside(self, example: str, epochs: int, name: str) -> None:
        window = self.window
        self.open_example(example)
        self.train(epochs)
        dock = window.live.inside_dock
        dock.raise_()
        wait_until(lambda: window.live.inside.up_to_date, f"the Inside view of {example}")
        settle(1.0)
        save(dock, self.out, name)

    def perceptron(self) -> None:
        learn_action(self.window, "Perceptron Walkthrough…").trigger()
        dialog = self.window.perceptron_walkthrough
        page = dialog.training_page
        dialog.tabs.setCurrentWidget(page)
        for _ in range(32):  # the rule at work, the seed-0 start, one row after another
            page.present_button.click()
        settle()
        save(dialog, self.out, "learn_perceptron.png")
        dialog.close()

    def activations(self) -> None:
        from gui.learn.activations.view import ActivationExplorer

        learn_action(self.window, "Activation Explorer…").trigger()
        explorer = self.window.findChild(ActivationExplorer)
        explorer.curves.choose("elu")
        explorer.curves.sliders["alpha"].spin.setValue(1.5)
        save(explorer, self.out, "learn_activations.png")
        explorer.close()

    def landscape(self, steps: int = 300) -> None:
        window = self.window
        self.open_example("xor")
        learn_action(window, "Loss Landscape").trigger()
        panel, dock = window.landscape_panel, window.landscape_dock
        wait_until(lambda: panel.surface is not None and not panel.runner.busy, "the landscape")
        for _ in range(steps):  # training's path, one step (one mini-batch) at a time
            window.live.bar.act_step.trigger()
            QApplication.processEvents()
        settle(0.5)
        panel.controls.recompute.click()  # the slice through the other weights as trained
        wait_until(lambda: not panel.runner.busy and "moved since" not in panel.status.text(),
                   "the landscape around the trained weights")
        save(dock, self.out, "learn_landscape.png")
        dock.hide()
        settle()

    def backprop(self) -> None:
        from gui.learn.backprop.view import BackpropView

        window = self.window
        self.open_example("xor")
        learn_action(window, "Backpropagation Step by Step").trigger()
        view = window.findChild(BackpropView, "backprop_view")
        settle()
        for _ in range(3):  # forward, loss, backward: the update of the selected wire
            view.next_button.click()
        assert view.phase == 4, view.phase
        self.fit()
        dock = view.dock
        left = window.view.mapTo(window, window.view.rect().topLeft())
        right = dock.mapTo(window, dock.rect().bottomRight())
        save(window, self.out, "learn_backprop.png", QRect(left, right))
        dock.close()
        settle()

    def compare(self) -> None:
        """Training → Compare… on the spiral: 4 learning rates × 2 seeds, 40 epochs, finished."""
        window = self.window
        self.open_example("spiral")
        window.live.bar.act_compare.trigger()
        dialog = window.live.compare.dialog
        dialog.rates.setText("0.001, 0.003, 0.01, 0.03")
        dialog.seeds.setValue(2)
        dialog.epochs.setValue(40)
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
        panel = window.live.compare.panel
        wait_until(lambda: panel.run is not None and not panel.run.running, "the comparison")
        settle(1.0)
        self.fit()
        window.statusBar().clearMessage()  # (it names the example's path on this machine)
        save(window, self.out, "compare.png")


def main(argv: list[str]) -> int:
    out = Path(argv[1]).resolve() if len(argv) > 1 else ROOT / "resources"
    out.mkdir(parents=True, exist_ok=True)
    random.seed(0)
    np.random.seed(0)
    qInstallMessageHandler(quiet_offscreen)
    app = make_app([])
    set_appearance("light")
    shots = Shots(out)
    try:
        shots.spiral_and_timeline()
        shots.inside("digits_cnn", 3, "inside_cnn.png")
        shots.inside("sine_lstm", 5, "inside_lstm.png")
        shots.inside("digits_autoencoder", 10, "inside_autoencoder.png")
        shots.perceptron()
        shots.activations()
        shots.landscape()
        shots.backprop()
        shots.compare()
    finally:
        shots.window.live.shutdown()
        shots.window.document.undo_stack.setClean()  # nothing to ask on the way out
        shots.window.close()
        app.processEvents()
        shutil.rmtree(_HOME, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
