"""The Compare view: the dialog's grid (its count and its refusals), then the journey of the
issue: open the spiral, compare 4 learning rates × 2 seeds, train, the table sorted by test
loss, the best picked into the design (settings and weights, one undo step) and undone; a
diverging rate marked while the others finish; Pause and Play for all; the comparison as CSV."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialogButtonBox, QFileDialog

from core.files.fileformat import load_design
from core.training.ensemble import VariantTrainer
from core.training.grid import parse_grid
from gui.panels.compare.grid import MAX_VARIANTS, CompareDialog, variants_of
from resources import EXAMPLES

RATES = "0.001, 0.003, 0.01, 0.03"
EPOCHS = 3


def _dialog(qtbot, design, selected=()) -> CompareDialog:
    dialog = CompareDialog(design, selected)
    qtbot.addWidget(dialog)
    return dialog


def _ok(dialog: CompareDialog):
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)


# ---------------------------------------------------------------------------- the dialog
def test_the_dialog_counts_the_grid_and_builds_every_combination(qtbot):
    design = load_design(EXAMPLES / "spiral.ncanvas")
    dialog = _dialog(qtbot, design, ["n8", "n9"])
    assert dialog.count_and_problem() == (1, "")  # the design as it is: one variant
    dialog.rates.setText(RATES)
    dialog.seeds.setValue(2)
    assert dialog.count_and_problem() == (8, "")
    assert "8</b> variants" in dialog.count.text() and _ok(dialog).isEnabled()
    dialog.optimizers[1]["sgd"].setChecked(True)  # Adam (the design's) and SGD
    dialog.activations[1]["relu"].setChecked(True)  # tanh (the neurons') and ReLU
    assert dialog.count_and_problem() == (32, "")
    variants = dialog.variants()
    assert len(variants) == 32
    assert len({tuple(sorted(map(str, v.changes.items()))) for v in variants}) == 32
    last = variants[-1]  # each axis's last value (the optimizers in the registry's order)
    assert last.labels == {"learning_rate": 0.03, "seed": 1, "optimizer": "adam",
                           "activation": "relu"}
    assert last.changes == {"learning_rate": 0.03, "seed": 1, "optimizer": "adam",
                            "optimizer_params": {}, "nodes": {"n8": {"activation": "relu"},
                                                              "n9": {"activation": "relu"}}}
    dialog.rate_range.setChecked(True)
    dialog.rate_from.setText("0.001")
    dialog.rate_to.setText("0.1")
    dialog.rate_count.setValue(5)
    rates = sorted({v.labels["learning_rate"] for v in dialog.variants()})
    assert rates == [0.001, 0.00316, 0.01, 0.0316, 0.1]


def test_the_dialog_refuses_too_many_variants_and_values_it_cannot_take(qtbot):
    design = load_design(EXAMPLES / "spiral.ncanvas")
    dialog = _dialog(qtbot, design)
    dialog.rate_range.setChecked(True)
    dialog.rate_count.setValue(100)
    dialog.seeds.setValue(3)
    count, problem = dialog.count_and_problem()
    assert count == 300 and f"more than {MAX_VARIANTS}" in problem
    assert "refused" in dialog.count.text() and not _ok(dialog).isEnabled()
    dialog.seeds.setValue(2)
    assert dialog.count_and_problem() == (200, "") and _ok(dialog).isEnabled()
    dialog.rate_list.setChecked(True)
    dialog.rates.setText("0.01, fast")
    assert dialog.count_and_problem() == (0, "learning rate: 'fast' is not a number")
    assert not _ok(dialog).isEnabled()
    dialog.rates.setText("0.01")
    dialog.batches.setText("10, 0")
    assert "batch size: 0 is out of range" in dialog.count_and_problem()[1]
    dialog.batches.setText("10, 10")
    assert dialog.count_and_problem()[1] == "batch size: it repeats 10"


def test_a_dense_blocks_units_and_activation_vary_together_and_the_command_line_says_so(qtbot):
    from tests.core.example_designs import gaussian_dense_design

    design = gaussian_dense_design()
    dialog = _dialog(qtbot, design, ["hidden"])
    dialog.units.setText("4, 8")
    assert design.nodes["hidden"].params["activation"] == "relu"
    dialog.activations[1]["tanh"].setChecked(True)
    dialog.activations[1]["relu"].setChecked(False)
    cells = dialog.variants()
    assert [c.changes for c in cells] == [
        {"learning_rate": design.training.learning_rate,
         "nodes": {"hidden": {"activation": "tanh", "units": units}}} for units in (4, 8)]
    assert cells[1].labels == {"learning_rate": design.training.learning_rate,
                               "activation": "tanh", "units": 8}
    assert dialog.command_line.text() == (
        f"neuralcanvas sweep DESIGN.ncanvas --vary "
        f"learning_rate={design.training.learning_rate:g} --vary hidden.activation=tanh "
        f"--vary hidden.units=4,8 --epochs {design.training.epochs}")


# ---------------------------------------------------------------------------- the journey
def _wait_done(qtbot, panel, timeout=60000):
    qtbot.waitUntil(lambda: panel.run is not None and not panel.run.running, timeout=timeout)


def test_compare_four_rates_by_two_seeds_pick_the_best_and_undo(spiral_window, qtbot):
    window = spiral_window
    document, launcher = window.document, window.live.compare
    original = document.design.copy()
    original_weights = document.design.snapshot_weights()
    window.live.bar.act_compare.trigger()
    dialog = launcher.dialog
    assert dialog is not None and dialog.isVisible()
    dialog.rates.setText(RATES)
    dialog.seeds.setValue(2)
    dialog.epochs.setValue(EPOCHS)
    qtbot.mouseClick(_ok(dialog), Qt.MouseButton.LeftButton)
    panel = launcher.panel
    assert launcher.dock.isVisible()
    _wait_done(qtbot, panel)
    table = panel.table_model
    assert table.rowCount() == 8
    assert panel.run.state == "finished"
    assert [table.record_at(r).state for r in range(8)] == ["finished"] * 8
    assert [table.data(table.index(r, 2)) for r in range(8)] == [str(EPOCHS)] * 8
    losses = [table.record_at(r).last("test_loss") for r in range(8)]
    assert losses == sorted(losses) and all(math.isfinite(v) for v in losses)
    assert table.data(table.index(0, 4)) == f"{losses[0]:.4g}"
    assert all(len(c[0].getData()[0]) == EPOCHS for c in panel.curves.curves)  # drawn
    assert len(panel.tiles.images) == 8  # a boundary for each variant
    best = table.record_at(0)
    assert document.undo_stack.count() == 1  # the results kept with the design, as a run's are
    kept = document.design.comparison
    assert kept is not None and len(kept.variants) == 8

    view = panel.table
    cell = view.visualRect(table.index(0, 1)).center()
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=cell)  # as a person
    QTest.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=cell)  # double-clicks
    design = document.design
    assert document.undo_stack.count() == 2
    assert design.training.learning_rate == best.changes["learning_rate"]
    assert design.training.seed == best.changes["seed"]
    alone = VariantTrainer(original, [best.changes])
    for _ in alone.run(EPOCHS):
        pass
    expected = alone.variant_design(0)
    expected.comparison = kept  # the pick leaves the comparison kept as it is
    assert design == expected  # the same settings and weights
    assert design.state.epoch == EPOCHS and design.state.history == expected.state.history
    weights = design.snapshot_weights()["connections"]
    assert all(w is not None for w in weights.values())

    document.undo_stack.undo()
    assert document.design.comparison is kept
    document.undo_stack.undo()
    assert document.design == original and document.design.comparison is None
    assert document.design.snapshot_weights() == original_weights
    assert document.design.state.epoch == 0


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_diverging_rate_is_marked_while_the_others_finish(spiral_window, qtbot):
    launcher = spiral_window.live.compare
    variants = variants_of(parse_grid(["learning_rate=0.01,1e38,0.03"],
                                      spiral_window.document.design))
    assert launcher.compare(variants, EPOCHS)
    panel = launcher.panel
    _wait_done(qtbot, panel)
    states = [r.state for r in panel.records]
    assert states == ["finished", "diverged", "finished"]
    diverged = panel.records[1]
    assert "Try a lower learning rate" in diverged.reason
    table = panel.table_model
    row = table.row_of(1)
    assert table.data(table.index(row, 6)) == "diverged"
    assert row == 2  # no test loss to sort by: last
    table.sort(6, Qt.SortOrder.DescendingOrder)
    assert table.record_at(0).state == "diverged"
    assert [len(r.history) for r in panel.records] == [EPOCHS, 0, EPOCHS]
    assert "1 diverged" in panel.summary.text()


def test_pause_and_play_apply_to_every_variant_and_reset_starts_again(spiral_window, qtbot):
    launcher = spiral_window.live.compare
    variants = variants_of(parse_grid(["seed=0..2"], spiral_window.document.design))
    assert launcher.compare(variants, 10_000)
    panel = launcher.panel
    qtbot.waitUntil(lambda: all(r.epoch >= 2 for r in panel.records), timeout=60000)
    qtbot.mouseClick(panel.play_button, Qt.MouseButton.LeftButton)  # Pause
    _wait_done(qtbot, panel)
    assert panel.run.state == "paused" and panel.play_button.text() == "Play"
    epochs = [r.epoch for r in panel.records]
    assert all(2 <= e < 10_000 for e in epochs) and {r.state for r in panel.records} == {"paused"}
    qtbot.mouseClick(panel.play_button, Qt.MouseButton.LeftButton)  # Play again
    qtbot.waitUntil(lambda: all(r.epoch > max(epochs) for r in panel.records), timeout=60000)
    qtbot.mouseClick(panel.reset_button, Qt.MouseButton.LeftButton)
    assert not panel.run.running and panel.run.state == "idle"
    assert all(r.epoch == 0 and not r.history for r in panel.records)


def test_the_comparison_saved_as_csv_has_a_row_per_variant_per_epoch(spiral_window, qtbot, tmp_path,
                                                                      monkeypatch):
    launcher = spiral_window.live.compare
    variants = variants_of(parse_grid(["learning_rate=0.01,0.03", "seed=0..1"],
                                      spiral_window.document.design))
    assert launcher.compare(variants, EPOCHS)
    panel = launcher.panel
    _wait_done(qtbot, panel)
    target = tmp_path / "comparison.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(target), "CSV tables (*.csv)")))
    assert panel.save_csv() == str(target)
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert len(rows) == 4 * EPOCHS
    assert list(rows[0])[:6] == ["variant", "learning_rate", "seed", "state", "epoch", "train_loss"]
    for record in panel.records:
        mine = [r for r in rows if r["variant"] == str(record.index)]
        assert [int(r["epoch"]) for r in mine] == list(range(1, EPOCHS + 1))
        assert {(float(r["learning_rate"]), int(r["seed"]), r["state"]) for r in mine} == {
            (record.labels["learning_rate"], record.labels["seed"], "finished")}
        assert [float(r["test_loss"]) for r in mine] == [h["test_loss"] for h in record.history]
    png = tmp_path / "comparison.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(png), "PNG pictures (*.png)")))
    assert panel.save_png() == str(png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_take_variant_with_a_changed_activation_is_one_step_undone_exactly(spiral_window):
    document = spiral_window.document
    original = document.design.copy()
    trainer = VariantTrainer(original, [{"seed": 4, "nodes": {"n8": {"activation": "relu"}}}])
    for _ in trainer.run(2):
        pass
    variant = trainer.variant_design(0)
    document.take_variant(variant)
    assert document.design == variant and document.design.nodes["n8"].params["activation"] == "relu"
    assert document.undo_stack.count() == 1
    document.undo_stack.undo()
    assert document.design == original
    assert np.all([w is None for w in document.design.snapshot_weights()["connections"].values()])


def test_a_variant_of_an_edited_design_is_refused_and_another_design_ends_the_comparison(
        spiral_window, qtbot):
    window = spiral_window
    launcher = window.live.compare
    variants = variants_of(parse_grid(["seed=0..1"], spiral_window.document.design))
    assert launcher.compare(variants, 2)
    panel = launcher.panel
    _wait_done(qtbot, panel)
    window.document.add_node("neuron", (0.0, 400.0))
    count = window.document.undo_stack.count()
    assert not panel.pick(0)
    assert window.document.undo_stack.count() == count
    assert "cannot become the design" in panel.summary.text()
    assert window.open_path(str(EXAMPLES / "xor.ncanvas"))
    assert panel.run is None and panel.table_model.rowCount() == 0
    assert not panel.play_button.isEnabled() and not panel.tiles.order


def test_results_pause_the_run_and_match_the_table(spiral_window, qtbot):
    launcher = spiral_window.live.compare
    variants = variants_of(parse_grid(["seed=0..1"], spiral_window.document.design))
    assert launcher.compare(variants, 10_000)
    panel = launcher.panel
    qtbot.waitUntil(lambda: all(r.epoch >= 2 for r in panel.records), timeout=60000)
    results = panel.run.results()
    assert not panel.run.running
    assert [r.changes["seed"] for r in results] == [0, 1]
    for result in results:
        assert result.epoch == len(result.history) >= 2
        assert np.isfinite(result.weights).all() and result.weights.size > 0
        assert result.history[-1].train_loss == pytest.approx(
            panel.records[result.index].last("train_loss"))


@pytest.mark.parametrize(("size", "replaces"), [((1280, 800), True), ((1920, 1200), False)])
def test_on_a_short_window_compare_takes_the_rows_place_and_gives_it_back(
        spiral_window, qtbot, size, replaces):
    """At 1280×800 a Compare dock under the panels' row left the canvas ~130 px tall: there it
    stands in for the row (the canvas keeps 300 px) and closing it brings the row back; a tall
    window keeps both."""
    window = spiral_window
    window.showNormal()
    window.resize(*size)
    qtbot.wait(100)
    live, launcher = window.live, window.live.compare
    row = [live.data_dock, live.boundary_dock, live.loss_dock]
    canvas_before = window.centralWidget().height()
    assert launcher.compare(variants_of(parse_grid(["seed=0..1"], window.document.design)), 1)
    qtbot.wait(100)
    assert launcher.dock.isVisible()
    assert window.centralWidget().height() >= 300
    assert all(not dock.isVisible() for dock in row) == replaces
    assert all(dock.isVisible() for dock in row) == (not replaces)
    launcher.panel.run.wait()
    launcher.dock.close()
    qtbot.wait(100)
    assert all(dock.isVisible() for dock in row)
    assert abs(window.centralWidget().height() - canvas_before) <= 40
    launcher.dock.toggleViewAction().trigger()  # View → Compare: the same arrangement again
    qtbot.wait(100)
    assert launcher.dock.isVisible() and window.centralWidget().height() >= 300
    assert all(not dock.isVisible() for dock in row) == replaces


def test_a_tiles_caption_cut_short_is_whole_in_its_tooltip(spiral_window, qtbot):
    launcher = spiral_window.live.compare
    assert launcher.compare(variants_of(parse_grid(["learning_rate=0.001,0.003", "seed=0..1"],
                                                   spiral_window.document.design)), 1)
    panel = launcher.panel
    _wait_done(qtbot, panel)
    tiles = panel.tiles
    tiles.resize(240, 160)  # small tiles: the captions are cut short
    tiles.repaint()
    rect, index = tiles._places[0]
    QTest.mouseMove(tiles, rect.center().toPoint())
    record = panel.records[index]
    assert tiles.toolTip() == f"{index + 1}. {record.name}" and "seed" in tiles.toolTip()


def test_seed_repeats_of_a_trained_design_start_from_fresh_weights(spiral_window, qtbot):
    """After the design has trained, repeats over seeds are luck of the draw again: each
    variant equals the design trained alone from its own seed's fresh weights (as `sweep` does),
    not the trained weights shuffled otherwise."""
    from core.training.trainer import Trainer, new_seed

    window = spiral_window
    assert window.live.controller.step_once()  # the design now has trained weights
    design = window.document.design.copy()
    launcher = window.live.compare
    assert launcher.compare(variants_of(parse_grid(["seed=3..4"], design)), 1)
    panel = launcher.panel
    _wait_done(qtbot, panel)
    for result in panel.run.results():
        alone = design.copy()
        new_seed(alone, result.changes["seed"])
        trainer = Trainer(alone)
        for _progress in trainer.run(1):
            pass
        np.testing.assert_allclose(result.weights, trainer.build.model.parameters_numpy(), rtol=0,
                                   atol=1e-6)


def test_a_trained_design_compares_onwards_from_its_epoch(spiral_window, qtbot):
    """A design trained 2 epochs, compared for 1 epoch per Play: each variant trains its one
    epoch more (it went on to 3), rather than waiting for a total of 1 it already passed."""
    window = spiral_window
    window.document.set_training(epochs=2)
    controller = window.live.controller
    assert controller.play()
    qtbot.waitUntil(lambda: not controller.running, timeout=60000)
    assert window.document.design.state.epoch == 2
    launcher = window.live.compare
    assert launcher.compare(variants_of(parse_grid(["learning_rate=0.01,0.03"],
                                                   window.document.design)), 1)
    panel = launcher.panel
    _wait_done(qtbot, panel)
    assert [r.epoch for r in panel.records] == [3, 3]
    assert "epoch 3 of 3" in panel.summary.text()
