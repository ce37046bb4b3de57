"""The data panel, driven as a person would: thumbnails pick the data set, the controls edit it
and the split (one undo step each), and a painted set is painted and erased with the mouse."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QSlider, QToolButton

from gui.document.document import Document
from gui.panels.data.panel import DataPanel
from gui.panels.data.thumbnails import THUMB, thumbnail

LEFT, RIGHT = Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton
CLASS_0 = [(-3.0, 2.0), (-2.0, 3.5), (-4.0, 0.5)]
CLASS_1 = [(3.0, -2.0), (2.0, -3.5), (4.5, -0.5)]


@pytest.fixture
def panel(qtbot):
    from gui.app import make_app

    make_app([])
    document = Document()
    widget = DataPanel(document)
    qtbot.addWidget(widget)
    widget.resize(1000, 300)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def button(panel: DataPanel, name: str) -> QToolButton:
    found = panel.findChild(QToolButton, name)
    assert found is not None, name
    return found


def drawn(panel: DataPanel) -> tuple[int, int]:
    """(training points, test points) the plot draws."""
    return (len(panel.plot.train_points.getData()[0]), len(panel.plot.test_points.getData()[0]))


def at(panel: DataPanel, x: float, y: float) -> QPoint:
    """The plot's viewport position of a point in data coordinates."""
    scene = panel.plot.box.mapViewToScene(QPointF(x, y))
    return panel.plot.mapFromScene(scene)


def click_at(qtbot, panel: DataPanel, x: float, y: float, which=LEFT) -> None:
    qtbot.mouseClick(panel.plot.viewport(), which, pos=at(panel, x, y))


def drag(qtbot, panel: DataPanel, path: list[tuple[float, float]], which=RIGHT) -> None:
    viewport = panel.plot.viewport()
    qtbot.mousePress(viewport, which, pos=at(panel, *path[0]))
    for x, y in path[1:]:
        qtbot.wait(20)  # pyqtgraph drops mouse moves closer together than 10 ms
        qtbot.mouseMove(viewport, at(panel, x, y))
    qtbot.wait(20)
    qtbot.mouseRelease(viewport, which, pos=at(panel, *path[-1]))


def paint_six(qtbot, panel: DataPanel) -> None:
    qtbot.mouseClick(button(panel, "dataset_painted"), LEFT)
    for x, y in CLASS_0:
        click_at(qtbot, panel, x, y)
    qtbot.mouseClick(button(panel, "paint_class_1"), LEFT)
    for x, y in CLASS_1:
        click_at(qtbot, panel, x, y)


def points(panel: DataPanel) -> list:
    return panel.document.design.dataset.params["points"]


# ---------------------------------------------------------------------------- choosing
def test_a_thumbnail_click_changes_the_data_set_and_undo_restores_it(panel, qtbot):
    document = panel.document
    assert button(panel, "dataset_circle").isChecked() and drawn(panel) == (250, 250)
    qtbot.mouseClick(button(panel, "dataset_spiral"), LEFT)
    assert document.design.dataset.name == "spiral"
    assert document.undo_stack.count() == 1
    assert button(panel, "dataset_spiral").isChecked()
    assert not button(panel, "dataset_circle").isChecked()
    assert panel.fields["classes"].isVisibleTo(panel)  # spiral has classes; circle has not
    document.undo_stack.undo()
    assert document.design.dataset.name == "circle"
    assert button(panel, "dataset_circle").isChecked()
    assert not panel.fields["classes"].isVisibleTo(panel)


def test_every_thumbnail_is_a_cached_picture_of_its_data_set(panel):
    names = list(panel.strip.buttons)
    assert names[:7] == ["circle", "xor", "gaussian", "spiral", "moons", "plane", "multi_gaussian"]
    assert {"digits", "cricket", "painted", "csv"} <= set(names)
    spiral = thumbnail("spiral", False)
    assert spiral is thumbnail("spiral", False)  # made once
    assert (spiral.width(), spiral.height()) == (THUMB, THUMB)
    pixels = {spiral.pixel(x, y) for x in range(THUMB) for y in range(THUMB)}
    assert len(pixels) >= 3  # background, frame and the two classes' colours at least
    assert button(panel, "dataset_spiral").icon().availableSizes()


def test_noise_spin_box_edits_the_design_and_undo_restores_it(panel, qtbot):
    document, noise = panel.document, panel.fields["noise"]
    noise.setFocus()
    qtbot.keyClick(noise, Qt.Key.Key_Up)  # one arrow step: one undo step
    assert document.design.dataset.params["noise"] == pytest.approx(0.05)
    noise.selectAll()
    qtbot.keyClicks(noise, "0.3")
    qtbot.keyClick(noise, Qt.Key.Key_Return)
    assert document.design.dataset.params["noise"] == pytest.approx(0.3)
    assert document.undo_stack.count() == 2  # typing "0.3" is one edit, not three
    document.undo_stack.undo()
    document.undo_stack.undo()
    assert document.design.dataset.params.get("noise", 0.0) == 0.0
    assert noise.value() == 0.0


def test_samples_edit_redraws_the_points(panel, qtbot):
    samples = panel.fields["n"]
    samples.setFocus()
    samples.selectAll()
    qtbot.keyClicks(samples, "100")
    qtbot.keyClick(samples, Qt.Key.Key_Return)
    assert panel.document.design.dataset.params["n"] == 100
    assert drawn(panel) == (50, 50)
    assert "100 points" in panel.summary.text()


def test_the_test_slider_edits_test_fraction_once_per_move_and_follows_undo(panel, qtbot):
    slider, document = panel.findChild(QSlider, "data_test_fraction"), panel.document
    assert slider.value() == 50
    slider.setFocus()
    qtbot.keyClick(slider, Qt.Key.Key_PageUp)
    assert document.design.training.test_fraction == pytest.approx(0.6)
    assert drawn(panel) == (200, 300)
    assert "60 % test" in panel.test_text.text()
    # a drag of the handle is one edit, made when it is let go
    handle = slider.style().subControlRect(
        slider.style().ComplexControl.CC_Slider, _slider_option(slider),
        slider.style().SubControl.SC_SliderHandle, slider).center()
    qtbot.mousePress(slider, LEFT, pos=handle)
    for dx in (10, 20, 30, 40):
        qtbot.mouseMove(slider, handle + QPoint(-dx, 0))
    assert document.design.training.test_fraction == pytest.approx(0.6)  # not yet
    qtbot.mouseRelease(slider, LEFT, pos=handle + QPoint(-40, 0))
    moved = document.design.training.test_fraction
    assert moved < 0.6 and document.undo_stack.count() == 2
    document.undo_stack.undo()
    assert slider.value() == 60 and document.design.training.test_fraction == pytest.approx(0.6)


def _slider_option(slider: QSlider):
    from PySide6.QtWidgets import QStyleOptionSlider

    option = QStyleOptionSlider()
    slider.initStyleOption(option)
    return option


def test_data_with_more_than_two_inputs_is_described_with_sample_images(panel, qtbot):
    qtbot.mouseClick(button(panel, "dataset_digits"), LEFT)
    assert panel.views.currentWidget() is panel.about
    assert "1797 samples" in panel.about.text.text() and "10 classes" in panel.about.text.text()
    shown = [label for label in panel.about.sample_labels if label.isVisibleTo(panel)]
    assert len(shown) == 6 and all(not label.pixmap().isNull() for label in shown)
    qtbot.mouseClick(button(panel, "dataset_csv"), LEFT)
    assert "choose a file" in panel.about.text.text()
    qtbot.mouseClick(button(panel, "dataset_moons"), LEFT)
    assert panel.views.currentWidget() is panel.plot and drawn(panel) == (250, 250)


# ---------------------------------------------------------------------------- painting
def test_painting_six_points_puts_them_in_the_design_where_they_were_clicked(panel, qtbot):
    document = panel.document
    qtbot.mouseClick(button(panel, "dataset_painted"), LEFT)
    assert document.design.dataset.name == "painted"
    assert panel.paint_tools.isVisibleTo(panel) and button(panel, "paint_class_0").isChecked()
    assert "at least two classes" in panel.problem.text() and panel.problem.isVisibleTo(panel)
    paint_six(qtbot, panel)
    painted = points(panel)
    assert [p[2] for p in painted] == [0, 0, 0, 1, 1, 1]
    pixel_x, pixel_y = panel.plot.box.viewPixelSize()
    for (x, y), (px, py, _label) in zip(CLASS_0 + CLASS_1, painted, strict=True):
        assert abs(px - x) <= 1.5 * pixel_x and abs(py - y) <= 1.5 * pixel_y
    assert document.undo_stack.count() == 7  # the data set, then one step per point
    assert sum(drawn(panel)) == 6 and not panel.problem.isVisibleTo(panel)
    assert "6 points" in panel.summary.text() and "per class 3, 3" in panel.summary.text()
    assert not any("painted" in p.message for p in document.validate_now())
    document.undo_stack.undo()
    assert len(points(panel)) == 5 and sum(drawn(panel)) == 5


def test_a_right_drag_erases_the_points_under_its_path_in_one_undo_step(panel, qtbot, tmp_path):
    paint_six(qtbot, panel)
    document = panel.document
    before = list(points(panel))
    count = document.undo_stack.count()
    # from beside (-3, 2) through (-2, 3.5): the first two class-0 points, not the third
    drag(qtbot, panel, [(-3.6, 1.6), (-3.0, 2.0), (-2.5, 2.8), (-2.0, 3.5), (-1.6, 4.0)])
    assert points(panel) == [before[2], *before[3:]]
    assert document.undo_stack.count() == count + 1
    assert document.undo_stack.undoText() == "Erase 2 painted point(s)"
    assert sum(drawn(panel)) == 4
    document.undo_stack.undo()
    assert points(panel) == before and sum(drawn(panel)) == 6
    document.undo_stack.redo()
    assert len(points(panel)) == 4

    path = tmp_path / "painted.ncanvas"
    document.save(str(path))
    again = Document()
    again.open(str(path))
    assert again.design == document.design
    assert again.design.dataset.params["points"] == points(panel)


def test_the_eraser_tool_erases_with_left_clicks_and_drags(panel, qtbot):
    paint_six(qtbot, panel)
    before = list(points(panel))
    qtbot.mouseClick(button(panel, "paint_eraser"), LEFT)
    click_at(qtbot, panel, *CLASS_1[2])
    assert points(panel) == before[:5]
    drag(qtbot, panel, [(2.6, -1.6), (3.0, -2.0), (3.4, -2.4)], which=LEFT)
    assert points(panel) == [*before[:3], before[4]]
    qtbot.mouseClick(button(panel, "paint_eraser"), LEFT)  # off: clicks paint again
    click_at(qtbot, panel, 0.0, 0.0)
    assert len(points(panel)) == 5


def test_a_right_click_erases_the_point_under_it_and_a_miss_changes_nothing(panel, qtbot):
    paint_six(qtbot, panel)
    count = panel.document.undo_stack.count()
    click_at(qtbot, panel, 0.0, 5.5, which=RIGHT)  # nothing there
    assert panel.document.undo_stack.count() == count
    click_at(qtbot, panel, *CLASS_0[0], which=RIGHT)
    assert len(points(panel)) == 5 and panel.document.undo_stack.count() == count + 1


def test_classes_of_a_painting_and_a_painting_chosen_again(panel, qtbot):
    paint_six(qtbot, panel)
    classes = panel.fields["classes"]
    assert classes.minimum() == 2
    classes.setFocus()
    qtbot.keyClick(classes, Qt.Key.Key_Up)
    assert panel.document.design.dataset.params["classes"] == 3
    assert button(panel, "paint_class_2").isVisibleTo(panel)
    qtbot.mouseClick(button(panel, "paint_class_2"), LEFT)
    click_at(qtbot, panel, 0.0, 0.0)
    assert points(panel)[-1][2] == 2 and classes.minimum() == 3  # class 2 is in use
    painting = dict(panel.document.design.dataset.params)
    qtbot.mouseClick(button(panel, "dataset_xor"), LEFT)
    assert not panel.paint_tools.isVisibleTo(panel) and classes.minimum() == 2
    qtbot.mouseClick(button(panel, "dataset_painted"), LEFT)
    assert dict(panel.document.design.dataset.params) == painting


def test_the_panel_follows_a_replaced_design(panel, qtbot, tmp_path):
    paint_six(qtbot, panel)
    path = tmp_path / "six.ncanvas"
    panel.document.save(str(path))
    panel.document.new()
    assert button(panel, "dataset_circle").isChecked() and not panel.paint_tools.isVisibleTo(panel)
    assert drawn(panel) == (250, 250)
    panel.document.open(str(path))
    assert button(panel, "dataset_painted").isChecked() and sum(drawn(panel)) == 6
    shown = panel.plot.shown
    np.testing.assert_allclose(shown.X, [p[:2] for p in points(panel)])


@pytest.mark.parametrize("name", ["spiral", "digits"])
def test_the_inputs_become_the_target_with_one_click_and_undo_brings_the_labels_back(panel, qtbot,
                                                                                     name):
    from PySide6.QtWidgets import QCheckBox

    from core.compiler.validation import load_cached_dataset

    document = panel.document
    document.set_dataset(name, {})
    box = panel.findChild(QCheckBox, "data_target")
    assert box.isVisible() and not box.isChecked()
    box.click()
    choice = document.design.dataset
    assert choice.params["target"] == "inputs" and box.isChecked()
    data = load_cached_dataset(choice.name, dict(choice.params), choice.seed)
    assert data.task == "regression" and np.array_equal(data.y, data.X)
    if name == "digits":  # more than two inputs: the panel describes the data in words
        assert "its own inputs as the target" in panel.about.text.text()
    else:  # the points are still drawn, with the classes they had
        assert sum(drawn(panel)) == data.num_samples
    document.undo_stack.undo()
    assert document.design.dataset.params.get("target", "labels") == "labels"
    assert not box.isChecked()
