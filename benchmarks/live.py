"""Live training's cost: the spiral example trains in the window with every panel visible.

    python benchmarks/live.py [--seconds 8] [--compare 16]

Reports, headless (QT_QPA_PLATFORM=offscreen): frames drawn per second (paint events of the
boundary plot, one per training snapshot; the canvas takes new weights 4 times a second), the
event loop's 95th-percentile latency (how late a 10 ms timer fires while training runs), and
training steps per second inside the window against `main.py train` on the same design.
With --compare N the window's Compare view trains N variants of the spiral example instead (4
learning rates × N/4 seeds): frames drawn per second there (the frames the view was sent and drew;
the paint events of its loss curves and of its boundary tiles), the same event-loop latency, and
variant-epochs per second in the window against the same comparison headless (VariantTrainer).
Nothing here is a test: the figures go into the README with the machine they ran on.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QElapsedTimer, QEvent, QObject, QTimer  # noqa: E402
from PySide6.QtWidgets import QWidget  # noqa: E402

from core.engine import backend  # noqa: E402
from core.files.fileformat import load_design, save_design  # noqa: E402
from core.training.trainer import Trainer  # noqa: E402

SPIRAL = ROOT / "resources" / "examples" / "spiral.ncanvas"


class PaintCounter(QObject):
    """Counts the paint events of the widgets it watches."""

    def __init__(self, widgets: list[QWidget]) -> None:
        super().__init__()
        self.counts = {id(w): 0 for w in widgets}
        for widget in widgets:
            widget.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's override
        if event.type() == QEvent.Type.Paint and id(watched) in self.counts:
            self.counts[id(watched)] += 1
        return False


class LoopLatency:
    """How late a 10 ms timer fires while the event loop is busy: `percentile(q)` in ms."""

    def __init__(self) -> None:
        self.lateness: list[float] = []
        self.clock = QElapsedTimer()
        self.tick = QTimer(interval=10)
        self.tick.timeout.connect(self._beat)
        self._last = 0.0

    def _beat(self) -> None:
        now = self.clock.nsecsElapsed() / 1e9
        if self._last:
            self.lateness.append(max(0.0, now - self._last - 0.010))
        self._last = now

    def start(self) -> None:
        self.clock.start()
        self.tick.start()

    def stop(self) -> None:
        self.tick.stop()

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.lateness, q)) * 1000 if self.lateness else float("nan")


def headless_rate(seconds: float) -> float:
    """Steps per second of the command line (`main.py train --json`) on the same design, for
    about as long as the window trained."""
    design = load_design(SPIRAL)
    steps_per_epoch = -(-len(Trainer(design).train_idx) // design.training.batch_size)
    epochs = max(50, int(seconds * 5000 / steps_per_epoch))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "spiral.ncanvas"
        design.set_training(target_accuracy=None, target_loss=None)
        save_design(design, path)
        out = subprocess.run([sys.executable, str(ROOT / "main.py"), "train", str(path),
                              "--epochs", str(epochs), "--json", "--quiet"],
                             capture_output=True, text=True, check=True)
    return float(json.loads(out.stdout.strip().splitlines()[-1])["steps_per_second"])


def plot_viewports(live) -> list:
    """The live panels' plot areas (what a frame redraws): the boundary's and the loss's."""
    from pyqtgraph import GraphicsView

    return [view.viewport() for dock in (live.boundary_dock, live.loss_dock)
            for view in dock.findChildren(GraphicsView)]


def window_rates(seconds: float) -> dict[str, float]:
    from gui.app import make_app
    from gui.window.main_window import MainWindow

    app = make_app([])
    window = MainWindow(restore_settings=False)
    window.resize(1600, 1000)
    window.show()
    window.open_path(str(SPIRAL))
    window.document.set_training(epochs=10**6, target_accuracy=None, target_loss=None)
    for dock in window.live.docks:
        dock.show()
    app.processEvents()
    watched = plot_viewports(window.live) + [window.view.viewport()]
    counter = PaintCounter(watched)
    controller = window.live.controller

    beats = LoopLatency()
    controller.play()
    while controller.last is None or controller.last.step == 0:  # the training process starts
        app.processEvents()
        time.sleep(0.005)
    first_step = controller.last.step
    beats.start()
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        app.processEvents()
        time.sleep(0.001)
    elapsed = time.perf_counter() - start
    beats.stop()
    steps = controller.last.step - first_step
    plots = plot_viewports(window.live)
    frames = {id(w): counter.counts[id(w)] / elapsed for w in watched}
    boundary = frames[id(plots[0])] if plots else float("nan")
    canvas = frames[id(window.view.viewport())]
    window.live.shutdown()
    window.document.undo_stack.setClean()
    window.close()
    return {
        "steps_per_second": steps / elapsed,
        "frames_per_second": boundary,  # the boundary plot: a frame is one training snapshot drawn
        "canvas_per_second": canvas,
        "latency_p95_ms": beats.percentile(95),
    }


def compare_variants(count: int) -> list:
    """4 learning rates × count/4 seeds (at least one), as the Compare dialog's grid makes them."""
    from core.training.grid import parse_grid
    from gui.panels.compare.grid import variants_of

    seeds = max(1, count // 4)
    return variants_of(parse_grid(["learning_rate=0.001,0.003,0.01,0.03", f"seed=0..{seeds - 1}"],
                                  load_design(SPIRAL)))


def headless_compare_rate(count: int, seconds: float) -> float:
    """Variant-epochs per second of the same comparison on VariantTrainer, in this process."""
    from core.training.ensemble import VariantTrainer

    trainer = VariantTrainer(load_design(SPIRAL), [v.changes for v in compare_variants(count)])
    epochs, start = 0, time.perf_counter()
    for progress in trainer.run(10**6):
        epochs += len(progress.reports)
        if time.perf_counter() - start >= seconds:
            break
    return epochs / (time.perf_counter() - start)


def compare_rates(count: int, seconds: float) -> dict[str, float]:
    """The Compare view trains `count` variants of the spiral in the window (every live panel
    visible too): how often it draws, how late a 10 ms timer fires, how fast the variants train."""
    from gui.app import make_app
    from gui.window.main_window import MainWindow

    app = make_app([])
    window = MainWindow(restore_settings=False)
    window.resize(1600, 1000)
    window.show()
    window.open_path(str(SPIRAL))
    for dock in window.live.docks:
        dock.show()
    app.processEvents()
    launcher = window.live.compare
    panel = launcher.panel
    variants = compare_variants(count)
    assert launcher.compare(variants, 10**6)
    counter = PaintCounter([panel.curves.viewport(), panel.tiles])
    frames = [0]
    panel.run.frame.connect(lambda _frame: frames.__setitem__(0, frames[0] + 1))

    beats = LoopLatency()
    while not frames[0]:  # the comparison starts (a process, a compile)
        app.processEvents()
        time.sleep(0.005)
    epochs_before = sum(r.epoch for r in panel.records)
    frames[0] = 0
    counter.counts = dict.fromkeys(counter.counts, 0)
    beats.start()
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        app.processEvents()
        time.sleep(0.001)
    elapsed = time.perf_counter() - start
    beats.stop()
    epochs = sum(r.epoch for r in panel.records) - epochs_before
    curves, tiles = (counter.counts[id(w)] / elapsed for w in (panel.curves.viewport(), panel.tiles))
    window.live.shutdown()
    window.document.undo_stack.setClean()
    window.close()
    return {
        "frames_per_second": frames[0] / elapsed,
        "curves_per_second": curves,
        "tiles_per_second": tiles,
        "variant_epochs_per_second": epochs / elapsed,
        "latency_p95_ms": beats.percentile(95),
        "latency_median_ms": beats.percentile(50),
    }


def main_compare(count: int, seconds: float) -> None:
    alone = headless_compare_rate(count, seconds)
    inside = compare_rates(count, seconds)
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()},"
          f" Qt offscreen; {backend.description()}; load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f};"
          f" spiral example, {count} variants in the Compare view, every panel visible")
    print("| measure | result | target |")
    print("|---|---:|---|")
    print(f"| frames the Compare view was sent and drew, per second | "
          f"{inside['frames_per_second']:.0f} | ≥ 30 |")
    print(f"| paint events per second: loss curves, boundary tiles | "
          f"{inside['curves_per_second']:.0f}, {inside['tiles_per_second']:.0f} | — |")
    print(f"| event loop latency, median / 95th percentile | {inside['latency_median_ms']:.1f} / "
          f"{inside['latency_p95_ms']:.1f} ms | p95 < 50 ms |")
    print(f"| variant-epochs/s in the window ÷ headless | "
          f"{inside['variant_epochs_per_second']:,.0f} ÷ {alone:,.0f} = "
          f"**{inside['variant_epochs_per_second'] / alone:.0%}** | — |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--compare", type=int, default=0, metavar="N",
                        help="train N variants in the Compare view instead of the main run")
    args = parser.parse_args()
    if args.compare:
        main_compare(args.compare, args.seconds)
        return
    alone = headless_rate(args.seconds)
    inside = window_rates(args.seconds)
    ratio = inside["steps_per_second"] / alone
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()},"
          f" Qt offscreen; {backend.description()}; spiral example, every panel visible")
    print("| measure | result | target |")
    print("|---|---:|---|")
    print(f"| frames drawn per second (the boundary plot, one per snapshot) | "
          f"{inside['frames_per_second']:.0f} | ≥ 30 |")
    print(f"| the canvas redrawn with the new weights, per second (4 by design) | "
          f"{inside['canvas_per_second']:.0f} | — |")
    print(f"| event loop latency, 95th percentile | {inside['latency_p95_ms']:.1f} ms | < 50 ms |")
    print(f"| training steps/s in the window ÷ headless | {inside['steps_per_second']:,.0f} ÷ "
          f"{alone:,.0f} = **{ratio:.0%}** | ≥ 70 % |")


if __name__ == "__main__":
    main()
