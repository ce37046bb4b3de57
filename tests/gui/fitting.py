"""What a person checks on a laid-out window, as code: every label, combo box, check box, button
and plot of the toolbars and the visible docks has the room its text or content needs; no toolbar
hides an action behind its "»" menu; no dock scrolls sideways.

The rules, each a list of the widgets that break it (empty when the window is right):
- a one-line label is at least as wide as its text, unless it is elided on purpose (its text
  ends with "…"): then its tooltip carries the whole text; a label that wraps is as tall as its
  text needs at its width;
- a combo box's text field is as wide as the current text (and its icon);
- a check box, push button or tool button with text is at least its minimum size hint;
- a plot is at least its minimum size (the one set, else its hint); its plot items lie inside it
  (a title's numbers do not push one off the edge) and no two tick labels of an axis overlap
  ("0.20.40.60.8");
- a toolbar's overflow button is hidden, every action's widget shown;
- a scroll area in a dock shows no horizontal scroll bar.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QComboBox,
    QDockWidget,
    QLabel,
    QMainWindow,
    QStyle,
    QStyleOptionComboBox,
    QToolBar,
    QWidget,
)


def name(widget: QWidget) -> str:
    text = getattr(widget, "text", None)
    shown = text() if callable(text) else ""
    parents, parent = [], widget.parentWidget()
    while parent is not None and not isinstance(parent, QMainWindow):
        if isinstance(parent, QDockWidget | QToolBar):
            parents.append(parent.windowTitle())
            break
        parent = parent.parentWidget()
    return f"{type(widget).__name__} {widget.objectName() or ''}{shown!r:.60} in {parents}"


def label_problem(label: QLabel) -> str:
    text = label.text()
    if not text or label.pixmap() is not None and not label.pixmap().isNull():
        return ""
    if label.wordWrap():
        need = label.heightForWidth(label.width())
        return f"{label.height()} px tall, its text needs {need}" if label.height() < need else ""
    if text.endswith("…") and _plain(text).rstrip("…") not in _plain(label.toolTip()):
        return "cut short with … but its tooltip does not carry the whole text"
    need = label.minimumSizeHint().width()
    if label.width() >= need or label.toolTip() and _plain(text) in _plain(label.toolTip()):
        return ""
    return f"{label.width()} px wide, its text needs {need}"


def _plain(text: str) -> str:
    from PySide6.QtGui import QTextDocument

    document = QTextDocument()
    document.setHtml(text)
    return " ".join(document.toPlainText().split())


def combo_problem(combo: QComboBox) -> str:
    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    field = combo.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                         QStyle.SubControl.SC_ComboBoxEditField, combo)
    need = combo.fontMetrics().horizontalAdvance(combo.currentText())
    if not combo.itemIcon(combo.currentIndex()).isNull():
        need += combo.iconSize().width() + 4
    return f"its text field is {field.width()} px, the text needs {need}" if field.width() < need else ""


def button_problem(button: QAbstractButton) -> str:
    if not button.text():
        return ""
    need = button.minimumSizeHint()
    if button.width() < need.width() or button.height() < need.height():
        return f"{button.width()}×{button.height()} px, needs {need.width()}×{need.height()}"
    return ""


def plot_problem(plot: pg.GraphicsView) -> str:
    need = plot.minimumSize() if not plot.minimumSize().isNull() else plot.minimumSizeHint()
    if plot.width() < need.width() or plot.height() < need.height():
        return f"{plot.width()}×{plot.height()} px, needs {need.width()}×{need.height()}"
    view = QRectF(plot.viewport().rect()).adjusted(-1, -1, 1, 1)
    painter_image = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(painter_image)
    try:
        for item in plot.scene().items():
            if isinstance(item, pg.PlotItem) and item.isVisible():
                shown = plot.mapFromScene(item.sceneBoundingRect()).boundingRect()
                if not view.contains(QRectF(shown)):
                    return f"a plot at {shown.getRect()} runs out of the view {view.getRect()}"
            if isinstance(item, pg.AxisItem) and item.isVisible() and item.style["showValues"]:
                overlap = _tick_overlap(item, painter)
                if overlap:
                    return overlap
    finally:
        painter.end()
    return ""


def _tick_overlap(axis: pg.AxisItem, painter: QPainter) -> str:
    specs = axis.generateDrawSpecs(painter)
    if specs is None:
        return ""
    rects = sorted(((rect, text) for rect, _flags, text in specs[2]),
                   key=lambda pair: (pair[0].left(), pair[0].top()))
    for (a, text_a), (b, text_b) in zip(rects, rects[1:], strict=False):
        if a.intersects(b) and a.intersected(b).width() > 0.5 and a.intersected(b).height() > 0.5:
            return f"the {axis.orientation} axis's ticks {text_a!r} and {text_b!r} overlap"
    return ""


def overflowing_toolbars(window: QMainWindow) -> list[str]:
    found = []
    for bar in window.findChildren(QToolBar):
        if not bar.isVisible():
            continue
        extension = bar.findChild(QWidget, "qt_toolbar_ext_button")
        if extension is not None and extension.isVisible():
            hidden = [a.text() or a.toolTip() for a in bar.actions()
                      if not a.isSeparator() and a.isVisible() and bar.widgetForAction(a) is not None
                      and not bar.widgetForAction(a).isVisible()]
            found.append(f"toolbar {bar.windowTitle()!r} hides {hidden} behind »")
    return found


def visible_docks(window: QMainWindow) -> list[QDockWidget]:
    return [d for d in window.findChildren(QDockWidget)
            if d.isVisible() and not d.isFloating() and not d.visibleRegion().isEmpty()]


def problems(window: QMainWindow) -> list[str]:
    """Every widget of the toolbars and the visible docks cut short, with what it needs."""
    found = overflowing_toolbars(window)
    holders = visible_docks(window) + [b for b in window.findChildren(QToolBar) if b.isVisible()]
    for holder in holders:
        for widget in holder.findChildren(QWidget):
            if not widget.isVisible() or widget.width() <= 0:
                continue
            if isinstance(widget, QLabel):
                problem = label_problem(widget)
            elif isinstance(widget, QComboBox):
                problem = combo_problem(widget)
            elif isinstance(widget, QAbstractButton):
                problem = button_problem(widget)
            elif isinstance(widget, pg.GraphicsView):
                problem = plot_problem(widget)
            elif isinstance(widget, QAbstractScrollArea) and isinstance(holder, QDockWidget):
                bar = widget.horizontalScrollBar()
                problem = "scrolls sideways" if bar.isVisible() and bar.maximum() > 0 else ""
            else:
                problem = ""
            if problem:
                found.append(f"{name(widget)}: {problem}")
    return found
