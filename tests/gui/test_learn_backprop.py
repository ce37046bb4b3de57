"""Learn → Backpropagation Step by Step, driven as a person would: the menu entry, Next Phase,
a wire clicked on the canvas, Apply, Undo, the deep sigmoid demonstration. What the canvas shows
is held against core/learn/backprop_steps.py's own numbers for the same step."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDockWidget, QStyleOptionGraphicsItem

from core.learn.backprop_steps import forward_backward, make_trainer, next_batch
from gui.canvas import style
from gui.learn.backprop import canvas
from gui.learn.backprop.text import num, short
from gui.learn.backprop.view import BackpropView
from resources import EXAMPLES

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def learn(window):
    """The window, its backpropagation view and a function that opens an example there."""
    view = window.findChild(BackpropView, "backprop_view")

    def open_example(name: str) -> None:
        assert window.open_path(str(EXAMPLES / f"{name}.ncanvas"))

    yield window, view, open_example
    window.live.shutdown()


def enter(window) -> None:
    """Learn → Backpropagation Step by Step, from the menu bar."""
    (action,) = [a for a in window.learn_menu.actions()
                 if a.text().replace("&", "") == "Backpropagation Step by Step"]
    action.trigger()


def click(button) -> None:
    QTest.mouseClick(button, LEFT)


def expected(window, kind: str = "sample"):
    """core's numbers for the step the view shows (the design as it is now)."""
    trainer = make_trainer(window.document.design)
    return forward_backward(trainer.build, trainer.design, next_batch(trainer, kind))


def overlay_values(item) -> dict[str, float]:
    return dict(item.overlay.values)


def test_the_phases_advance_in_order_and_the_canvas_shows_cores_numbers(learn):
    window, view, open_example = learn
    open_example("xor")
    enter(window)
    dock = window.findChild(QDockWidget, "backpropagation_dock")
    assert dock.isVisible() and view.active
    assert view.phase == 1 and "bold" in view.phase_labels[0].styleSheet()
    scene, step = window.scene, expected(window)
    assert all(c.weight is not None for c in window.document.design.connections.values())
    for nid in step.neurons:  # 1 · forward: z and a, written inside each neuron
        item, shown = scene.node_item(nid), step.shown(nid)
        assert overlay_values(item) == {"z": shown["z"], "a": shown["a"]}
        assert item.overlay.lines == (("z", canvas.in_circle(shown["z"])),
                                      ("a", canvas.in_circle(shown["a"])))
    for nid, values in step.inputs.items():
        assert overlay_values(scene.node_item(nid)) == {"a": float(values[0])}
    assert all(w.overlay is None for w in scene.connection_items())  # the weights still show
    assert "1 · Forward" in view.text.toPlainText()

    click(view.next_button)  # 2 · the loss
    assert view.phase == 2 and "bold" in view.phase_labels[1].styleSheet()
    out = scene.node_item(step.network.outputs[0])
    assert f"L = {short(step.loss)}" in out.overlay.note
    assert f"L = {num(step.loss)}" in view.text.toPlainText()

    click(view.next_button)  # 3 · backward: gradients on neurons and wires, coloured
    assert view.phase == 3 and view.legend.isVisible()
    for nid in step.neurons:
        shown = step.shown(nid)
        assert overlay_values(scene.node_item(nid)) == {k: shown[k] for k in ("z", "a", "da", "dz")}
    theme = style.theme()
    for cid, grad in step.wire_grads.items():
        wire = scene.connection_item(cid)
        assert wire.overlay.value == grad and f"{grad:.6g}" in wire.toolTip()
        colour = wire.pen().color()
        if grad > 0:
            assert colour.rgb() == theme.gradient_positive.rgb()
        elif grad < 0:
            assert colour.rgb() == theme.gradient_negative.rgb()
        else:
            assert wire.pen().style() == Qt.PenStyle.DashLine  # no gradient flows
    biggest = max(step.wire_grads, key=lambda c: abs(step.wire_grads[c]))
    assert scene.connection_item(biggest).pen().color().alpha() == 255

    click(view.next_button)  # 4 · the update, for the first input's wire into h1 by default
    assert view.phase == 4 and view.next_button.text() == "Next Phase: Apply"
    assert scene.selected_connection_ids() == [view.selected]
    assert "The chain rule" in view.text.toPlainText()


def test_a_clicked_wires_chain_rule_then_apply_and_one_undo(learn, qtbot):
    window, view, open_example = learn
    open_example("circle")
    window.document.set_training(optimizer="sgd", learning_rate=0.3)
    enter(window)
    step = expected(window)
    click(view.next_button)
    click(view.next_button)
    assert view.phase == 3
    design, scene = window.document.design, window.scene
    first_input = next(n for n in design.nodes.values() if n.kind == "input")
    wire = scene.connection_item(design.outgoing(first_input.id)[2].id)
    where = window.view.mapFromScene(wire.path().pointAtPercent(0.5))
    QTest.mouseClick(window.view.viewport(), LEFT, Qt.KeyboardModifier.NoModifier, where)
    (cid,) = scene.selected_connection_ids()
    assert design.connections[cid].source in step.inputs  # a first-layer wire
    click(view.next_button)
    assert view.phase == 4 and view.selected == cid
    w, g = design.connections[cid].weight, step.wire_grads[cid]
    written = view.text.toPlainText()
    target = design.connections[cid].target
    delta, x = float(step.neurons[target].dz[0]), float(step.value(design.connections[cid].source)[0])
    for number in (delta, x, g, w, w - 0.3 * g):  # the chain rule's numbers and the update's
        assert num(number).replace("<sup>", "").replace("</sup>", "") in written, number
    assert "w − η·∂L/∂w" in written

    undo_steps = window.document.undo_stack.count()
    click(view.next_button)  # Apply
    assert window.document.undo_stack.count() == undo_steps + 1
    assert design.connections[cid].weight == pytest.approx(w - 0.3 * g, rel=1e-12, abs=1e-15)
    assert design.state.step == 1 and view.phase == 1
    assert "Applied step 1" in view.text.toPlainText()
    window.act_undo.trigger()
    assert design.connections[cid].weight == w and design.state.step == 0
    qtbot.waitUntil(lambda: view.phase == 1 and view.step.network.weights[cid] == w)


def test_a_mini_batch_shows_means_and_finish_takes_the_whole_step(learn):
    window, view, open_example = learn
    open_example("xor")
    enter(window)
    view.mini_batch.click()
    assert view.phase == 1 and view.batch.kind == "batch"
    step = expected(window, "batch")
    assert len(step.batch.rows) == window.document.design.training.batch_size
    for nid in step.neurons:
        assert overlay_values(window.scene.node_item(nid))["z"] == pytest.approx(
            float(step.neurons[nid].z.mean()), abs=1e-15)
    click(view.finish_button)
    design = window.document.design
    assert view.phase == 1 and design.state.step == 1
    assert design.state.cursor == design.training.batch_size  # the epoch goes on from there


def test_the_deep_sigmoid_demo_shows_vanishing_gradients_by_colour(learn):
    window, view, _open = learn
    enter(window)
    click(view.demo_button)
    design = window.document.design
    assert sum(n.kind == "neuron" for n in design.nodes.values()) == 25
    assert view.phase == 3 and "Deep sigmoid network" in view.text.toPlainText()
    net, scene = view.step.network, window.scene

    def layer_wires(layer):
        return [scene.connection_item(c) for nid in layer for c, _ in net.units[nid].incoming]

    def intensity(wires):  # how strongly the wires are drawn: opacity times width
        return sum(w.pen().color().alphaF() * w.pen().widthF() for w in wires) / len(wires)

    first, last = layer_wires(net.layers[0]), layer_wires(net.layers[-1])
    assert intensity(first) < intensity(last) / 4
    assert max(w.pen().color().alpha() for w in first) < min(w.pen().color().alpha() for w in last)
    mean = [sum(abs(w.overlay.value) for w in ws) / len(ws) for ws in (first, last)]
    assert mean[0] < mean[1] / 100


def test_a_design_with_blocks_is_explained_and_leave_clears_the_canvas(learn):
    window, view, open_example = learn
    open_example("digits_mlp")
    enter(window)
    assert view.phase == 0 and "neuron by neuron" in view.text.toPlainText()
    assert not view.finish_button.isEnabled()
    open_example("xor")  # the view follows the design that is open
    QTest.qWait(20)
    assert view.phase == 1
    click(view.leave_button)
    assert not view.active and not window.findChild(QDockWidget, "backpropagation_dock").isVisible()
    assert all(i.overlay is None for i in window.scene.node_items())


def test_entering_while_training_runs_pauses_it_first(learn, qtbot):
    window, view, open_example = learn
    open_example("xor")
    window.document.set_training(epochs=100000, target_accuracy=None)
    controller = window.live.controller
    window.live.bar.act_play.trigger()
    qtbot.waitUntil(lambda: controller.last is not None and controller.last.step > 5, timeout=20000)
    enter(window)
    qtbot.waitUntil(lambda: not controller.running and view.phase == 1, timeout=20000)
    assert view.step.network.weights == {c: conn.weight for c, conn in
                                         window.document.design.connections.items()}


def ink_outside_the_circle(item, scale: int = 4) -> list[tuple[float, float]]:
    """Render a neuron with its numbers (its ports are children, not drawn here) at `scale`×, on
    a transparent ground with a fill no text has; return where text lands (in item units) beyond
    the circle's inside edge or on a port, between the circle's top and bottom (the name above
    and the bias below lie outside it by design)."""
    radius = item.RADIUS
    size = int(2 * (radius + 30) * scale)
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.translate(size / 2, size / 2)
    painter.scale(scale, scale)
    item.paint(painter, QStyleOptionGraphicsItem())
    painter.end()
    fill = item.overlay.fill
    port = item.input_port.RADIUS
    border = 1.5  # the circle's pen, and its antialiased edge
    hits = []
    for py in range(0, size, 2):
        y = (py - size / 2) / scale
        if abs(y) > radius:
            continue
        for px in range(0, size, 2):
            x = (px - size / 2) / scale
            colour = image.pixelColor(px, py)
            if colour.alpha() == 0:
                continue
            d = (x * x + y * y) ** 0.5
            on_border = abs(d - radius) <= border
            text = not on_border and (d > radius or max(abs(colour.red() - fill.red()), abs(
                colour.green() - fill.green()), abs(colour.blue() - fill.blue())) > 40)
            near_port = min(((x - s * radius) ** 2 + y * y) ** 0.5 for s in (-1, 1)) <= port + 1
            if text and (d > radius - border or near_port):
                hits.append((round(x, 1), round(y, 1)))
    return hits


@pytest.mark.parametrize("values", [(-1.7123, -4.2511), (-0.01234, 0.5678), (-1.234e-5, 12345.6),
                                    (-123.45, -0.0009876)])
def test_the_numbers_in_a_neuron_stay_inside_its_circle(learn, values):
    window, view, open_example = learn
    open_example("xor")
    enter(window)
    nid = next(iter(expected(window).neurons))
    item = window.scene.node_item(nid)
    for phase in (1, 3):  # "z", "a" and the wider "∂a", "∂z"
        symbols = ("z", "a") if phase == 1 else ("∂a", "∂z")
        overlay = replace(item.overlay, fill=QColor(200, 225, 255),
                          lines=tuple((s, canvas.in_circle(v)) for s, v in zip(symbols, values, strict=True)))
        item.set_overlay(overlay)
        assert ink_outside_the_circle(item) == [], overlay.lines


@pytest.mark.parametrize("size", [(1280, 800), (1600, 1000)])
def test_the_explanation_reads_whole_in_a_pane_that_scrolls(learn, qtbot, size):
    window, view, open_example = learn
    window.resize(*size)
    open_example("xor")
    enter(window)
    for _ in range(3):
        click(view.next_button)
    assert view.phase == 4 and "The chain rule" in view.text.toPlainText()
    qtbot.wait(20)
    text = view.text
    document = text.document().size().height()
    # the explanation is as tall as its wrapped lines: no slit with a scroll bar of its own …
    assert text.height() >= document and text.verticalScrollBar().maximum() == 0
    # … the pane around it scrolls to its end, and shows a good part of it at once
    pane = view.pane
    bottom = text.mapTo(pane.widget(), text.rect().bottomLeft()).y()
    assert pane.widget().height() >= bottom
    assert pane.verticalScrollBar().maximum() >= bottom - pane.viewport().height()
    shown = text.visibleRegion().boundingRect().height()
    assert shown >= 5 * text.fontMetrics().lineSpacing()
