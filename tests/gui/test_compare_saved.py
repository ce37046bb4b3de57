"""A comparison is kept with the design: open the spiral, compare 2 rates × 2 seeds, save from the
File menu, open the file in a new window, and the Compare dock shows the same curves, table and
boundaries; a variant picked from the reopened comparison becomes the design (one undo step,
undone exactly); a file whose comparison is hostile is refused and the open design stays."""

from __future__ import annotations

import base64
import json
import math

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from core.design import comparison
from core.design.comparison import Comparison
from core.files.fileformat import load_design
from core.training.ensemble import VariantTrainer
from core.training.grid import parse_grid
from gui.panels.compare.grid import variants_of
from gui.window import file_actions
from resources import EXAMPLES

EPOCHS = 3


def _wait_done(qtbot, panel, timeout=60000):
    qtbot.waitUntil(lambda: panel.run is not None and not panel.run.running, timeout=timeout)


def _table(panel) -> list[list[str]]:
    model = panel.table_model
    return [[model.data(model.index(r, c)) for c in range(1, model.columnCount())]
            for r in range(model.rowCount())]


def _curves(panel) -> list[tuple[list[float], list[float]]]:
    return [(list(train.getData()[1]), list(test.getData()[1])) for train, test in
            panel.curves.curves]


def test_a_comparison_is_saved_with_the_design_and_reopens_with_its_curves(
        spiral_window, qtbot, tmp_path, monkeypatch):
    window = spiral_window
    document, launcher = window.document, window.live.compare
    window.live.bar.act_compare.trigger()
    dialog = launcher.dialog
    dialog.rates.setText("0.01, 0.03")
    dialog.seeds.setValue(2)
    dialog.epochs.setValue(EPOCHS)
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)
    panel = launcher.panel
    _wait_done(qtbot, panel)
    # the results are kept with the design as a run's are: one undo step, the design unsaved
    kept = document.design.comparison
    assert isinstance(kept, Comparison) and len(kept.variants) == 4 and kept.pickable
    assert document.dirty and document.undo_stack.count() == 1
    assert [v.epoch for v in kept.variants] == [EPOCHS] * 4
    assert [len(v.history) for v in kept.variants] == [EPOCHS] * 4
    assert [v.state for v in kept.variants] == ["finished"] * 4
    table, curves = _table(panel), _curves(panel)
    assert len(table) == 4 and all(len(train) == EPOCHS for train, _ in curves)

    path = tmp_path / "spiral_compared.ncanvas"
    monkeypatch.setattr(file_actions, "save_file_name", lambda parent, current: str(path))
    window.act_save_as.trigger()  # not Save: that would write over the example
    assert not document.dirty and document.path == str(path)
    saved = json.loads(path.read_text())
    assert saved["version"] == 3 and len(saved["comparison"]["variants"]) == 4

    from gui.window.main_window import MainWindow
    reopened = MainWindow(restore_settings=False)
    qtbot.addWidget(reopened, before_close_func=lambda w: (w.live.shutdown(),
                                                           w.document.undo_stack.setClean()))
    assert reopened.open_path(str(path))
    assert reopened.document.design == document.design  # the comparison included
    dock, again = reopened.live.compare.dock, reopened.live.compare.panel
    assert not dock.isHidden()
    assert again.run is None and again.kept == kept
    assert _table(again) == table
    assert _curves(again) == curves
    assert sorted(again.tiles.images) == [0, 1, 2, 3]  # a boundary for each variant, kept weights
    for index, variant in enumerate(kept.variants):  # each drawn from the variant's own weights
        alone = panel.tiles.maps[index]
        assert np.allclose(again.tiles.maps[index], alone, atol=1e-5), variant.labels
    assert "not kept" not in again.summary.text() and "4 variants" in again.summary.text()
    assert again.pick_button.isEnabled() and not again.play_button.isEnabled()

    # pick the best by test loss, as a person: select its row, Use as Design
    original = reopened.document.design.copy()
    best = again.table_model.record_at(0)
    losses = [again.table_model.record_at(r).last("test_loss") for r in range(4)]
    assert losses == sorted(losses) and all(math.isfinite(v) for v in losses)
    again.table.selectRow(0)
    qtbot.mouseClick(again.pick_button, Qt.MouseButton.LeftButton)
    design = reopened.document.design
    assert reopened.document.undo_stack.count() == 1
    assert design.training.learning_rate == best.changes["learning_rate"]
    assert design.training.seed == best.changes["seed"]
    alone = VariantTrainer(original, [best.changes])
    for _ in alone.run(EPOCHS):
        pass
    expected = alone.variant_design(0)
    assert design.snapshot_weights()["connections"] == expected.snapshot_weights()["connections"]
    assert design.state.epoch == EPOCHS
    assert [h["test_loss"] for h in design.state.history] == [h["test_loss"] for h in best.history]
    reopened.document.undo_stack.undo()
    assert reopened.document.design == original
    assert all(w is None for w in reopened.document.design.snapshot_weights()["connections"].values())


def test_weights_over_the_budget_are_left_out_and_picking_says_to_train_again(
        spiral_window, qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(comparison, "WEIGHTS_BUDGET", 226 * 4)  # one spiral variant's, not two
    window = spiral_window
    launcher = window.live.compare
    variants = variants_of(parse_grid(["seed=0..1"], window.document.design))
    assert launcher.compare(variants, 2)
    panel = launcher.panel
    _wait_done(qtbot, panel)
    document = window.document
    assert len(document.design.comparison.variants) == 2 and not document.design.comparison.pickable
    path = tmp_path / "curves_only.ncanvas"
    document.save(str(path))
    table = _table(panel)
    assert window.open_path(str(path))
    assert panel.run is None and panel.kept is not None and not panel.kept.pickable
    assert _table(panel) == table and not panel.tiles.images
    assert "picking a variant needs training again" in panel.summary.text()
    count = document.undo_stack.count()
    assert not panel.pick(0)
    assert "train it again" in panel.summary.text() and document.undo_stack.count() == count


def test_a_file_with_a_hostile_comparison_is_refused_and_the_open_design_stays(
        spiral_window, qtbot, tmp_path, monkeypatch):
    window = spiral_window
    launcher = window.live.compare
    variants = variants_of(parse_grid(["seed=0..1"], window.document.design))
    assert launcher.compare(variants, 2)
    _wait_done(qtbot, launcher.panel)
    path = tmp_path / "good.ncanvas"
    window.document.save(str(path))
    data = json.loads(path.read_text())
    weights = data["comparison"]["variants"][1]["weights"]
    values = np.frombuffer(base64.b64decode(weights["data"]), "<f4")[:-1]  # one weight short
    weights.update(shape=[values.size], data=base64.b64encode(values.tobytes()).decode())
    bad = tmp_path / "bad.ncanvas"
    bad.write_text(json.dumps(data))
    shown = []
    monkeypatch.setattr(QMessageBox, "critical",
                        staticmethod(lambda parent, title, text, *a: shown.append(text)))
    monkeypatch.setattr(QMessageBox, "warning",
                        staticmethod(lambda parent, title, text, *a: shown.append(text)))
    before = window.document.design.copy()
    assert not window.open_path(str(bad))
    assert shown and "$.comparison.variants[1].weights.shape" in shown[0]
    assert "225 weights, but the variant's model has 226" in shown[0]
    assert window.document.design == before and launcher.panel.run is not None


def test_saving_while_a_comparison_trains_keeps_where_it_stands_and_it_goes_on(
        spiral_window, qtbot, tmp_path):
    window = spiral_window
    launcher, document = window.live.compare, window.document
    variants = variants_of(parse_grid(["seed=0..1"], window.document.design))
    assert launcher.compare(variants, 10_000)
    panel = launcher.panel
    qtbot.waitUntil(lambda: all(r.epoch >= 2 for r in panel.records), timeout=60000)
    path = tmp_path / "while_training.ncanvas"
    document.save(str(path))
    assert panel.run.running and panel.run.state == "running"  # it goes on
    kept = document.design.comparison
    assert kept is not None and all(v.epoch >= 2 and v.history for v in kept.variants)
    again = load_design(path)
    assert again.comparison == kept
    qtbot.waitUntil(lambda: all(r.epoch > max(v.epoch for v in kept.variants)
                                for r in panel.records), timeout=60000)
    panel.run.pause()
    _wait_done(qtbot, panel)


def test_closing_called_off_leaves_a_paused_comparison_that_trains_and_picks(
        spiral_window, qtbot, monkeypatch):
    """Closing pauses a running comparison (its results kept: a change to save); Cancel leaves
    the window open with the comparison there, and Play and Use as Design still work."""
    window = spiral_window
    launcher = window.live.compare
    assert launcher.compare(variants_of(parse_grid(["seed=0..1"], window.document.design)),
                            10_000)
    panel = launcher.panel
    qtbot.waitUntil(lambda: all(r.epoch >= 2 for r in panel.records), timeout=60000)
    monkeypatch.setattr(file_actions, "ask_to_save",
                        lambda *_args: QMessageBox.StandardButton.Cancel)
    assert not window.close()
    assert window.isVisible() and not panel.run.running and window.document.dirty
    assert window.document.design.comparison is not None
    epochs = [r.epoch for r in panel.records]
    qtbot.mouseClick(panel.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: all(r.epoch > max(epochs) for r in panel.records), timeout=60000)
    assert panel.pick(1)
    assert window.document.design.training.seed == 1


def test_a_keep_taken_back_with_undo_stays_out_of_the_saved_file(spiral_window, qtbot, tmp_path):
    window = spiral_window
    document, launcher = window.document, window.live.compare
    assert launcher.compare(variants_of(parse_grid(["seed=0..1"], document.design)), 2)
    panel = launcher.panel
    _wait_done(qtbot, panel)
    assert document.design.comparison is not None
    assert document.undo_stack.undoText() == "Keep the comparison's results"
    document.undo_stack.undo()
    assert document.design.comparison is None
    path = tmp_path / "undone.ncanvas"
    document.save(str(path))
    assert load_design(path).comparison is None
    assert document.undo_stack.canRedo()  # saving pushed nothing over the undone step


def test_variants_kept_while_they_trained_reopen_paused(window, tmp_path):
    """Nothing of a reopened comparison trains: variants kept mid-run show as paused."""
    from core.design.comparison import weights_base
    from core.files.fileformat import save_design
    from core.training.compared import comparison_of_results

    design = load_design(EXAMPLES / "spiral.ncanvas")
    trainer = VariantTrainer(design, [{"seed": 0}, {"seed": 1}])
    for _progress in trainer.run(2):  # 2 of the design's 400 epochs: still "training"
        pass
    design.comparison = comparison_of_results(trainer.results(), 2, base=weights_base(design))
    assert {v.state for v in design.comparison.variants} == {"training"}
    path = tmp_path / "kept_mid_run.ncanvas"
    save_design(design, path)
    assert window.open_path(str(path))
    panel = window.live.compare.panel
    assert [r.state for r in panel.records] == ["paused", "paused"]
    assert "2 paused" in panel.summary.text() and "training" not in panel.summary.text()
