"""The timeline bar under the plots: a slider over the epochs trained. Moving it shows that moment
in every view (the boundary, the canvas's wires and neuron maps, a marker on the loss curves)
while the design keeps its weights; a tinted strip then says it is the past, with Resume from
here and Back to now."""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QSlider, QWidget

from gui.widgets.theme import icon, is_dark

SHOW_MS = 15  # slider moves closer together than this draw only the last one
NOW_SECONDS = 0.2  # while training runs, the slider follows the epoch at most this often
PAST_STYLE = ("#timeline[past='true'] { background: #fff4e5; border-top: 1px solid #f0c36d; }"
              "#timeline[past='true'] QLabel#timeline_where { color: #6b4400; }")
DARK_PAST_STYLE = ("#timeline[past='true'] { background: #3b2f1a; border-top: 1px solid #7a5b1e; }"
                   "#timeline[past='true'] QLabel#timeline_where { color: #f5d9a0; }")
TIP = ("Drag back through the epochs trained: the boundary, the canvas and the loss curves show "
       "that moment (training pauses while you look); the design keeps its weights")


class TimelineBar(QWidget):
    """The slider (in epochs, from the first kept moment to now), where it stands, and the two
    ways out of the past."""

    def __init__(self, controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setObjectName("timeline")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setProperty("past", False)
        self.mark = QLabel()
        self.mark.setToolTip(TIP)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("timeline_slider")
        self.slider.setToolTip(TIP)
        self.where = QLabel()
        self.where.setObjectName("timeline_where")
        self.where.setMinimumWidth(150)
        self.where.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.resume = QPushButton("Resume from here")
        self.resume.setObjectName("timeline_resume")
        self.resume.setToolTip("Train on from this moment: its weights become the design's (one "
                               "step to undo), the later epochs are forgotten, the optimizer "
                               "starts afresh")
        self.back = QPushButton("Back to now")
        self.back.setObjectName("timeline_back")
        self.back.setToolTip("Show the present again (nothing was changed)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 3, 8, 3)
        layout.setSpacing(10)
        layout.addWidget(self.mark)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.where)
        layout.addWidget(self.resume)
        layout.addWidget(self.back)
        self._now = 0  # the present epoch (the slider's right end)
        self._set_at = 0.0
        self._later = QTimer(self, singleShot=True, interval=SHOW_MS)
        self._later.timeout.connect(self._show_wanted)
        self.slider.valueChanged.connect(self._moved)
        self.slider.sliderReleased.connect(self._snap)
        self.resume.clicked.connect(self.controller.resume_from_here)
        self.back.clicked.connect(self.controller.back_to_now)
        controller.timeline_changed.connect(self.refresh)
        controller.snapshot.connect(self._snapshot)
        controller.moment.connect(self._moment)
        self.apply_colours()
        self.refresh()

    # ------------------------------------------------------------------ public
    @property
    def past(self) -> bool:
        return self.controller.viewing is not None

    def refresh(self) -> None:
        """The slider's range from the timeline's first moment to now; its handle at the moment
        shown (or at now)."""
        last, trainer = self.controller.last, self.controller.trainer
        self._now = last.epoch if last is not None else (trainer.epoch if trainer else 0)
        epochs = self.controller.timeline.epochs
        first = min(epochs[0], self._now) if epochs else self._now
        viewing = self.controller.viewing
        self.slider.blockSignals(True)
        self.slider.setRange(first, self._now)
        self.slider.setPageStep(max(1, (self._now - first) // 10))
        if not self.slider.isSliderDown():
            self.slider.setValue(viewing.epoch if viewing is not None else self._now)
        self.slider.blockSignals(False)
        self.slider.setEnabled(self._now > first)
        self._show_where()

    def apply_colours(self) -> None:
        """The strip's tint and the icon for the light or dark look (when it changes)."""
        dark = is_dark()
        if dark != getattr(self, "_dark", None):
            if hasattr(self, "_dark"):  # the canvas restyles its wires by the present's weights
                self.controller.back_to_now()
            self._dark = dark
            self.setStyleSheet(DARK_PAST_STYLE if dark else PAST_STYLE)
            self.mark.setPixmap(icon("mdi6.history").pixmap(18, 18))

    # ------------------------------------------------------------------ internals
    def _moved(self, _value: int) -> None:
        if not self._later.isActive():
            self._later.start()

    def _show_wanted(self) -> None:
        self.controller.show_epoch(self.slider.value())
        if not self.controller.running:
            self._show_where()

    def _snap(self) -> None:
        """Released: the handle goes to the moment shown (the nearest one kept)."""
        self._later.stop()
        self._show_wanted()
        self.refresh()

    def _snapshot(self, snap) -> None:
        """The present moved on (training): the slider's end follows, a few times a second."""
        now = time.perf_counter()
        if snap.epoch != self._now and (not self.controller.running
                                        or now - self._set_at >= NOW_SECONDS):
            self._set_at = now
            self.refresh()

    def _moment(self, _snap) -> None:
        past = self.past
        if self.property("past") != past:
            self.setProperty("past", past)
            for widget in (self, self.where):
                widget.style().unpolish(widget)
                widget.style().polish(widget)
        if not past and not self.slider.isSliderDown():
            self.refresh()
        self._show_where()

    def _show_where(self) -> None:
        viewing = self.controller.viewing
        self.resume.setVisible(viewing is not None)
        self.back.setVisible(viewing is not None)
        if viewing is not None:
            self.where.setText(f"viewing epoch {viewing.epoch:,} of {self._now:,}: the past")
        elif self.controller.running and self.slider.isSliderDown():
            self.where.setText("pausing to look back…")
        else:
            self.where.setText(f"epoch {self._now:,}: now")

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.apply_colours()
        super().changeEvent(event)

    def hideEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Hidden from the Learn menu: the past is not shown without the strip that says so."""
        if not event.spontaneous():
            self.controller.back_to_now()
        super().hideEvent(event)
