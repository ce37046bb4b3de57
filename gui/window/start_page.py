"""The start page over an empty canvas: the examples, each with a small drawing of its network, and
the steps to build one yourself, spelled with the actions' own shortcuts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.design.errors import NeuralCanvasError
from core.files.fileformat import load_design
from gui.canvas.style import Theme, header_colour, with_alpha
from gui.window.dialogs import example_descriptions
from resources import EXAMPLES

PICTURE = QSize(104, 48)  # an example's drawing, in device-independent pixels
COLUMNS = 5  # examples per row
NEURON_RADIUS = 22.0  # as the canvas draws them, in scene units
BLOCK_SIZE = (110.0, 60.0)


@dataclass(frozen=True)
class Step:
    """One step of building a network yourself: the keys that do it ("" for a click) and what."""

    keys: str
    text: str


def example_paths() -> list[Path]:
    return sorted(EXAMPLES.glob("*.ncanvas"))


def example_title(path: Path) -> str:
    return path.stem.replace("_", " ")


@lru_cache(maxsize=64)
def _example_design(path: str):
    try:
        return load_design(path, validate=False)
    except (NeuralCanvasError, OSError, ValueError):
        return None


def design_picture(path: str, theme: Theme, ratio: float = 1.0) -> QPixmap:
    """A small drawing of the design in `path`: its wires as lines, its inputs and neurons as
    circles and its blocks as boxes in their header colours, fitted into PICTURE."""
    width, height = PICTURE.width(), PICTURE.height()
    pixmap = QPixmap(round(width * ratio), round(height * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(theme.background)
    design = _example_design(path)
    if design is None or not design.nodes:
        return pixmap
    nodes = design.nodes
    xs = [n.position[0] for n in nodes.values()]
    ys = [n.position[1] for n in nodes.values()]
    margin_x, margin_y = 15.0, 9.0  # room for half a box or a circle around the centres
    span_x = max(max(xs) - min(xs), 1.0)
    span_y = max(max(ys) - min(ys), 1.0)
    scale = min((width - 2 * margin_x) / span_x, (height - 2 * margin_y) / span_y, 0.45)
    centre = QPointF((max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2)

    def place(node) -> QPointF:
        return QPointF(width / 2 + (node.position[0] - centre.x()) * scale,
                       height / 2 + (node.position[1] - centre.y()) * scale)

    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(with_alpha(theme.layer_wire, 150), 0.8))
    for conn in design.connections.values():
        if conn.source in nodes and conn.target in nodes:
            painter.drawLine(place(nodes[conn.source]), place(nodes[conn.target]))
    radius = min(max(NEURON_RADIUS * scale, 2.5), 5.5)
    box_w = min(max(BLOCK_SIZE[0] * scale, 10.0), 2 * margin_x - 2)
    box_h = min(max(BLOCK_SIZE[1] * scale, 8.0), 2 * margin_y + 4)
    for node in nodes.values():
        at = place(node)
        if node.kind in ("input", "neuron"):
            inputs = node.kind == "input"
            painter.setPen(QPen(theme.input_border if inputs else theme.node_border, 1.2))
            painter.setBrush(theme.input_fill if inputs else theme.node_fill)
            painter.drawEllipse(at, radius, radius)
        else:
            colour = QColor(header_colour(node.kind))
            painter.setPen(QPen(colour.darker(130), 1.0))
            painter.setBrush(colour)
            painter.drawRoundedRect(QRectF(at.x() - box_w / 2, at.y() - box_h / 2, box_w, box_h), 2, 2)
    painter.end()
    return pixmap


class StartPage(QScrollArea):
    """Shown over the canvas while the design is empty; `example_chosen(path)` on a click.

    It lies over the view's viewport and follows its size; a drag from the palette over it puts
    it away at once, so the drop lands on the canvas below.
    """

    example_chosen = Signal(str)

    def __init__(self, view: QAbstractScrollArea, steps: Callable[[], list[Step]]) -> None:
        super().__init__(view)
        self.setObjectName("start_page")
        self.view = view
        self.steps = steps
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.viewport().setAutoFillBackground(False)  # the canvas's dots show around the card
        self.card = QFrame()
        self.card.setObjectName("start_card")
        self.card.setFrameShape(QFrame.Shape.StyledPanel)
        self.card.setAutoFillBackground(True)
        self.card.setBackgroundRole(QPalette.ColorRole.Base)
        self.card.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Maximum)
        holder = QWidget()
        holder.setAutoFillBackground(False)
        outer = QVBoxLayout(holder)
        outer.setContentsMargins(8, 8, 8, 8)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.card)
        row.addStretch(1)
        outer.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(1)
        self.setWidget(holder)

        body = QVBoxLayout(self.card)
        body.setContentsMargins(16, 10, 16, 12)
        body.setSpacing(6)
        body.addWidget(self._heading("Start from an example"))
        grid = QGridLayout()
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(2)
        descriptions = example_descriptions()
        self.buttons: dict[str, QToolButton] = {}
        for k, path in enumerate(example_paths()):
            button = QToolButton()
            button.setObjectName(f"example_{path.stem}")
            button.setText(example_title(path))
            button.setToolTip(descriptions.get(path.stem, ""))
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            button.setIconSize(PICTURE)
            button.setAutoRaise(True)
            button.setMinimumWidth(PICTURE.width() + 12)
            button.clicked.connect(lambda _checked=False, p=str(path): self.example_chosen.emit(p))
            grid.addWidget(button, k // COLUMNS, k % COLUMNS)
            self.buttons[path.stem] = button
        body.addLayout(grid)
        body.addSpacing(4)
        body.addWidget(self._heading("Or build one yourself"))
        self.step_list = QLabel()
        self.step_list.setObjectName("start_steps")
        self.step_list.setTextFormat(Qt.TextFormat.RichText)
        body.addWidget(self.step_list)
        self.setStyleSheet("#start_page, #start_page > QWidget > QWidget { background: transparent; }")
        self._restyle()
        self.refresh_steps()
        view.installEventFilter(self)
        self._follow_view()

    @staticmethod
    def _heading(text: str) -> QLabel:
        label = QLabel(text)
        font = label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1)
        label.setFont(font)
        return label

    # ------------------------------------------------------------------ contents
    def refresh_steps(self) -> None:
        """The steps with the keys the actions have now."""
        rows = []
        for number, step in enumerate(self.steps(), 1):
            keys = f"<b>{escape(step.keys)}</b>&nbsp;&nbsp;" if step.keys else ""
            rows.append(f"<tr><td align='right'>{number}.&nbsp;</td>"
                        f"<td>{keys}{escape(step.text)}</td></tr>")
        text = f"<table cellspacing='2'>{''.join(rows)}</table>"
        if text != self.step_list.text():
            self.step_list.setText(text)
            self.widget().updateGeometry()

    def _restyle(self) -> None:
        theme = Theme.from_palette(QGuiApplication.palette())  # the canvas's colours
        ratio = self.devicePixelRatioF()
        for stem, button in self.buttons.items():
            button.setIcon(QIcon(design_picture(str(EXAMPLES / f"{stem}.ncanvas"), theme, ratio)))

    # ------------------------------------------------------------------ following the view
    def _follow_view(self) -> None:
        self.setGeometry(self.view.viewport().geometry())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's override
        if watched is self.view and event.type() in (QEvent.Type.Resize, QEvent.Type.LayoutRequest):
            self._follow_view()
        return super().eventFilter(watched, event)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's override
        self._follow_view()
        self.refresh_steps()
        super().showEvent(event)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's override
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._restyle()

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt's override
        self.hide()  # out of the way: the drag goes on over the canvas, which takes the drop
        event.ignore()
