"""Learn → Perceptron Walkthrough, driven as a person would: sliders, tabs, buttons, the table."""

from __future__ import annotations

import html
import re

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

from core.learn.perceptron import (
    Perceptron,
    present,
    random_perceptron,
    separates,
)
from tests.perceptron_bound import presentation_bound

NUMBER = re.compile(r"[−-]?\d+(?:\.\d+)?")


def numbers(text: str) -> list[float]:
    return [float(n.replace("−", "-")) for n in NUMBER.findall(text)]


def plain(label) -> str:
    """A label's text as a person reads it (no markup)."""
    return html.unescape(re.sub(r"<[^>]+>", "", label.text())).replace("\xa0", " ")


def shown_perceptron(page) -> Perceptron:
    """The weights and bias as the page writes them: "weights now: w = (…), b = …"."""
    *w, b = numbers(page.weights_label.text())
    return Perceptron(tuple(w), b)


@pytest.fixture
def walkthrough(window, qtbot):
    action = window.act_perceptron_walkthrough
    assert action in window.learn_menu.actions()
    assert action.text().replace("&", "") == "Perceptron Walkthrough…"
    action.trigger()
    dialog = window.perceptron_walkthrough
    qtbot.waitExposed(dialog)
    return dialog


def set_slider(value_slider, value):
    value_slider.slider.setValue(value)
    assert value_slider.value_label.text() == str(value).replace("-", "−")


def test_the_walkthrough_is_a_non_modal_window_opened_once(window, walkthrough, qtbot):
    assert walkthrough.isVisible() and not walkthrough.isModal()
    assert [walkthrough.tabs.tabText(i) for i in range(3)] == [
        "1 · Weigh the reasons", "2 · The threshold is a bias", "3 · Learn the weights"]
    walkthrough.close()
    window.act_perceptron_walkthrough.trigger()
    assert window.perceptron_walkthrough is walkthrough and walkthrough.isVisible()


def test_the_weighted_sum_is_written_out_and_decides(walkthrough, qtbot):
    page = walkthrough.decision_page
    for k in range(4):  # start elsewhere, so what follows is the sliders' doing
        set_slider(page.score_sliders[k], 0)
        set_slider(page.weight_sliders[k], 0)
    assert page.decision.text() == "STAY"
    for k, (score, weight) in enumerate(zip((3, 2, 4, 2), (4, 2, 2, 1), strict=True)):
        set_slider(page.score_sliders[k], score)
        set_slider(page.weight_sliders[k], weight)
    set_slider(page.threshold_slider, 25)
    assert page.equation.text() == "3·4 + 2·2 + 4·2 + 2·1 = 26 > 25 → go"
    assert page.decision.text() == "GO"
    assert [lab.text() for lab in page.term_labels] == [
        "3·4 = <b>12</b>", "2·2 = <b>4</b>", "4·2 = <b>8</b>", "2·1 = <b>2</b>"]
    page.threshold_slider.slider.setFocus()
    qtbot.keyClick(page.threshold_slider.slider, Qt.Key.Key_Right)
    qtbot.keyClick(page.threshold_slider.slider, Qt.Key.Key_Right)  # 27, as a person would
    assert page.threshold_slider.value_label.text() == "27"
    assert page.equation.text() == "3·4 + 2·2 + 4·2 + 2·1 = 26 < 27 → stay"
    assert page.decision.text() == "STAY"
    set_slider(page.score_sliders[3], 3)  # money a little better: 27 reaches 27
    assert page.equation.text().endswith("= 27 = 27 → go") and page.decision.text() == "GO"


def test_the_threshold_as_a_bias_gives_the_same_decision(walkthrough, qtbot):
    first, second = walkthrough.decision_page, walkthrough.bias_page
    set_slider(first.threshold_slider, 25)
    walkthrough.tabs.tabBar().setCurrentIndex(1)
    assert walkthrough.tabs.currentWidget() is second
    assert second.bias_form.text() == "3·4 + 2·2 + 4·2 + 2·1 − 25 = 1 > 0 → go"
    assert second.threshold_form.text() == first.equation.text()
    assert second.bias_slider.value_label.text() == "−25"
    assert "b = −threshold = −25" in second.bias_text.text()
    assert second.decision.text() == first.decision.text() == "GO"
    assert second.step_dot.data["x"].tolist() == [1.0] and second.step_dot.data["y"].tolist() == [1.0]
    set_slider(second.bias_slider, -27)  # the bias moves the threshold with it
    assert second.bias_form.text() == "3·4 + 2·2 + 4·2 + 2·1 − 27 = −1 < 0 → stay"
    assert first.threshold_slider.value_label.text() == "27"
    assert first.equation.text().endswith("26 < 27 → stay")
    assert second.decision.text() == first.decision.text() == "STAY"


def test_presenting_instances_applies_the_rule(walkthrough, qtbot):
    walkthrough.tabs.setCurrentIndex(2)
    page = walkthrough.training_page
    seed = page.seed.value()
    qtbot.mouseClick(page.random_button, Qt.MouseButton.LeftButton)
    assert page.seed.value() == seed + 1
    before = shown_perceptron(page)
    drawn = random_perceptron(4, seed + 1)
    assert before.weights == pytest.approx(drawn.weights) and before.bias == pytest.approx(drawn.bias)
    X, t = page.model.X.copy(), page.model.t.copy()
    corrections = 0
    for n in range(1, 2 * len(X) + 1):
        k = (n - 1) % len(X)
        qtbot.mouseClick(page.present_button, Qt.MouseButton.LeftButton)
        expected = present(before, X[k], int(t[k]), 1.0, k)
        after = shown_perceptron(page)
        assert after.weights == pytest.approx(expected.after.weights)
        assert after.bias == pytest.approx(expected.after.bias)
        corrections += expected.error != 0
        update = plain(page.update_text)
        net = float(expected.before.net(X[k]))
        assert update.startswith(f"Presentation {n}: row {k + 1} ")
        assert f"{'≥' if net >= 0 else '<'} 0, so it says {('stay', 'go')[expected.output]}" in update
        assert ("wrong: t − y" if expected.error else "right: t − y = 0") in update
        assert page.table.selectionModel().selectedRows()[0].row() == k  # the row just presented
        assert page.plot.ring.data["x"].size == 1
        assert page.status.text().startswith(f"{n} presentations · {corrections} corrections")
        before = after


def test_run_until_it_separates_within_the_bound(walkthrough, qtbot):
    walkthrough.tabs.setCurrentIndex(2)
    page = walkthrough.training_page
    page.seed.setValue(5)
    start = shown_perceptron(page)
    qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
    assert plain(page.status).startswith("✓ It separates: every row is right")
    presentations = int(numbers(plain(page.status).split("after")[1].replace(",", ""))[0])
    bound = presentation_bound(page.model.X, page.model.t, start, 1.0)
    assert 0 < presentations <= bound.presentations
    assert f"at most {bound.presentations:,} presentations" in plain(page.bound_text)
    says = [page.model.index(r, 5).data() for r in range(page.model.rowCount())]
    assert all(s.endswith("✓") for s in says)
    assert separates(shown_perceptron(page), page.model.X, page.model.t)
    assert page.plot.wrong.data["x"].size == 0  # no point marked wrong


def line_points(page) -> list[np.ndarray]:
    """The two ends of the plotted line, each as a full input vector (held inputs filled in)."""
    xs, ys = page.plot.line.getData()
    assert len(xs) == 2
    held = page.held_values
    points = []
    for x, y in zip(xs, ys, strict=True):
        full = held.copy()
        full[page.axes[0]], full[page.axes[1]] = x, y
        points.append(full)
    return points


def test_the_plotted_line_is_where_the_sum_is_zero(walkthrough, qtbot):
    walkthrough.tabs.setCurrentIndex(2)
    page = walkthrough.training_page
    qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
    p = shown_perceptron(page)
    assert page.x_axis.currentText() == "weather" and page.y_axis.currentText() == "company"
    means = page.model.X.mean(axis=0)
    assert f"music = {means[1]:g}" in plain(page.caption)
    for full in line_points(page):
        assert full[1] == pytest.approx(means[1]) and full[3] == pytest.approx(means[3])
        assert float(full @ np.array(p.weights) + p.bias) == pytest.approx(0, abs=0.02)
    page.x_axis.setCurrentText("money")
    page.y_axis.setCurrentText("music")
    page.held.setCurrentText("2")
    assert page.plot.getPlotItem().getAxis("bottom").labelText == "money"
    for full in line_points(page):
        assert full[0] == 2 and full[2] == 2
        assert float(full @ np.array(p.weights) + p.bias) == pytest.approx(0, abs=0.02)
    page.y_axis.setCurrentText("money")  # the same input on both axes: they swap
    assert (page.x_axis.currentText(), page.y_axis.currentText()) == ("music", "money")
    # the points are the table's rows on the chosen axes, coloured by label
    pos = np.column_stack([page.plot.points.data["x"], page.plot.points.data["y"]])
    assert np.allclose(pos, page.model.X[:, [1, 3]], atol=0.2)


def test_editing_the_table_restarts_the_count_and_an_xor_table_does_not_separate(walkthrough, qtbot):
    walkthrough.tabs.setCurrentIndex(2)
    page = walkthrough.training_page
    view, model = page.table, page.model
    for _ in range(3):
        qtbot.mouseClick(page.present_button, Qt.MouseButton.LeftButton)
    assert page.status.text().startswith("3 presentations")
    label = model.index(0, 4)
    assert label.data() == "stay"
    view.edit(label)  # a double-click opens the go/stay choice
    editor = view.findChild(QComboBox, "label_editor")
    editor.setCurrentIndex(1)
    editor.activated.emit(1)
    assert model.index(0, 4).data() == "go" and model.t[0] == 1
    assert page.status.text().startswith("0 presentations")
    assert not model.setData(model.index(0, 0), 7)  # a score outside 0 to 4 is refused
    # rows 1 and 2 the same evening with opposite labels: no line can split them
    for col in range(4):
        assert model.setData(model.index(1, col), int(model.X[0, col]))
    model.setData(model.index(1, 4), 0)
    assert plain(page.bound_text).startswith("No line")
    qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
    assert "✗ Not separated after 10,000 presentations" in plain(page.status)
    qtbot.mouseClick(page.restore_button, Qt.MouseButton.LeftButton)
    assert model.index(0, 4).data() == "stay" and "convergence theorem" in plain(page.bound_text)
