"""The canvas as a person uses it: drop palette entries, wire ports, drag, delete, undo, and see problems."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QColor, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QGraphicsView

from core.design import registry
from core.design.design import Design
from gui.canvas import KIND_MIME, CanvasScene, CanvasView, style
from gui.canvas.items import BlockItem, InputItem, NeuronItem
from gui.canvas.view import FIT_LEAST_ZOOM
from gui.document.document import Document
from tests.gui.gestures import LEFT, MIDDLE, NO_MOD, at, drag, drop

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


@pytest.fixture
def canvas(qtbot):
    document = Document()
    scene = CanvasScene(document)
    view = CanvasView(scene)
    view.resize(1000, 700)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    view.resetTransform()
    view.centerOn(0, 0)
    yield document, scene, view
    document.autosave_timer.stop()








def palette_mime(kind: str, params: dict | None = None, label: str = "") -> QMimeData:
    mime = QMimeData()
    payload = {"kind": kind, "params": params or {}, "label": label}
    mime.setData(KIND_MIME, json.dumps(payload).encode("utf-8"))
    return mime


def pixel(view: CanvasView, scene_point: QPointF) -> QColor:
    image = view.grab().toImage()
    p = at(view, scene_point)
    scale = image.devicePixelRatio()
    return image.pixelColor(int(p.x() * scale), int(p.y() * scale))


# --------------------------------------------------------------------------- dropping palette entries
def test_dropping_palette_entries_adds_nodes_where_they_land(canvas):
    document, scene, view = canvas
    design = document.design
    entered, dropped = drop(view, palette_mime("input", {"feature": "x1^2"}, "x1²"), QPoint(300, 200))
    assert entered and dropped
    entered, dropped = drop(view, palette_mime("neuron", {"activation": "relu"}), QPoint(613, 357))

    (input_id, input_node), (neuron_id, neuron) = design.nodes.items()
    assert (input_node.kind, input_node.label, input_node.params["feature"]) == ("input", "x1²", "x1^2")
    where = view.mapToScene(QPoint(300, 200))
    assert input_node.position == (round(where.x() / 10) * 10, round(where.y() / 10) * 10)
    where = view.mapToScene(QPoint(613, 357))
    assert neuron.position == (round(where.x() / 10) * 10, round(where.y() / 10) * 10)
    assert neuron.params["activation"] == "relu"
    assert isinstance(scene.node_item(input_id), InputItem)
    assert isinstance(scene.node_item(neuron_id), NeuronItem)
    assert scene.node_item(neuron_id).pos() == QPointF(*neuron.position)
    assert document.undo_stack.count() == 2
    document.undo_stack.undo()
    assert scene.node_item(neuron_id) is None and neuron_id not in design.nodes


def test_foreign_drags_are_refused_and_design_files_are_passed_on(canvas, qtbot, tmp_path):
    document, scene, view = canvas
    text = QMimeData()
    text.setText("hello")
    assert drop(view, text, QPoint(100, 100)) == (False, False)
    unknown = palette_mime("warp_drive")
    messages = []
    scene.status_message.connect(messages.append)
    assert drop(view, unknown, QPoint(100, 100))[1] is False
    assert messages and "warp_drive" in messages[0]
    assert document.design.nodes == {}

    files = QMimeData()
    files.setUrls([QUrl.fromLocalFile(str(tmp_path / "spiral.ncanvas"))])
    with qtbot.waitSignal(view.file_dropped) as opened:
        assert drop(view, files, QPoint(100, 100)) == (True, True)
    assert opened.args == [str(tmp_path / "spiral.ncanvas")]
    other = QMimeData()
    other.setUrls([QUrl.fromLocalFile(str(tmp_path / "notes.txt"))])
    assert drop(view, other, QPoint(100, 100)) == (False, False)


def test_add_at_centre_places_nodes_in_view_without_stacking_them(canvas):
    document, scene, view = canvas
    first = view.add_at_centre("neuron", {"activation": "sigmoid"})
    second = view.add_at_centre("neuron")
    centre = view.mapToScene(view.viewport().rect().center())
    a, b = document.design.nodes[first], document.design.nodes[second]
    assert abs(a.position[0] - centre.x()) <= 5 and abs(a.position[1] - centre.y()) <= 5
    assert b.position[0] == a.position[0] and b.position[1] > a.position[1] + 40
    assert document.design.nodes[first].params["activation"] == "sigmoid"


# --------------------------------------------------------------------------- wiring
def test_wiring_an_output_port_to_an_input_port_connects_them(canvas):
    document, scene, view = canvas
    x = document.add_node("input", (0, 0), {"feature": "x1"})
    n = document.add_node("neuron", (200, 40))
    commands = document.undo_stack.count()
    source, target = scene.node_item(x), scene.node_item(n)

    drag(view, at(view, source.output_anchor()), at(view, target.input_anchor()))

    connections = list(document.design.connections.values())
    assert [(c.source, c.target) for c in connections] == [(x, n)]
    assert document.undo_stack.count() == commands + 1
    wire = scene.connection_item(connections[0].id)
    assert wire is not None and wire.source_item is source and wire.target_item is target
    assert wire.path().pointAtPercent(0) == source.output_anchor()
    assert wire.path().pointAtPercent(1) == target.input_anchor()
    assert scene.wiring.wire is None  # the temporary curve is gone


def test_wiring_into_an_input_node_is_refused_with_the_reason(canvas):
    document, scene, view = canvas
    n = document.add_node("neuron", (0, 0))
    x = document.add_node("input", (220, 0), {"feature": "x2"})
    messages: list[str] = []
    scene.status_message.connect(messages.append)
    commands = document.undo_stack.count()

    drag(view, at(view, scene.node_item(n).output_anchor()), at(view, QPointF(220, 0)))

    assert document.design.connections == {}
    assert document.undo_stack.count() == commands
    assert messages and "input takes no incoming connection" in messages[-1]
    assert x in document.design.nodes


def test_wiring_a_cycle_turns_the_wire_red_and_is_refused(canvas):
    document, scene, view = canvas
    x = document.add_node("input", (0, 0), {"feature": "x1"})
    a = document.add_node("neuron", (200, 0))
    b = document.add_node("neuron", (400, 0))
    document.connect(x, a)
    document.connect(a, b)
    before = dict(document.design.connections)
    messages: list[str] = []
    scene.status_message.connect(messages.append)

    viewport = view.viewport()
    start, end = at(view, scene.node_item(b).output_anchor()), at(view, scene.node_item(a).input_anchor())
    QTest.mousePress(viewport, LEFT, NO_MOD, start)
    QTest.mouseMove(viewport, start + QPoint(30, 60))
    assert scene.wiring.wire.pen().color().rgb() == style.theme().accent.rgb()  # nothing under it
    QTest.mouseMove(viewport, end)
    assert scene.wiring.wire.pen().color().rgb() == style.theme().error.rgb()
    assert messages and "cycle" in messages[-1]
    QTest.mouseRelease(viewport, LEFT, NO_MOD, end)

    assert document.design.connections == before
    assert "cycle" in messages[-1]


def test_wiring_a_dense_block_into_a_neuron_turns_red_and_is_refused_with_the_reason(canvas):
    document, scene, view = canvas
    dense = document.add_node("dense", (0, 0), {"units": 4})  # not wired itself yet
    n = document.add_node("neuron", (260, 0))
    messages: list[str] = []
    scene.status_message.connect(messages.append)
    commands = document.undo_stack.count()

    viewport = view.viewport()
    start, end = at(view, scene.node_item(dense).output_anchor()), at(view, scene.node_item(n).input_anchor())
    QTest.mousePress(viewport, LEFT, NO_MOD, start)
    QTest.mouseMove(viewport, start + (end - start) / 2)
    QTest.mouseMove(viewport, end)
    assert scene.wiring.wire.pen().color().rgb() == style.theme().error.rgb()
    assert messages and "neuron takes single numbers" in messages[-1]
    QTest.mouseRelease(viewport, LEFT, NO_MOD, end)

    assert document.design.connections == {}
    assert document.undo_stack.count() == commands
    assert "neuron takes single numbers" in messages[-1]


def test_a_refusal_does_not_outlive_the_next_gesture(canvas):
    document, scene, view = canvas
    x = document.add_node("input", (0, 0), {"feature": "x1"})
    a = document.add_node("neuron", (200, 0))
    b = document.add_node("neuron", (400, 0))
    document.connect(x, a)
    document.connect(a, b)
    shown: list[str] = []  # the status bar's line, as the window shows it
    scene.status_message.connect(lambda text: shown.append(text))
    commands = document.undo_stack.count()

    # starting a drag over its own node says nothing: the pointer is there because the drag began there
    viewport = view.viewport()
    start = at(view, scene.node_item(x).output_anchor())
    QTest.mousePress(viewport, LEFT, NO_MOD, start)
    QTest.mouseMove(viewport, start + QPoint(-4, 2))
    assert not any("itself" in text for text in shown)
    QTest.mouseRelease(viewport, LEFT, NO_MOD, start + QPoint(-4, 2))
    assert len(document.design.connections) == 2 and document.undo_stack.count() == commands

    # a refused wire says why …
    drag(view, at(view, scene.node_item(b).output_anchor()), at(view, scene.node_item(a).input_anchor()))
    assert "cycle" in shown[-1]
    # … and a wire made next clears the line
    drag(view, at(view, scene.node_item(x).output_anchor()), at(view, scene.node_item(b).input_anchor()))
    assert document.design.connection_between(x, b) is not None
    assert shown[-1] == ""

    # a refusal, then a drag of a node: the reason goes with the next gesture too
    drag(view, at(view, scene.node_item(b).output_anchor()), at(view, scene.node_item(a).input_anchor()))
    assert "cycle" in shown[-1]
    drag(view, at(view, QPointF(400, -8)), at(view, QPointF(400, 72)))
    assert document.design.nodes[b].position == (400.0, 80.0)
    assert shown[-1] == ""

    # Escape ends a drag that was refused under the pointer: nothing is left said
    start, end = at(view, scene.node_item(b).output_anchor()), at(view, scene.node_item(a).input_anchor())
    QTest.mousePress(viewport, LEFT, NO_MOD, start)
    QTest.mouseMove(viewport, end)
    assert "cycle" in shown[-1]
    QTest.keyClick(viewport, Qt.Key.Key_Escape)
    assert not scene.wiring.active and shown[-1] == ""
    QTest.mouseRelease(viewport, LEFT, NO_MOD, end)


def test_hovering_a_port_highlights_it(canvas):
    document, scene, view = canvas
    n = document.add_node("neuron", (0, 0))
    port = scene.node_item(n).output_port
    QTest.mouseMove(view.viewport(), at(view, QPointF(150, 150)))
    assert not port.highlighted
    QTest.mouseMove(view.viewport(), at(view, port.scenePos()))
    assert port.highlighted
    QTest.mouseMove(view.viewport(), at(view, QPointF(150, 150)))
    assert not port.highlighted


# --------------------------------------------------------------------------- moving
def test_dragging_a_node_is_one_snapped_undoable_move(canvas):
    document, scene, view = canvas
    x = document.add_node("input", (0, 0), {"feature": "x1"})
    n = document.add_node("neuron", (200, 0))
    c = document.connect(x, n)
    commands = document.undo_stack.count()
    item, wire = scene.node_item(n), scene.connection_item(c)

    start = at(view, QPointF(200, -8))  # on the circle, clear of the ports
    drag(view, start, start + QPoint(53, 27), steps=8)

    assert document.undo_stack.count() == commands + 1
    assert document.design.nodes[n].position == (250.0, 30.0)
    assert item.pos() == QPointF(250, 30)
    assert wire.path().pointAtPercent(1) == item.input_anchor()  # the wire followed
    assert not wire.live  # back in the cached background once the drag ended

    document.undo_stack.undo()
    assert document.design.nodes[n].position == (200.0, 0.0)
    assert item.pos() == QPointF(200, 0)
    assert wire.path().pointAtPercent(1) == QPointF(200 - 22, 0)


def test_dragging_several_selected_nodes_moves_them_together(canvas):
    document, scene, view = canvas
    a = document.add_node("neuron", (0, 0))
    b = document.add_node("neuron", (0, 100))
    scene.select_ids([a, b])
    commands = document.undo_stack.count()
    start = at(view, QPointF(0, -8))
    drag(view, start, start + QPoint(100, 0))
    assert document.undo_stack.count() == commands + 1
    assert document.design.nodes[a].position == (100.0, 0.0)
    assert document.design.nodes[b].position == (100.0, 100.0)


def test_a_click_without_moving_pushes_nothing(canvas):
    document, scene, view = canvas
    n = document.add_node("neuron", (0, 0))
    commands = document.undo_stack.count()
    QTest.mouseClick(view.viewport(), LEFT, NO_MOD, at(view, QPointF(0, -8)))
    assert document.undo_stack.count() == commands
    assert scene.selected_node_ids() == [n]


# --------------------------------------------------------------------------- selection and delete
def test_click_shift_click_and_rubber_band_select(canvas):
    document, scene, view = canvas
    a = document.add_node("neuron", (0, 0))
    b = document.add_node("neuron", (150, 0))
    c = document.add_node("neuron", (0, 200))
    QTest.mouseClick(view.viewport(), LEFT, NO_MOD, at(view, QPointF(0, -8)))
    QTest.mouseClick(view.viewport(), LEFT, Qt.KeyboardModifier.ShiftModifier, at(view, QPointF(150, -8)))
    assert sorted(scene.selected_node_ids()) == sorted([a, b])
    QTest.mouseClick(view.viewport(), LEFT, NO_MOD, at(view, QPointF(0, 192)))
    assert scene.selected_node_ids() == [c]

    drag(view, at(view, QPointF(-60, -60)), at(view, QPointF(210, 60)))  # from the background
    assert sorted(scene.selected_node_ids()) == sorted([a, b])
    assert all(n.position == p for n, p in zip(document.design.nodes.values(),
                                                 [(0.0, 0.0), (150.0, 0.0), (0.0, 200.0)], strict=True))
    scene.select_ids([c])
    assert scene.selected_node_ids() == [c]


def test_delete_key_removes_the_node_and_its_wires_and_undo_brings_them_back(canvas, qtbot):
    document, scene, view = canvas
    x = document.add_node("input", (0, 0), {"feature": "x1"})
    n = document.add_node("neuron", (200, 0))
    m = document.add_node("neuron", (400, 0))
    c1, c2 = document.connect(x, n), document.connect(n, m)
    document.set_weight(c1, 0.5)
    before = document.design.copy()

    QTest.mouseClick(view.viewport(), LEFT, NO_MOD, at(view, QPointF(200, -8)))
    assert scene.selected_node_ids() == [n]
    QTest.keyClick(view, Qt.Key.Key_Delete)

    assert n not in document.design.nodes and document.design.connections == {}
    assert scene.node_item(n) is None
    assert scene.connection_item(c1) is None and scene.connection_item(c2) is None
    document.undo_stack.undo()
    assert document.design == before
    assert scene.node_item(n) is not None
    assert scene.connection_item(c1).record.weight == 0.5
    assert scene.connection_item(c2).source_item is scene.node_item(n)

    scene.select_ids([c2])  # a wire alone, with Backspace
    QTest.keyClick(view, Qt.Key.Key_Backspace)
    assert c2 not in document.design.connections and n in document.design.nodes


# --------------------------------------------------------------------------- what is drawn
def test_weights_show_as_wire_width_and_colour(canvas, qtbot):
    document, scene, view = canvas
    x = document.add_node("input", (0, 0), {"feature": "x1"})
    a = document.add_node("neuron", (300, -100))
    b = document.add_node("neuron", (300, 100))
    ca, cb = document.connect(x, a), document.connect(x, b)
    wire_a, wire_b = scene.connection_item(ca), scene.connection_item(cb)
    assert wire_a.pen().style() == Qt.PenStyle.DashLine  # not set yet

    document.set_weight(ca, 0.8)
    qtbot.waitUntil(lambda: scene.weight_scale == pytest.approx(0.8))  # restyled once, after
    pen = wire_a.pen()
    assert pen.style() == Qt.PenStyle.SolidLine
    assert pen.color().blue() > pen.color().red()  # positive: blue
    assert pen.widthF() == pytest.approx(6.0)  # the largest weight
    middle = wire_a.path().pointAtPercent(0.5)
    drawn = pixel(view, middle)
    assert drawn.blue() > drawn.red() + 60

    document.set_weight(cb, -1.6)
    qtbot.waitUntil(lambda: scene.weight_scale == pytest.approx(1.6))
    pen_b, pen_a = wire_b.pen(), wire_a.pen()
    assert pen_b.color().red() > pen_b.color().blue()  # negative: orange
    assert pen_b.widthF() == pytest.approx(6.0)
    assert pen_a.widthF() == pytest.approx(1 + 5 * 0.8 / 1.6)  # now half the largest
    drawn = pixel(view, wire_b.path().pointAtPercent(0.5))
    assert drawn.red() > drawn.blue() + 60

    weights = document.design.snapshot_weights()
    weights["connections"][ca] = 0.1
    document.design.restore_weights(weights)  # a bulk update, as training sends back
    assert wire_a.pen().widthF() == pytest.approx(1 + 5 * 0.1 / 1.6)
    assert "0.10" in wire_a.toolTip()


def test_layer_level_wires_are_neutral(canvas):
    document, scene, view = canvas
    d = document.add_node("data", (0, 0), {}, "8×8 pixels")
    dense = document.add_node("dense", (250, 0), {"units": 64, "activation": "relu"})
    wire = scene.connection_item(document.connect(d, dense))
    assert isinstance(scene.node_item(dense), BlockItem)
    assert scene.node_item(dense).title() == "Dense 64 · relu"
    assert scene.node_item(d).input_port is None
    assert wire.layer_level and wire.pen().style() == Qt.PenStyle.SolidLine
    assert wire.pen().color() == style.theme().layer_wire


def test_validation_problems_mark_items(canvas, qtbot):
    document, scene, view = canvas
    x = document.add_node("input", (0, 0), {"feature": "x1"})
    n = document.add_node("neuron", (200, 0), {"activation": "sigmoid"})
    with qtbot.waitSignal(document.validated):
        pass
    lonely, neuron = scene.node_item(x), scene.node_item(n)
    assert lonely.badge.isVisible() and lonely.badge.severity == "warning"
    assert "not connected" in lonely.badge.toolTip()
    assert neuron.badge.isVisible() and neuron.badge.severity == "error"
    assert "no incoming connection" in neuron.badge.toolTip()
    assert "no incoming connection" in neuron.toolTip()

    c = document.connect(x, n)
    document.validate_now()
    assert not lonely.badge.isVisible() and not neuron.badge.isVisible()

    document.design.set_weight(c, float("nan"))  # a broken file could bring one in
    document.validate_now()
    wire = scene.connection_item(c)
    assert wire.pen().color() == style.theme().error
    assert "not a finite number" in wire.toolTip()


def test_neuron_shows_its_bias_and_every_activation_has_a_glyph(canvas):
    document, scene, view = canvas
    n = document.add_node("neuron", (0, 0))
    item = scene.node_item(n)
    assert item.bias_text() == "b = 0"
    document.set_node_params(n, bias=-0.25)
    assert item.bias_text() == "b = −0.25"
    for activation in registry.activations:
        curve, axes = style.activation_glyph(activation, {}, 26, 18)
        box = curve.boundingRect()
        assert box.width() == pytest.approx(26) and box.height() <= 18.01, activation
    assert style.activation_glyph("nonsense", {}, 26, 18) is None
    assert style.pretty_feature("x1^2") == "x1²" and style.pretty_feature("x1*x2") == "x1·x2"


# --------------------------------------------------------------------------- whole designs
def test_scene_rebinds_when_the_document_replaces_its_design(canvas):
    document, scene, view = canvas
    old = document.design
    stale = document.add_node("neuron", (0, 0))
    design = Design()
    x = design.add_node("input", {"feature": "x1"}, (0, 0)).id
    n = design.add_node("neuron", {}, (160, 0)).id
    c = design.add_connection(x, n, 0.3).id

    document.replace_design(design, None)

    assert scene.node_item(stale) is None
    assert scene.node_item(x) is not None and scene.connection_item(c).record.weight == 0.3
    old.add_node("neuron", {}, (500, 500))  # the old design no longer reaches the scene
    assert len(scene.node_items()) == 2
    added = document.add_node("neuron", (320, 0))
    assert scene.node_item(added) is not None
    rect = view.mapToScene(view.viewport().rect()).boundingRect()
    assert rect.contains(scene.node_item(x).sceneBoundingRect())  # fitted to the new design


def test_open_example_file(canvas):
    document, scene, view = canvas
    document.open(str(EXAMPLES / "xor.ncanvas"))
    assert {i.node_id for i in scene.node_items()} == set(document.design.nodes)
    assert {i.connection_id for i in scene.connection_items()} == set(document.design.connections)
    assert not view.grab().isNull()


def test_zoom_and_pan(canvas):
    document, scene, view = canvas
    a = document.add_node("neuron", (-600, -400))
    b = document.add_node("neuron", (900, 500))
    view.zoom_in()
    assert view.zoom() == pytest.approx(1.25)
    view.zoom_out()
    view.zoom_out()
    assert view.zoom() == pytest.approx(0.8)
    view.fit_to_view()  # 1,500 × 900 apart: fitting both would make the text unreadable …
    rect = view.mapToScene(view.viewport().rect()).boundingRect()
    assert view.zoom() == pytest.approx(FIT_LEAST_ZOOM)
    assert rect.contains(scene.node_item(a).sceneBoundingRect())  # … the start shows
    assert not rect.contains(scene.node_item(b).sceneBoundingRect())  # the rest is a scroll away

    view.set_zoom(1.0, QGraphicsView.ViewportAnchor.AnchorViewCenter)
    fixed = QPoint(500, 350)
    before = view.mapToScene(fixed)
    drag(view, QPoint(200, 200), QPoint(260, 240), button=MIDDLE)
    after = view.mapToScene(fixed)
    assert after.x() == pytest.approx(before.x() - 60, abs=1)
    assert after.y() == pytest.approx(before.y() - 40, abs=1)
    assert scene.selected_node_ids() == []

    QTest.keyPress(view, Qt.Key.Key_Space)  # space + left drag pans too, even over a node
    start = at(view, QPointF(-600, -408))
    drag(view, start, start + QPoint(-50, 0))
    QTest.keyRelease(view, Qt.Key.Key_Space)
    assert view.mapToScene(fixed).x() == pytest.approx(after.x() + 50, abs=1)
    assert document.design.nodes[a].position == (-600.0, -400.0)


def test_wheel_zooms_around_the_cursor(canvas):
    document, scene, view = canvas
    cursor = QPoint(700, 200)
    under = view.mapToScene(cursor)
    event = QWheelEvent(QPointF(cursor), QPointF(view.viewport().mapToGlobal(cursor)), QPoint(0, 0),
                        QPoint(0, 240), Qt.MouseButton.NoButton, NO_MOD, Qt.ScrollPhase.NoScrollPhase,
                        False)
    QApplication.sendEvent(view.viewport(), event)
    assert view.zoom() == pytest.approx(1.15 ** 2)
    now = view.mapToScene(cursor)
    assert now.x() == pytest.approx(under.x(), abs=2) and now.y() == pytest.approx(under.y(), abs=2)


def test_a_large_design_builds_and_paints(qtbot):
    random.seed(0)
    design = Design()
    inputs = [design.add_node("input", {"feature": f"x{i + 1}"}, (0, i * 70)).id for i in range(2)]
    columns = [[design.add_node("neuron", {}, (200 * (c + 1), r * 60)).id for r in range(count)]
               for c, count in enumerate((100, 100, 98))]
    pairs = [(s, t) for s in inputs for t in columns[0]]
    pairs += [(s, t) for left, right in zip(columns, columns[1:], strict=False)
              for s in left for t in right]
    chosen = pairs[:200] + random.sample(pairs[200:], 4800)
    for s, t in chosen:
        design.add_connection(s, t, random.uniform(-1, 1))
    document = Document(design)
    scene = CanvasScene(document)
    view = CanvasView(scene)
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    view.fit_to_view()
    assert len(scene.node_items()) == 300 and len(scene.connection_items()) == 5000
    assert not view.grab().isNull()
    item = scene.node_item(columns[1][50])
    document.move({item.node_id: (item.record.position, (230.0, 3000.0))})
    assert all(w.path().pointAtPercent(1) == item.input_anchor() for w in item.wires
               if w.target_item is item)
    document.autosave_timer.stop()


# --------------------------------------------------------------------------- big designs
def big_view(qtbot) -> tuple[Document, CanvasScene, CanvasView, str]:
    """300 neurons and 5,000 wires, plus one lone wire far below (returned) to look at."""
    random.seed(1)
    design = Design()
    columns = [[design.add_node("neuron", {}, (220 * c, 60 * r)).id for r in range(60)] for c in range(5)]
    pairs = [(s, t) for left, right in zip(columns, columns[1:], strict=False) for s in left for t in right]
    for s, t in random.sample(pairs, 5000):
        design.add_connection(s, t, random.uniform(-1, 1))
    x = design.add_node("input", {"feature": "x1"}, (0, 6000)).id
    n = design.add_node("neuron", {}, (400, 6000)).id
    lone = design.add_connection(x, n, 1.0).id
    document = Document(design)
    scene = CanvasScene(document)
    view = CanvasView(scene)
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    qtbot.waitExposed(view)
    view.resetTransform()
    view.centerOn(200, 6000)
    return document, scene, view, lone


def hue_distance(a: QColor, b: QColor) -> float:
    return abs(a.redF() - b.redF()) + abs(a.greenF() - b.greenF()) + abs(a.blueF() - b.blueF())


def test_a_big_design_draws_its_wires_from_one_picture_kept_up_to_date(qtbot, monkeypatch):
    document, scene, view, lone = big_view(qtbot)
    view.grab()
    scene.wire_layer.finish()
    assert scene.wire_layer.active and scene.wire_layer.image is not None
    wire = scene.connection_item(lone)
    middle = wire.path().pointAtPercent(0.5)
    t = style.theme()
    assert hue_distance(pixel(view, middle), t.positive) < hue_distance(pixel(view, middle), t.negative)

    strokes = []
    real_draw = type(wire).draw
    monkeypatch.setattr(type(wire), "draw", lambda self, *a, **k: (strokes.append(self),
                                                                    real_draw(self, *a, **k)))
    view.centerOn(260, 5990)  # a pan copies the picture: no wire is stroked again
    view.grab()
    assert strokes == []

    document.set_weight(lone, -1.0)  # one weight changes: that wire alone is drawn again
    view.grab()
    assert strokes and set(strokes) <= {wire} | {w for w in scene.connection_items()
                                                 if w.boundingRect().intersects(wire.boundingRect())}
    assert hue_distance(pixel(view, middle), t.negative) < hue_distance(pixel(view, middle), t.positive)
    document.autosave_timer.stop()


def test_a_big_design_zooms_by_scaling_the_last_frame_until_the_wheel_rests(qtbot):
    document, scene, view, _lone = big_view(qtbot)
    view.grab()
    before = view.zoom()
    where = QPointF(view.viewport().rect().center())
    for _ in range(3):
        event = QWheelEvent(where, QPointF(view.viewport().mapToGlobal(where.toPoint())), QPoint(0, 0),
                            QPoint(0, 120), Qt.MouseButton.NoButton, NO_MOD, Qt.ScrollPhase.NoScrollPhase,
                            False)
        QApplication.sendEvent(view.viewport(), event)
    assert view.zoom() == pytest.approx(before * 1.15 ** 3)
    assert view.showing_snapshot  # the frame from before the wheel turned, scaled
    assert not view.grab().isNull()
    qtbot.waitUntil(lambda: not view.showing_snapshot, timeout=2000)  # rested: drawn sharp again
    view.grab()  # the next frame asks for a sharp picture of the wires at the new zoom
    assert scene.wire_layer.busy
    qtbot.waitUntil(lambda: not scene.wire_layer.busy, timeout=20000)
    assert scene.wire_layer.scale == pytest.approx(view.zoom())
    document.autosave_timer.stop()


def test_resting_the_pointer_on_a_wire_shows_its_weight(canvas):
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QToolTip

    document, scene, view = canvas
    x = document.add_node("input", (0, 0), {"feature": "x1"})
    n = document.add_node("neuron", (300, 80))
    conn = document.connect(x, n)
    document.set_weight(conn, -0.25)
    where = at(view, scene.connection_item(conn).path().pointAtPercent(0.5))
    QApplication.sendEvent(view.viewport(), QHelpEvent(QEvent.Type.ToolTip, where,
                                                       view.viewport().mapToGlobal(where)))
    assert QToolTip.text() == "weight −0.25"  # a true minus sign
    QToolTip.hideText()


def test_each_block_shows_the_shape_it_passes_on(canvas):
    document, scene, _view = canvas
    document.open(str(EXAMPLES / "digits_mlp.ncanvas"))
    design = document.design
    data, hidden, out = (n for n in design.nodes)
    assert scene.node_item(data).subtitle() == "8×8 pixels → 64"
    assert scene.node_item(hidden).subtitle() == "64 → 64"  # what comes in → what goes on
    document.set_node_params(hidden, units=32)
    document.validate_now()
    assert scene.node_item(hidden).subtitle() == "64 → 32"
    assert scene.node_item(out).subtitle() == "32 → 10"
    port = scene.node_item(out).input_port
    assert port.toolTip() == "takes 32 per sample"
    assert scene.node_item(hidden).output_port.toolTip() == "gives 32 per sample"


def test_a_skip_connection_is_wired_into_an_add_block_and_a_misfit_is_refused(canvas):
    document, scene, view = canvas
    document.set_dataset("digits", {})
    data = document.add_node("data", (-400, 0))
    image = document.add_node("reshape", (-250, 0), {"shape": "8,8,1"})
    a = document.add_node("conv2d", (-100, 0), {"filters": 4})
    b = document.add_node("conv2d", (50, 120), {"filters": 4})
    c = document.add_node("conv2d", (50, -140), {"filters": 6})
    add = document.add_node("add", (250, 0))
    for source, target in ((data, image), (image, a), (a, b), (a, c)):
        document.connect(source, target)
    messages: list[str] = []
    scene.status_message.connect(messages.append)
    view.centerOn(0, 0)

    drag(view, at(view, scene.node_item(b).output_anchor()), at(view, scene.node_item(add).input_anchor()))
    drag(view, at(view, scene.node_item(a).output_anchor()), at(view, scene.node_item(add).input_anchor()))
    assert [conn.source for conn in document.design.incoming(add)] == [b, a]
    document.validate_now()
    assert scene.node_item(add).subtitle() == "8×8×4 + 8×8×4 → 8×8×4"  # written on the block
    assert scene.node_item(add).input_port.toolTip() == "takes 8×8×4 + 8×8×4 per sample"

    drag(view, at(view, scene.node_item(c).output_anchor()), at(view, scene.node_item(add).input_anchor()))
    assert [conn.source for conn in document.design.incoming(add)] == [b, a]  # refused
    assert messages and "Add needs inputs of one shape" in messages[-1] and "8×8×6" in messages[-1]
