"""Test samples as a person checks them: each one's picture with the network's probability for
every class as small bars under it, mistakes framed in red; a strip of them that wraps into rows."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

WRONG = QColor(214, 48, 49)  # a misclassified sample's frame and its "→ class"


def mix(a: QColor, b: QColor, t: float) -> QColor:
    """a blended toward b by t (0: a, 1: b), opaque."""
    return QColor.fromRgbF(*(x + (y - x) * t for x, y in zip(a.getRgbF()[:3], b.getRgbF()[:3],
                                                               strict=True)))


def scaled_font(base: QFont, scale: float, bold: bool = False) -> QFont:
    f = QFont(base)
    f.setPointSizeF(max(base.pointSizeF() * scale, 6.0))
    f.setBold(bold)
    return f


class SampleCard(QWidget):
    """One test sample: its image, the network's probability for each class as small bars (the
    predicted class's bar highlighted), and its true class; a mistake gets a red frame and "→ k"."""

    IMAGE = 56  # the image's side, in pixels

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.index = -1  # into the test set
        self.true_class = -1
        self.predicted = -1
        self.probabilities = np.zeros(0)
        self.class_names: tuple[str, ...] = ()
        self.image: QImage | None = None
        self.setFixedSize(self.IMAGE + 16, self.IMAGE + 58)

    @property
    def misclassified(self) -> bool:
        return self.predicted != self.true_class

    def set_image(self, index: int, image: QImage, true_class: int) -> None:
        self.index, self.image, self.true_class = index, image, true_class
        self.update()

    def set_probabilities(self, probabilities: np.ndarray, class_names: tuple[str, ...]) -> None:
        self.probabilities = np.asarray(probabilities, dtype=np.float64)
        self.predicted = int(np.argmax(self.probabilities)) if self.probabilities.size else -1
        self.class_names = class_names
        self.setToolTip(self._tooltip())
        self.update()

    def name(self, k: int) -> str:
        return self.class_names[k] if 0 <= k < len(self.class_names) else str(k)

    def _tooltip(self) -> str:
        top = np.argsort(self.probabilities)[::-1][:3]
        lines = [f"test sample {self.index}: true class {self.name(self.true_class)}"]
        lines += [f"  {self.name(int(k))}: {self.probabilities[k]:.1%}" for k in top]
        return "\n".join(lines)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's override
        palette = self.palette()
        base, text = palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text)
        accent = palette.color(QPalette.ColorRole.Highlight)
        muted = mix(text, base, 0.55)
        wrong = self.misclassified and self.predicted >= 0
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        frame = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        p.setPen(QPen(WRONG, 2.0) if wrong else QPen(mix(base, text, 0.15), 1.0))
        p.setBrush(mix(base, WRONG, 0.07) if wrong else base)
        p.drawRoundedRect(frame, 6, 6)
        picture = QRectF(8, 6, self.IMAGE, self.IMAGE)
        if self.image is not None:
            p.drawImage(picture, self.image)  # nearest neighbour: the pixels stay square
        bars = QRectF(8, picture.bottom() + 4, self.IMAGE, 22)
        k = len(self.probabilities)
        if k:
            width = bars.width() / k
            p.setPen(QPen(mix(base, text, 0.2), 0.8))
            p.drawLine(QPointF(bars.left(), bars.bottom()), QPointF(bars.right(), bars.bottom()))
            p.setPen(Qt.PenStyle.NoPen)
            for c, prob in enumerate(self.probabilities):
                colour = (WRONG if wrong else accent) if c == self.predicted else \
                    accent if (wrong and c == self.true_class) else muted
                h = max(float(prob), 0.0) * bars.height()
                p.setBrush(colour)
                p.drawRect(QRectF(bars.left() + c * width + 0.5, bars.bottom() - h,
                                  max(width - 1.0, 1.0), h))
        p.setFont(scaled_font(self.font(), 0.85, bold=True))
        caption = QRectF(0, bars.bottom() + 2, self.width(), 20)
        if wrong:
            p.setPen(WRONG)
            p.drawText(caption, Qt.AlignmentFlag.AlignCenter,
                       f"{self.name(self.true_class)} → {self.name(self.predicted)}")
        elif self.predicted >= 0:
            p.setPen(text)
            p.drawText(caption, Qt.AlignmentFlag.AlignCenter,
                       f"{self.name(self.true_class)}  {self.probabilities[self.predicted]:.0%}")
        p.end()


class SampleStrip(QWidget):
    """Sample cards in rows, as many to a row as the width takes (the panel may be narrow)."""

    SPACING = 4

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cards: list[SampleCard] = []
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def set_count(self, count: int) -> None:
        """Exactly `count` cards, reusing those there are."""
        while len(self.cards) < count:
            card = SampleCard(self)
            card.show()
            self.cards.append(card)
        while len(self.cards) > count:
            self.cards.pop().deleteLater()
        self._arrange()
        self.updateGeometry()

    def _columns(self, width: int) -> int:
        step = SampleCard.IMAGE + 16 + self.SPACING
        return max(1, min((width + self.SPACING) // step, len(self.cards) or 1))

    def _arrange(self) -> None:
        """Place the cards for the width there is; ask for the height their rows take."""
        columns = self._columns(self.width())
        w, h = SampleCard.IMAGE + 16, SampleCard.IMAGE + 58
        for n, card in enumerate(self.cards):
            card.move((n % columns) * (w + self.SPACING), (n // columns) * (h + self.SPACING))
        rows = -(-len(self.cards) // columns)
        self.setMinimumHeight(max(rows * (h + self.SPACING) - self.SPACING, 0))

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's override
        return QSize(6 * (SampleCard.IMAGE + 16 + self.SPACING), self.minimumHeight())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's override
        return QSize(SampleCard.IMAGE + 16, self.minimumHeight())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's override
        self._arrange()
        super().resizeEvent(event)
