"""The confusion panel: the test set's confusion matrix, and a strip of test samples (images such as
the 8×8 digits) each with the network's probabilities under it, mistakes marked — live."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QImage, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QStackedLayout,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from gui.panels.design_data import design_data, is_planar
from gui.panels.samples import SampleCard, SampleStrip, mix, scaled_font

CORRECT_CELL = QColor(40, 110, 220)  # the diagonal: right answers
WRONG_CELL = QColor(232, 118, 30)  # off the diagonal: mistakes
MAX_CELL = 48.0  # a cell's largest side, in pixels
NOTE_PLANAR = ("This data has two inputs: watch the decision boundary and the neurons' maps on the "
               "canvas. The confusion matrix shows for data with more inputs, such as the 8×8 digits.")
NOTE_WAITING = "Train the network (or take one step) to see its confusion matrix on the test set."
NOTE_REGRESSION = "A regression has no classes: its fit shows in the loss panel's R²."


class ConfusionMatrix(QWidget):
    """Counts[true class, predicted class] as coloured cells with the count written in each: rows
    are the true classes, columns the predicted ones; a cell's colour is its share of its row."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.counts: np.ndarray | None = None
        self.class_names: tuple[str, ...] = ()
        self.setMouseTracking(True)
        self.setMinimumSize(160, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_counts(self, counts: np.ndarray, class_names: tuple[str, ...]) -> None:
        self.counts = np.asarray(counts)
        k = len(self.counts)
        self.class_names = tuple(class_names[:k]) + tuple(str(i) for i in range(len(class_names), k))
        self.setMaximumHeight(int(34 + MAX_CELL * max(k, 1) + 8))  # more would stay empty
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's override
        return QSize(320, 300)

    def _layout(self) -> tuple[QRectF, float]:
        """The cells' rectangle and one cell's side."""
        k = max(len(self.counts) if self.counts is not None else 1, 1)
        label = 18 + 7 * max((len(n) for n in self.class_names), default=1)  # the class names
        left, top = 18 + min(label, 90), 34  # the axis titles, then the names
        side = max(min((self.width() - left - 6) / k, (self.height() - top - 6) / k, MAX_CELL), 4.0)
        x = left + max((self.width() - left - 6 - side * k) / 2, 0)
        return QRectF(x, top, side * k, side * k), side

    def cell_at(self, pos: QPointF) -> tuple[int, int] | None:
        if self.counts is None:
            return None
        grid, side = self._layout()
        if not grid.contains(pos):
            return None
        k = len(self.counts)
        return (min(int((pos.y() - grid.top()) / side), k - 1),
                min(int((pos.x() - grid.left()) / side), k - 1))

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's override
        if self.counts is None:
            return
        palette = self.palette()
        base, text = palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text)
        muted = mix(text, base, 0.5)
        counts = self.counts
        k = len(counts)
        rows = counts.sum(axis=1, keepdims=True)
        shares = counts / np.maximum(rows, 1)
        grid, side = self._layout()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        small = scaled_font(self.font(), 0.85)
        cell_font = scaled_font(self.font(), min(1.0, side / 30), bold=False)
        show_counts = side >= 14
        for i in range(k):
            for j in range(k):
                cell = QRectF(grid.left() + j * side, grid.top() + i * side, side, side)
                share = float(shares[i, j])
                tint = CORRECT_CELL if i == j else WRONG_CELL
                fill = mix(base, tint, 0.08 + 0.85 * share if counts[i, j] else 0.0)
                p.fillRect(cell.adjusted(0.5, 0.5, -0.5, -0.5), fill)
                if show_counts:
                    strong = share > 0.55
                    p.setPen(QColor("white") if strong else (text if counts[i, j] else muted))
                    p.setFont(scaled_font(cell_font, 1.0, bold=i == j and bool(counts[i, j])))
                    p.drawText(cell, Qt.AlignmentFlag.AlignCenter, str(int(counts[i, j])))
        p.setPen(QPen(mix(base, text, 0.25), 1.0))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(grid)
        p.setFont(small)
        p.setPen(muted)
        names_font = scaled_font(self.font(), min(0.9, max(side / 26, 0.6)))
        p.drawText(QRectF(grid.left(), 0, grid.width(), 16), Qt.AlignmentFlag.AlignCenter, "predicted")
        names_width = max((QFontMetricsF(names_font).horizontalAdvance(n) for n in self.class_names),
                          default=0.0)
        p.save()
        p.translate(max(grid.left() - names_width - 26, 0), grid.center().y())
        p.rotate(-90)
        p.drawText(QRectF(-grid.height() / 2, 0, grid.height(), 16), Qt.AlignmentFlag.AlignCenter,
                   "true class")
        p.restore()
        p.setFont(names_font)
        p.setPen(text)
        for n, name in enumerate(self.class_names):
            p.drawText(QRectF(grid.left() + n * side, 16, side, 16), Qt.AlignmentFlag.AlignCenter, name)
            p.drawText(QRectF(0, grid.top() + n * side, grid.left() - 6, side),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, name)
        p.end()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt's override
        cell = self.cell_at(event.position())
        if cell is None:
            QToolTip.hideText()
            return
        i, j = cell
        n, row = int(self.counts[i, j]), int(self.counts[i].sum())
        what = "right" if i == j else f"taken for {self.class_names[j]}"
        text = (f"true {self.class_names[i]}, predicted {self.class_names[j]}: {n} of {row} "
                f"test samples ({n / max(row, 1):.0%}) {what}")
        QToolTip.showText(event.globalPosition().toPoint(), text, self)


class ConfusionPanel(QWidget):
    """The confusion matrix over the test set with the accuracy above it, and a strip of test
    samples with their probabilities; a note instead when the data has two inputs."""

    def __init__(self, controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._images_for: tuple | None = None  # (data, test indices, shown indices) drawn now
        self._grey: list[int] = []  # the images' grey levels in this palette

        self.note = QLabel(NOTE_WAITING)
        self.note.setObjectName("confusion_note")
        self.note.setWordWrap(True)
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note.setContentsMargins(16, 16, 16, 16)
        self.caption = QLabel()
        self.caption.setObjectName("confusion_caption")
        self.caption.setTextFormat(Qt.TextFormat.PlainText)
        self.caption.setFont(scaled_font(self.font(), 1.1, bold=True))
        self.caption.setWordWrap(True)
        self.matrix = ConfusionMatrix()
        self.strip = SampleStrip()

        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(8, 6, 8, 6)
        column.addWidget(self.caption)
        column.addWidget(self.matrix, 1)
        samples = QLabel("Test samples, each with the network's probability for every class")
        samples.setObjectName("samples_caption")
        samples.setWordWrap(True)
        column.addWidget(samples)
        column.addWidget(self.strip)
        column.addStretch(0)  # what the matrix, at its largest, leaves
        scroll = QScrollArea()  # the strip wraps into rows: scroll them rather than grow the dock
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        self.pages = QStackedLayout(self)
        self.pages.addWidget(self.note)
        self.pages.addWidget(scroll)
        self._content = scroll
        self._restyle()
        controller.snapshot.connect(self.show_snapshot)
        controller.document.design_replaced.connect(self.clear)
        controller.document.settings_changed.connect(
            lambda what: what == "dataset" and self.clear())
        if controller.last is not None:
            self.show_snapshot(controller.last)
        else:
            self.clear()

    # ----------------------------------------------------------------- what tests and the window read
    @property
    def counts(self) -> np.ndarray | None:
        """The matrix now shown (rows: true classes, columns: predicted), or None."""
        return self.matrix.counts if self.pages.currentWidget() is self._content else None

    @property
    def cards(self) -> list[SampleCard]:
        """The test samples shown, in the order of the snapshot's sample_indices."""
        return self.strip.cards

    @property
    def accuracy(self) -> float | None:
        counts = self.counts
        return None if counts is None or counts.sum() == 0 else float(np.trace(counts) / counts.sum())

    # ----------------------------------------------------------------- snapshots
    def show_snapshot(self, snap) -> None:
        trainer = self.controller.trainer
        if snap.confusion is None or trainer is None:
            self.note.setText(NOTE_PLANAR if snap.plane is not None else
                              NOTE_REGRESSION if trainer is not None and trainer.build.task == "regression"
                              else NOTE_WAITING)
            self.pages.setCurrentWidget(self.note)
            return
        data = trainer.build.data
        names = tuple(data.class_names)
        self.matrix.set_counts(snap.confusion, names)
        total, right = int(snap.confusion.sum()), int(np.trace(snap.confusion))
        self.caption.setText(f"Test set: {right} of {total} right ({right / max(total, 1):.1%})"
                             f" · epoch {snap.epoch}, step {snap.step}")
        indices = np.asarray(snap.sample_indices if snap.sample_indices is not None else [], dtype=int)
        self._show_samples(trainer, indices)
        if snap.sample_probabilities is not None:
            for card, probs in zip(self.cards, snap.sample_probabilities, strict=False):
                card.set_probabilities(probs, names)
        self.pages.setCurrentWidget(self._content)

    def clear(self) -> None:
        """No matrix: another design, or other data, not trained yet; the note says what this
        panel will show for it."""
        data = design_data(self.controller.document.design)
        self.matrix.counts = None
        self._images_for = None
        self.strip.set_count(0)
        self.caption.clear()
        self.note.setText(NOTE_PLANAR if is_planar(data) else
                          NOTE_REGRESSION if data is not None and data.task == "regression"
                          else NOTE_WAITING)
        self.pages.setCurrentWidget(self.note)

    def _show_samples(self, trainer, indices: np.ndarray) -> None:
        """Cards for these test samples: made when their number changes, images drawn when the
        samples or the data change (not at every snapshot)."""
        data = trainer.build.data
        key = (id(data), id(trainer.test_idx), tuple(indices.tolist()))
        if key == self._images_for:
            return
        self._images_for = key
        self.strip.set_count(len(indices))
        rows = data.X[trainer.test_idx[indices]] if len(indices) else data.X[:0]
        low, high = (float(data.X.min()), float(data.X.max())) if data.X.size else (0.0, 1.0)
        for card, i, row in zip(self.cards, indices, rows, strict=True):
            card.set_image(int(i), self._image(row, data.image_shape, low, high),
                           int(trainer.labels_test[i]))

    def _image(self, row: np.ndarray, shape: tuple[int, ...] | None, low: float, high: float) -> QImage:
        """A sample as a picture: dark ink on the background (grey), or its own colours (RGB)."""
        if not shape:
            side = int(np.ceil(np.sqrt(row.size)))
            shape = (side, side, 1)
            row = np.pad(row, (0, side * side - row.size))
        h, w = int(shape[0]), int(shape[1])
        c = int(shape[2]) if len(shape) > 2 else 1
        scaled = np.clip((row.reshape(h, w, c) - low) / max(high - low, 1e-12), 0, 1)
        levels = np.ascontiguousarray((scaled * 255).round().astype(np.uint8))
        if c == 3:
            return QImage(levels.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
        grey = np.ascontiguousarray(levels[:, :, 0])
        image = QImage(grey.data, w, h, w, QImage.Format.Format_Indexed8).copy()
        image.setColorTable(self._grey)
        return image

    # ----------------------------------------------------------------- palette
    def _restyle(self) -> None:
        palette = self.palette()
        base, text = palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text)
        self._grey = [mix(base, text, v / 255).rgb() for v in range(256)]
        self.note.setStyleSheet(f"color: {mix(text, base, 0.35).name()};")
        self._images_for = None  # drawn again in the new greys at the next snapshot
        if self.controller.last is not None and self.controller.trainer is not None:
            self.show_snapshot(self.controller.last)

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt's override
        if event.type() == QEvent.Type.PaletteChange:
            self._restyle()
        super().changeEvent(event)
