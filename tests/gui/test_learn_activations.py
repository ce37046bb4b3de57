"""Learn → Activation Explorer…: every activation drawn with its slope from the engine, its
parameters on sliders, a table of them all, and the identity network that is one matrix and
cannot learn XOR while the same network with tanh does — driven as a person would."""

from __future__ import annotations

import html
import re

import numpy as np
import pytest
from PySide6.QtCore import Qt

from core.design import registry
from core.engine.activations import make_activation
from core.learn.activation_notes import note_for
from gui.learn.activations.view import COLUMNS, ActivationExplorer


def open_explorer(window, qtbot) -> ActivationExplorer:
    """Learn → Activation Explorer…, as the menu offers it."""
    (action,) = [a for a in window.learn_menu.actions() if a.text() == "Activation &Explorer…"]
    action.trigger()
    explorer = window.findChild(ActivationExplorer)
    assert explorer is not None and not explorer.isModal()
    qtbot.waitExposed(explorer)
    return explorer


def click_activation(qtbot, page, activation_id: str) -> None:
    """Click the activation's entry in the list."""
    for row in range(page.list.count()):
        item = page.list.item(row)
        if item.data(Qt.ItemDataRole.UserRole) == activation_id:
            page.list.scrollToItem(item)
            rect = page.list.visualItemRect(item)
            qtbot.mouseClick(page.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
            assert page.activation_id == activation_id
            return
    raise AssertionError(f"{activation_id} is not in the list")


def engine_curve(activation_id: str, params: dict, z: np.ndarray):
    """The engine's forward and backward (dL/da = 1) at z; softmax on the logits (z, 0)."""
    activation = make_activation(activation_id, params)
    if activation_id == "softmax":
        logits = np.column_stack([z, np.zeros_like(z)])
        a, cache = activation.forward(logits)
        upstream = np.column_stack([np.ones_like(z), np.zeros_like(z)])
        return a[:, 0], activation.backward(upstream, cache)[0][:, 0]
    a, cache = activation.forward(z.copy())
    return a, activation.backward(np.ones_like(z), cache)[0]


def test_the_learn_menu_opens_the_explorer_once(window, qtbot):
    explorer = open_explorer(window, qtbot)
    assert explorer.isVisible()
    assert [explorer.tabs.tabText(i) for i in range(explorer.tabs.count())] == \
        ["Curves", "Table", "Linear only"]
    explorer.close()
    assert open_explorer(window, qtbot) is explorer  # the same window comes back
    assert len(window.findChildren(ActivationExplorer)) == 1


def test_each_plotted_curve_is_the_engines_forward_and_backward(window, qtbot):
    page = open_explorer(window, qtbot).curves
    listed = [page.list.item(r).data(Qt.ItemDataRole.UserRole) for r in range(page.list.count())]
    assert listed == list(registry.activations)  # every activation the engine has, in its order
    for activation_id in listed:
        click_activation(qtbot, page, activation_id)
        z, value = page.value_curve.getData()
        z_slope, slope = page.slope_curve.getData()
        np.testing.assert_array_equal(z, z_slope)
        assert z.min() < 0 < z.max() and len(z) > 100
        params = {name: s.value() for name, s in page.sliders.items()}
        assert params == {k: pytest.approx(v) for k, v in
                          registry.activations.get(activation_id).defaults.items()}
        expected_value, expected_slope = engine_curve(activation_id, params, z)
        np.testing.assert_allclose(value, expected_value, atol=1e-12, err_msg=activation_id)
        np.testing.assert_allclose(slope, expected_slope, atol=1e-12, err_msg=activation_id)
        note = note_for(activation_id)  # the notes beside the plot are the activation's
        assert html.escape(note.label) in page.notes.text()
        assert html.escape(note.use) in page.notes.text()
        assert page.slice_note.isVisible() == (activation_id == "softmax")


def test_moving_the_leaky_slope_slider_redraws_the_new_slope(window, qtbot):
    page = open_explorer(window, qtbot).curves
    click_activation(qtbot, page, "leaky_relu")
    assert set(page.sliders) == {"slope"}
    slider = page.sliders["slope"]
    before = page.value_curve.getData()[1].copy()
    slider.slider.setFocus()
    for _ in range(3):
        qtbot.keyClick(slider.slider, Qt.Key.Key_PageUp)
    slope = slider.value()
    assert slope > 0.1  # moved from the engine's 0.01
    z, value = page.value_curve.getData()
    negative = z < 0
    np.testing.assert_allclose(value[negative], slope * z[negative], atol=1e-12)
    np.testing.assert_allclose(value[~negative], z[~negative], atol=1e-12)
    np.testing.assert_allclose(page.slope_curve.getData()[1][negative], slope)
    assert not np.allclose(before, value)
    # typing a value in the spin box moves the slider and the curve as well
    slider.spin.selectAll()
    qtbot.keyClicks(slider.spin, "0.5")
    qtbot.keyClick(slider.spin, Qt.Key.Key_Return)
    assert slider.slider.value() == pytest.approx(slider.slider.maximum() * 0.5, abs=1)
    z, value = page.value_curve.getData()
    np.testing.assert_allclose(value[z < 0], 0.5 * z[z < 0], atol=1e-12)


def test_elu_and_rrelu_sliders_come_from_their_parameters(window, qtbot):
    page = open_explorer(window, qtbot).curves
    click_activation(qtbot, page, "elu")
    assert set(page.sliders) == {"alpha"} and page.sliders["alpha"].value() == pytest.approx(1.0)
    page.sliders["alpha"].slider.setValue(page.sliders["alpha"].slider.maximum())
    z, value = page.value_curve.getData()
    alpha = page.sliders["alpha"].value()
    assert value.min() == pytest.approx(alpha * np.expm1(z.min()))
    click_activation(qtbot, page, "rrelu")
    lower, upper = page.sliders["lower"], page.sliders["upper"]
    lower.slider.setValue(lower.slider.maximum())  # past upper: upper follows
    assert upper.value() == pytest.approx(lower.value())
    click_activation(qtbot, page, "relu")
    assert page.sliders == {} and page.no_parameters.isVisibleTo(page)


def test_the_table_has_a_full_row_for_every_activation(window, qtbot):
    explorer = open_explorer(window, qtbot)
    explorer.tabs.setCurrentWidget(explorer.table)
    table = explorer.table
    assert [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())] == \
        list(COLUMNS)
    ids = list(registry.activations)
    assert table.rowCount() == len(ids)
    for row, activation_id in enumerate(ids):
        assert table.item(row, 0).data(Qt.ItemDataRole.UserRole) == activation_id
        texts = [table.item(row, col).text().strip() for col in range(table.columnCount())]
        assert all(texts), (activation_id, texts)
        assert texts[1] == registry.activations.get(activation_id).formula
    rows = {table.item(r, 0).data(Qt.ItemDataRole.UserRole): r for r in range(table.rowCount())}
    assert "hidden" in table.item(rows["relu"], 4).text()
    assert "die" in table.item(rows["leaky_relu"], 4).text()
    assert "probabilities" in table.item(rows["softmax"], 4).text()
    assert "saturates" in table.item(rows["sigmoid"], 4).text()


def shown_accuracy(view) -> float:
    match = re.search(r"test accuracy <b>([\d.]+)%</b>", view.title.text())
    assert match, view.title.text()
    return float(match.group(1)) / 100


def test_the_identity_network_is_one_matrix_and_fails_xor_where_tanh_succeeds(window, qtbot):
    explorer = open_explorer(window, qtbot)
    page = explorer.linear
    explorer.tabs.setCurrentWidget(page)
    qtbot.mouseClick(page.train_button, Qt.MouseButton.LeftButton)
    assert not page.train_button.isEnabled()  # it trains in the background
    qtbot.waitUntil(lambda: page.trained, timeout=30000)
    assert page.train_button.isEnabled() and "trained for" in page.status.text()

    # beside the 2-4-4-1 network, the one matrix its trained weights make
    assert page.network.widths() == [2, 4, 4, 1] and page.single.widths() == [2, 1]
    kernels = page.network.kernels
    w, b = page.single.kernels[0], page.single.biases[0]
    np.testing.assert_array_equal(w, kernels[0] @ kernels[1] @ kernels[2])
    for value in w[:, 0]:
        assert f"{value:+.4f}" in page.product.text()
    # outputs side by side: the network's own and x·W + b, equal to float64 rounding
    for row in range(page.outputs.rowCount()):
        cells = [page.outputs.item(row, c).text() for c in range(5)]
        assert cells[2] == cells[3]
        assert abs(float(cells[4])) <= 1e-12
        x = np.array([float(cells[0]), float(cells[1])])
        assert float(cells[3]) == pytest.approx(float(x @ w[:, 0] + b[0]), abs=2e-3)
    largest = float(re.search(r"points: ([-+\d.e]+)", page.difference.text()).group(1))
    assert largest <= 1e-12

    # trained with the engine: the straight line fails XOR, tanh learns it
    linear, curved = page.boundaries["identity"], page.boundaries["tanh"]
    assert shown_accuracy(linear) <= 0.8
    assert shown_accuracy(curved) >= 0.95
    # both boundaries drawn, side by side; the linear one with its straight decision line
    for view in (linear, curved):
        assert view.image.image is not None and view.image.image.shape[:2] == (100, 100)
        assert len(view.train_points.data) + len(view.test_points.data) == len(view.run.X)
    assert linear.geometry().right() < curved.geometry().left()
    assert len(linear.line.getData()[0]) == 2 and curved.line.getData()[0] is None
    explorer.close()


def test_another_seed_redraws_untrained_networks(window, qtbot):
    explorer = open_explorer(window, qtbot)
    page = explorer.linear
    explorer.tabs.setCurrentWidget(page)
    before = page.single.kernels[0].copy()
    page.seed.setFocus()
    qtbot.keyClick(page.seed, Qt.Key.Key_Up)
    assert page.seed.value() == 1 and not page.trained
    assert not np.allclose(before, page.single.kernels[0])
    assert "Untrained" in page.status.text()
