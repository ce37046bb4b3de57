"""The backpropagation view on the canvas: each phase's numbers laid over the neurons and wires
(gui/canvas/overlays.py), and the legend of the gradient colours."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QLinearGradient, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from core.learn.backprop_chain import ChainRule
from core.learn.backprop_steps import Pass
from gui.canvas import style
from gui.canvas.overlays import NodeOverlay, WireOverlay
from gui.learn.backprop.text import Names, short

DIMMED = 0.3  # how much of its colour a wire off the selected wire's paths keeps


def in_circle(v: float) -> str:
    """A number inside a neuron: two figures at most, a true minus sign (0.57, −1.7, −0.012, 12,
    5e−3); the tooltip and the explanation give it in full."""
    if v == 0 or not math.isfinite(v):
        return short(v)
    a = abs(v)
    if a < 0.01 or a >= 1000:
        mantissa, exponent = f"{v:.0e}".split("e")
        text = f"{mantissa}e{int(exponent)}"
    elif a < 0.1:
        text = f"{v:.3f}"
    elif a < 1:
        text = f"{v:.2f}"
    elif a < 10:
        text = f"{v:.1f}"
    else:
        text = f"{v:.0f}"
    return text.replace("-", "−")


def clear(scene) -> None:
    """Every node and wire back to its usual look."""
    with scene.batched_background():
        for item in scene.node_items():
            item.set_overlay(None)
        for item in scene.connection_items():
            item.set_overlay(None)


def largest(step: Pass) -> tuple[float, float]:
    """The scales of the colours: the largest |∂L/∂w| and the largest |∂L/∂z| shown."""
    w = max((abs(g) for g in step.wire_grads.values()), default=0.0)
    z = max((abs(step.shown(n)["dz"]) for n in step.neurons), default=0.0)
    return w, z


def show(scene, step: Pass, design, phase: int, rule: ChainRule | None = None) -> None:
    """Phase 1–2: z and a on the neurons, each input's value, the weights on the wires (and from
    phase 2 the target and loss beside each output); 3–4: ∂L/∂a and ∂L/∂z on the neurons and
    each wire's ∂L/∂w, coloured; in phase 4 what lies off the selected wire's paths fades."""
    names = Names(step, design)
    backward = phase >= 3
    scale_w, scale_z = largest(step)
    on_path: set[str] = set()
    if rule is not None and phase >= 4:
        on_path = {d.node_id for d in rule.deltas} | {rule.source}
    with scene.batched_background():
        for nid in step.inputs:
            item = scene.node_item(nid)
            if item is not None:
                value = step.shown(nid)["a"]
                item.set_overlay(NodeOverlay(lines=(("", short(value)),), ring=nid in on_path,
                                             tooltip=f"{names.node(nid)} = {value:.6g}",
                                             values=(("a", value),)))
        for nid in step.neurons:
            item = scene.node_item(nid)
            if item is not None:
                item.set_overlay(_neuron(step, names, nid, phase, scale_z, nid in on_path))
        for cid, grad in step.wire_grads.items():
            item = scene.connection_item(cid)
            if item is None:
                continue
            if not backward:
                item.set_overlay(None)
                continue
            conn = design.connections[cid]
            fade = bool(on_path) and cid != rule.connection_id and not (
                conn.source in on_path and conn.target in on_path and conn.source != rule.source)
            item.set_overlay(_wire(grad, scale_w, fade))


def _neuron(step: Pass, names: Names, nid: str, phase: int, scale: float, ring: bool
            ) -> NodeOverlay:
    v = step.shown(nid)
    out = nid in step.network.outputs
    note = ""
    if out and phase >= 2:
        target = float(step.neurons[nid].target.mean())
        mean = " (means)" if step.batch.kind == "batch" else ""
        note = f"target {short(target)}{mean}\nL = {short(step.loss)}"
    tip = (f"{names.node(nid)}: z = {v['z']:.6g}, a = {v['a']:.6g}\n"
           f"∂L/∂a = {v['da']:.6g}, ∂L/∂z = {v['dz']:.6g}")
    if phase >= 3:
        return NodeOverlay(lines=(("∂a", in_circle(v["da"])), ("∂z", in_circle(v["dz"]))),
                           fill=style.gradient_fill(v["dz"], scale), tag=names.node(nid),
                           note=note, ring=ring, tooltip=tip,
                           values=tuple((k, v[k]) for k in ("z", "a", "da", "dz")))
    return NodeOverlay(lines=(("z", in_circle(v["z"])), ("a", in_circle(v["a"]))), tag=names.node(nid),
                       note=note, tooltip=tip.split("\n")[0], values=(("z", v["z"]), ("a", v["a"])))


def _wire(grad: float, scale: float, fade: bool) -> WireOverlay:
    colour = style.gradient_colour(grad, scale)
    if fade:
        colour.setAlpha(int(colour.alpha() * DIMMED))
    width = 1.0 + 4.0 * style.gradient_strength(grad, scale)
    return WireOverlay(colour, width, dashed=grad == 0, tooltip=f"∂L/∂w = {grad:.6g}", value=grad)


class GradientLegend(QWidget):
    """The diverging colour scale: green where the gradient is negative (the update raises the
    value), magenta where positive (it lowers it), fainter by powers of ten toward the middle."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scale_w = self.scale_z = 0.0
        self.setMinimumHeight(54)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_scales(self, scale_w: float, scale_z: float) -> None:
        self.scale_w, self.scale_z = scale_w, scale_z
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's override
        return QSize(300, 54)

    def colour_at(self, x: float) -> QColor:
        """The wire colour at x ∈ [−1, 1] along the bar (±1: the largest gradient)."""
        if x == 0:
            return style.gradient_colour(0.0, 1.0)
        decades = style.GRADIENT_DECADES * (1 - abs(x))
        return style.gradient_colour(10 ** -decades * (1 if x > 0 else -1), 1.0)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        text = pal.color(pal.ColorRole.WindowText)
        base = style.theme().background
        bar = QRectF(12, 6, self.width() - 24, 14)
        gradient = QLinearGradient(bar.topLeft(), bar.topRight())
        for i in range(41):
            x = -1 + i / 20
            c = self.colour_at(x)
            a = c.alphaF()
            gradient.setColorAt(i / 40, QColor.fromRgbF(base.redF() + (c.redF() - base.redF()) * a,
                                                        base.greenF() + (c.greenF() - base.greenF()) * a,
                                                        base.blueF() + (c.blueF() - base.blueF()) * a))
        painter.setPen(QPen(style.with_alpha(text, 90), 1))
        painter.setBrush(gradient)
        painter.drawRoundedRect(bar, 3, 3)
        font = self.font()
        font.setPointSizeF(font.pointSizeF() * 0.85)
        painter.setFont(font)
        metrics = QFontMetricsF(font)
        steps = style.GRADIENT_DECADES
        for k in range(-steps, steps + 1):  # a tick at every power of ten
            x = bar.left() + bar.width() * (k + steps) / (2 * steps)
            painter.drawLine(QPointF(x, bar.bottom()), QPointF(x, bar.bottom() + (5 if k in (
                -steps, 0, steps) else 3)))
        painter.setPen(text)
        y = bar.bottom() + 6 + metrics.ascent()
        largest = short(self.scale_w) if self.scale_w else "the largest"
        labels = ((bar.left(), f"−{largest}", Qt.AlignmentFlag.AlignLeft),
                  (bar.center().x(), "0", Qt.AlignmentFlag.AlignHCenter),
                  (bar.right(), f"+{largest}", Qt.AlignmentFlag.AlignRight))
        for x, label, align in labels:
            width = metrics.horizontalAdvance(label)
            left = x if align == Qt.AlignmentFlag.AlignLeft else (
                x - width if align == Qt.AlignmentFlag.AlignRight else x - width / 2)
            painter.drawText(QPointF(left, y), label)
        painter.setPen(style.with_alpha(text, 170))
        painter.drawText(QRectF(bar.left(), y + 4, bar.width(), metrics.height() + 2),
                         Qt.AlignmentFlag.AlignHCenter,
                         "∂L/∂w: each tick ten times smaller (a log scale)")
        painter.end()
