"""Learn → Loss Landscape in the window: two wires chosen on the canvas, the surface drawn around
their values, the path One Step by One Step, Reset, a moment of the timeline, a span, the weights
leaving the grid; no OpenGL here (offscreen) → contours only, said in the panel; designs with too
few weights or none that builds get a message."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStyle, QStyleOptionComboBox

from core.compiler.compile import compile_design
from core.training.landscape import GRID
from core.training.trainer import Trainer
from gui.learn.landscape import panel as landscape_module
from gui.learn.landscape import surface_3d as landscape_3d
from gui.panels.plot_style import PlotColours
from resources import EXAMPLES


def showing_message(panel) -> bool:
    """The panel shows its message page instead of the plot."""
    return panel.pages.currentWidget() is panel.message


def marked(contours) -> tuple[float, float] | None:
    """The marked point as the contour plot draws it: what a person sees."""
    x, y = contours.mark.getData()
    return None if len(x) == 0 else (float(x[0]), float(y[0]))


def path_points(contours) -> np.ndarray:
    """The points of the path as drawn, one row (x, y) each."""
    x, y = contours.path.getData()
    return np.zeros((0, 2)) if x is None else np.column_stack([x, y])


def isocurve_count(contours) -> int:
    """How many contour lines have something to draw."""
    return sum(c.data is not None and c.boundingRect().isValid() and not c.boundingRect().isEmpty()
               for c in contours.isocurves)


def open_landscape(window, qtbot, example: str = "xor.ncanvas"):
    """Open an example, then Learn → Loss Landscape as a person would; wait for the full grid."""
    assert window.open_path(str(EXAMPLES / example))
    action = next(a for a in window.learn_menu.actions() if a.text() == "Loss &Landscape")
    action.trigger()
    panel = window.landscape_panel
    assert window.landscape_dock.isVisible()
    wait_for_surface(qtbot, panel)
    return panel


def wait_for_surface(qtbot, panel) -> None:
    qtbot.waitUntil(lambda: panel.surface is not None and len(panel.surface.xs) == GRID
                    and not panel.runner.busy, timeout=20000)


def weights_of(design, *wires: str) -> tuple[float, ...]:
    return tuple(design.connections[c].weight for c in wires)


def use_wires(window, qtbot, panel, first: str, second: str) -> None:
    """Select two wires on the canvas (click, Shift-click) and press the panel's button."""
    window.scene.clearSelection()
    window.scene.connection_item(first).setSelected(True)
    window.scene.connection_item(second).setSelected(True)
    qtbot.mouseClick(panel.use_selected, Qt.MouseButton.LeftButton)
    wait_for_surface(qtbot, panel)


def test_the_learn_menu_opens_the_landscape_around_the_current_weights(window, qtbot):
    panel = open_landscape(window, qtbot)
    design = window.document.design
    assert window.landscape_dock.toggleViewAction() in window.view_menu.actions()
    # the default pair: two weights into the output neuron, named as a person reads them
    assert (panel.x_combo.currentText(), panel.y_combo.currentText()) == ("n3 → n7", "n4 → n7")
    assert panel.contours.plot.getAxis("bottom").labelText == "n3 → n7"
    trainer = Trainer(design.copy())  # the weights training will start from
    now = weights_of(trainer.design, "c16", "c17")
    assert marked(panel.contours) == pytest.approx(now)
    assert panel.surface.centre == pytest.approx(now)
    # the contour image has one pixel per grid point, and contour lines are drawn over it
    assert panel.contours.image.image.shape[:2] == (GRID, GRID)
    assert isocurve_count(panel.contours) >= 5
    loss = trainer.evaluate().train_loss
    assert panel.surface.loss[GRID // 2, GRID // 2] == pytest.approx(loss, abs=1e-6)
    assert f"Here {loss:.4g}, lowest on the grid" in panel.status.text()
    assert "Loss on all 200 training samples." in panel.status.text()
    assert "0.001 and 5" in panel.note.text() and panel.note.isVisible()


def test_two_wires_chosen_on_the_canvas_are_marked_at_their_current_values(window, qtbot):
    panel = open_landscape(window, qtbot)
    window.live.controller.step_once()  # the design now holds real weights
    design = window.document.design
    use_wires(window, qtbot, panel, "c8", "c13")
    assert (panel.x_combo.currentText(), panel.y_combo.currentText()) == ("x1 → n3", "x2 → n4")
    assert marked(panel.contours) == pytest.approx(weights_of(design, "c8", "c13"))
    assert panel.surface.centre == pytest.approx(weights_of(design, "c8", "c13"))
    assert panel.contours.plot.getAxis("left").labelText == "x2 → n4"
    # the span a person sets: the grid reaches that far either side
    panel.span.setFocus()
    panel.span.selectAll()
    qtbot.keyClicks(panel.span, "0.5")
    qtbot.keyClick(panel.span, Qt.Key.Key_Return)
    wait_for_surface(qtbot, panel)
    assert panel.surface.xs[-1] - panel.surface.xs[0] == pytest.approx(1.0)
    assert panel.surface.centre == pytest.approx(weights_of(design, "c8", "c13"))


def test_a_selection_that_is_not_two_wires_is_explained(window, qtbot):
    panel = open_landscape(window, qtbot)
    before = (panel.a, panel.b)
    window.scene.select_ids(["c8"])
    qtbot.mouseClick(panel.use_selected, Qt.MouseButton.LeftButton)
    assert "Select exactly two wires" in panel.status.text() and "(now 1)" in panel.status.text()
    assert (panel.a, panel.b) == before


def test_each_one_step_adds_a_point_to_the_path_following_the_weights(window, qtbot):
    panel = open_landscape(window, qtbot)
    controller, design = window.live.controller, window.document.design
    start = len(path_points(panel.contours))
    assert start == 1  # where the weights are now
    seen = []
    for _ in range(4):
        window.live.bar.act_step.trigger()
        seen.append(weights_of(design, "c16", "c17"))
    drawn = path_points(panel.contours)
    assert len(drawn) == start + 4
    np.testing.assert_allclose(drawn[1:], seen, rtol=1e-6)
    assert marked(panel.contours) == pytest.approx(seen[-1])
    assert len({tuple(p) for p in drawn}) == len(drawn)  # the weights moved each time
    # Present One Sample is a step too
    window.live.bar.act_sample.trigger()
    assert len(path_points(panel.contours)) == start + 5
    # Reset: back to where training started, and the path with it
    controller.reset()
    drawn = path_points(panel.contours)
    assert len(drawn) == 1
    assert drawn[0] == pytest.approx(weights_of(design, "c16", "c17"))
    assert drawn[0] == pytest.approx(panel.path.points[0])


def test_the_grid_follows_the_weights_when_they_leave_it(window, qtbot):
    panel = open_landscape(window, qtbot)
    window.document.set_training(learning_rate=1.0)
    panel.span.setValue(0.05)
    wait_for_surface(qtbot, panel)
    first = panel.surface
    for _ in range(3):
        window.live.controller.step_once()
    now = weights_of(window.document.design, "c16", "c17")
    assert not first.contains(*now)  # big steps: out of the small grid
    qtbot.waitUntil(lambda: panel.surface is not first and not panel.runner.busy
                    and len(panel.surface.xs) == GRID and panel.surface.contains(*now),
                    timeout=20000)
    assert panel.surface.centre == pytest.approx(now)
    assert len(path_points(panel.contours)) == 4  # the path goes on across the new grid


def test_a_moment_of_the_timeline_moves_the_mark_onto_the_path(window, qtbot):
    panel = open_landscape(window, qtbot)
    controller, design = window.live.controller, window.document.design
    controller.step_once()
    past = design.snapshot_weights()
    controller.step_once()
    controller.step_once()
    now = weights_of(design, "c16", "c17")
    if hasattr(controller, "moment_shown"):
        controller.moment_shown.emit(past)
    else:
        panel.show_moment(past)
    assert marked(panel.contours) == pytest.approx(
        (past["connections"]["c16"], past["connections"]["c17"]))
    assert marked(panel.contours) == pytest.approx(tuple(path_points(panel.contours)[1]))
    if hasattr(controller, "moment_shown"):
        controller.moment_shown.emit(None)
    else:
        panel.show_moment(None)
    assert marked(panel.contours) == pytest.approx(now)


def test_a_weight_picked_in_the_combo_box_names_the_axis_and_restarts_the_path(window, qtbot):
    panel = open_landscape(window, qtbot)
    window.live.controller.step_once()
    assert len(path_points(panel.contours)) == 2
    bias = panel.model.table.position("bias:n7")
    panel.y_combo.setCurrentIndex(bias)
    wait_for_surface(qtbot, panel)
    assert panel.y_combo.currentText() == "bias of n7"
    assert panel.contours.plot.getAxis("left").labelText == "bias of n7"
    design = window.document.design
    assert marked(panel.contours) == pytest.approx(
        (design.connections["c16"].weight, design.nodes["n7"].params["bias"]))
    assert len(path_points(panel.contours)) == 1


def test_block_weights_are_listed_by_name(window, qtbot):
    panel = open_landscape(window, qtbot, "digits_mlp.ncanvas")
    design = window.document.design
    build = compile_design(design.copy())
    entries = sum(int(v.size) for op in build.model.ops for v in op.params.values())
    assert panel.x_combo.count() == entries
    assert (panel.x_combo.currentText(), panel.y_combo.currentText()) == \
        ("Dense d3 kernel[0, 0]", "Dense d3 kernel[1, 0]")
    assert "fixed sample of 500 of the" in panel.status.text()
    row = panel.model.table.position("block:d3:kernel:0,1")
    assert panel.model.data(panel.model.index(row)) == "Dense d3 kernel[0, 1]"


def test_no_opengl_means_contours_only_with_a_note(window, qtbot, monkeypatch):
    panel = open_landscape(window, qtbot)
    if panel.surface_view is None:  # offscreen, or no PyOpenGL: as on the test machines
        assert panel.gl_note.isVisible() and panel.gl_note.text().startswith("Contours only")
    monkeypatch.setattr(landscape_3d, "unavailable", lambda: "no OpenGL here")
    other = landscape_module.LandscapePanel(window.document, window.live.controller, window.scene)
    qtbot.addWidget(other)
    assert other.surface_view is None and other.views.count() == 1
    assert other.gl_note.text() == "Contours only: no OpenGL here."

    def failing():
        raise RuntimeError("context lost")

    monkeypatch.setattr(landscape_3d, "unavailable", lambda: None)
    monkeypatch.setattr(landscape_3d, "SurfaceView", failing)
    third = landscape_module.LandscapePanel(window.document, window.live.controller, window.scene)
    qtbot.addWidget(third)
    assert third.surface_view is None and "context lost" in third.gl_note.text()


def test_designs_with_too_few_weights_or_that_cannot_build_get_a_message(window, qtbot):
    panel = open_landscape(window, qtbot)
    doc = window.document
    lonely = doc.add_node("neuron", (300, 300))  # a neuron with no input: cannot build
    qtbot.waitUntil(lambda: showing_message(panel), timeout=5000)
    assert "can be built" in panel.message.text() and "no incoming connection" in panel.message.text()
    assert path_points(panel.contours).shape[0] == 0 or panel.landscape is None
    doc.remove([lonely])
    qtbot.waitUntil(lambda: not showing_message(panel), timeout=5000)
    wait_for_surface(qtbot, panel)

    doc.undo_stack.setClean()
    window.new_design()  # an empty design
    doc.set_dataset("plane", {"n": 40})
    doc.set_training(loss="mse")
    x1 = doc.add_node("input", (0, 0), {"feature": "x1"})
    out = doc.add_node("dropout", (200, 0))
    assert doc.connect(x1, out)
    qtbot.waitUntil(lambda: showing_message(panel) and "has no weights" in panel.message.text(),
                    timeout=5000)
    assert panel.x_combo.count() == 0


def test_the_menu_takes_two_selected_wires_and_stays_in_front_while_it_trains(window, qtbot):
    assert window.open_path(str(EXAMPLES / "xor.ncanvas"))
    window.scene.select_ids(["c9", "c14"])
    window.act_landscape.trigger()
    panel = window.landscape_panel
    wait_for_surface(qtbot, panel)
    assert (panel.x_combo.currentText(), panel.y_combo.currentText()) == ("x1 → n4", "x2 → n5")
    assert window.landscape_dock.isFloating()  # a window of its own
    window.live.bar.act_step.trigger()  # the first snapshot brings the boundary forward …
    assert panel.isVisible() and not panel.visibleRegion().isEmpty()  # … but not over this


def test_docked_again_it_is_a_tab_beside_the_boundary_and_stays_in_front(window, qtbot):
    assert window.open_path(str(EXAMPLES / "xor.ncanvas"))
    window.act_landscape.trigger()
    panel, dock = window.landscape_panel, window.landscape_dock
    wait_for_surface(qtbot, panel)
    dock.setFloating(False)  # as a double-click on its title does
    qtbot.waitUntil(lambda: window.live.boundary_dock in window.tabifiedDockWidgets(dock))
    dock.raise_()
    window.live.bar.act_step.trigger()  # the first snapshot brings the boundary forward …
    assert panel.isVisible() and not panel.visibleRegion().isEmpty()  # … but not over this
    window.live.boundary_dock.raise_()  # a person's own choice of tab is kept
    window.live.bar.act_step.trigger()
    assert not panel.isVisible() or panel.visibleRegion().isEmpty()


def test_recompute_here_takes_the_other_weights_as_they_are_now(window, qtbot):
    panel = open_landscape(window, qtbot)
    before = panel.surface
    for _ in range(3):
        window.live.bar.act_step.trigger()
    assert "The other weights have moved since" in panel.status.text()
    assert panel.surface is before  # the slice stays until the person asks
    qtbot.mouseClick(panel.controls.recompute, Qt.MouseButton.LeftButton)
    wait_for_surface(qtbot, panel)
    design = window.document.design
    assert panel.surface is not before
    assert panel.surface.centre == pytest.approx(weights_of(design, "c16", "c17"))
    middle = GRID // 2
    assert panel.surface.loss[middle, middle] == pytest.approx(
        Trainer(design.copy()).evaluate().train_loss, abs=1e-6)
    assert "moved since" not in panel.status.text()
    qtbot.mouseClick(panel.controls.clear_path, Qt.MouseButton.LeftButton)
    assert len(path_points(panel.contours)) == 1


def test_a_flat_surface_at_an_enormous_loss_is_coloured_without_a_warning(recwarn):
    """Around a diverged run's weights every loss may be the same huge number: the range is then
    below what the numbers can tell apart, and the surface takes one colour, not NaN indices."""
    from gui.learn.landscape.plot import colour_image, display_scale
    from gui.panels.plot_style import LUT_SIZE

    table = np.arange(LUT_SIZE * 3).reshape(LUT_SIZE, 3)
    for loss in (np.full((5, 5), 3e30), np.full((5, 5), np.inf), np.full((5, 5), 0.25)):
        values, lo, hi, _log = display_scale(loss)
        assert hi > lo
        image = colour_image(values, lo, hi, table)
        assert image.shape == (5, 5, 3) and (image == image[0, 0]).all()
    assert [str(w.message) for w in recwarn if issubclass(w.category, RuntimeWarning)] == []


def bottom_row(window):
    """What a person sees of the canvas and the bottom row of panels: their places and sizes."""
    live = window.live
    return [w.geometry() for w in (window.view, live.data_dock, live.boundary_dock,
                                   live.loss_dock)]


def combo_shows_whole(combo) -> bool:
    """The combo box is seen whole (not cut by its column), its text field as wide as its text."""
    if combo.visibleRegion().boundingRect() != combo.rect():
        return False
    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    field = combo.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                         QStyle.SubControl.SC_ComboBoxEditField, combo)
    return field.width() >= combo.fontMetrics().horizontalAdvance(combo.currentText())


def label_shows_whole(label) -> bool:
    """A word-wrapped label is as tall as its text needs at its width."""
    return not label.isVisible() or label.height() >= label.heightForWidth(label.width())


@pytest.mark.parametrize("size", [(1280, 800), (1600, 1000)])
def test_the_landscape_opens_in_a_window_of_its_own_and_squeezes_no_panel(window, qtbot, size):
    window.resize(*size)
    assert window.open_path(str(EXAMPLES / "xor.ncanvas"))
    qtbot.wait(20)
    before = bottom_row(window)
    panel = open_landscape(window, qtbot)
    qtbot.wait(20)
    dock = window.landscape_dock
    assert bottom_row(window) == before  # the canvas and every panel keep their room
    assert dock.isFloating() and not window.tabifiedDockWidgets(dock)
    need = panel.minimumSizeHint()
    assert dock.width() >= need.width() and dock.height() >= need.height()
    assert panel.contours.width() >= 400 and panel.contours.height() >= 360  # a plot, not a strip
    assert window.screen().availableGeometry().contains(dock.geometry())
    canvas_top = window.view.mapToGlobal(window.view.rect().topLeft()).y()
    assert dock.geometry().top() >= canvas_top  # the toolbars (Play, Step) stay in view


@pytest.mark.parametrize("size", [(1280, 800), (1600, 1000)])
def test_no_weight_name_or_note_of_the_landscape_is_cut(window, qtbot, size):
    window.resize(*size)
    assert window.open_path(str(EXAMPLES / "digits_cnn.ncanvas"))
    window.act_landscape.trigger()
    panel = window.landscape_panel
    combo = panel.x_combo
    qtbot.waitUntil(lambda: combo.count() > 0, timeout=20000)  # listed (the surface may follow)
    names = [panel.model.index(i).data() for i in range(combo.count())]
    widest = max(range(len(names)), key=lambda i: combo.fontMetrics().horizontalAdvance(names[i]))
    combo.setCurrentIndex(widest)
    qtbot.wait(20)
    assert combo_shows_whole(panel.x_combo) and combo_shows_whole(panel.y_combo)
    for label in (panel.status, panel.note, panel.gl_note):
        assert label_shows_whole(label), label.objectName()


def test_the_colour_bar_has_one_axis_of_loss_beside_its_colours(window, qtbot):
    panel = open_landscape(window, qtbot)
    contours = panel.contours
    for look in ("as opened", "restyled"):  # its colours set again, as when the look changes
        if look == "restyled":
            contours.set_colours(PlotColours.from_palette())
        bar = contours.bar
        # the plot lays itself out on the event loop: a busy machine takes more than a few ms
        qtbot.waitUntil(lambda: contours.bar.getAxis("right").sceneBoundingRect().right()
                        <= contours.plots.viewport().width(), timeout=3000)
        shown = [name for name in ("left", "bottom", "top", "right") if bar.getAxis(name).isVisible()]
        assert shown == ["right"] and bar.getAxis("right").labelText == "loss"
        # the colours take the bar's width less its one axis, not a sliver squeezed by two
        ramp = contours.plots.mapFromScene(contours.bar_image.sceneBoundingRect()).boundingRect()
        assert ramp.width() >= bar.width() - bar.getAxis("right").width() - 4, look
        axis = bar.getAxis("right").sceneBoundingRect()
        assert axis.right() <= contours.plots.viewport().width(), "the axis and its label run off"
