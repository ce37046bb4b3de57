"""The Inside panel: what goes on inside the open design's network, live as it trains — a Conv2D
block's filters and feature maps, a recurrent block's state over time, or an autoencoder's
reconstructions and code (core.training.inside computes them; the pages in inside_*.py draw them)."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from core.design.errors import NeuralCanvasError
from core.training import inside
from gui.panels.inside.images import AutoencoderPage, ConvPage
from gui.panels.inside.sequence import RecurrentPage
from gui.panels.inside.tiles import ink_table
from gui.panels.plot_style import FollowsPlotColours, PlotColours
from gui.widgets.elided import ElidedLabel

REFRESH_SECONDS = 0.25  # while the weights change (training), at most four refreshes a second
NOTE_NONE = ("Inside shows what goes on in a network as it learns: the filters of a convolution "
             "and what each finds in an image, a recurrent block's memory step by step, or an "
             "autoencoder's drawings and its code. This design has none of these (no Conv2D, "
             "SimpleRNN, LSTM or GRU block, and it does not learn to draw its own input). To see "
             "one, open an example from File → Open Example: digits cnn, sine lstm, sine gru or "
             "digits autoencoder.")
NOTE_ERRORS = ("Inside shows the network once the design can be built: fix the problems listed in "
               "the Problems panel first.")


class InsidePanel(FollowsPlotColours, QWidget):
    """Reads the document's compiled design (Document.compiled, compiled once per structure)
    with the weights shown loaded into it; redraws only while shown, at most four times a second."""

    def __init__(self, document, controller=None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.controller = controller  # a TrainingController: where a live run stands (optional)
        self.build = None  # core.compiler.compile.Build of the design as it is now (its weights too)
        self.kind: str | None = None  # "cnn" | "rnn" | "autoencoder" | None
        self.rows = None  # the test set's data rows
        self.colours = PlotColours.from_palette()
        self._stale_build = True
        self._dirty = True
        self._last = 0.0
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self.refresh)

        self.block_label = QLabel("Block")
        self.block = QComboBox()
        self.block.setObjectName("inside_block")
        self.block.setToolTip("Which block to look inside")
        self.block.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.channel = QComboBox()
        self.channel.setObjectName("inside_channel")
        self.channel.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.channel.setToolTip("A filter reads every input channel: show one channel's weights, "
                                "or their mean")
        self.sample = QSpinBox()
        self.sample.setObjectName("inside_sample_spin")
        self.sample.setPrefix("test sample ")
        self.sample.setToolTip("Which sample of the test set to show")
        self.caption = ElidedLabel()  # cut short with "…" in a narrow dock, whole in its tooltip
        self.caption.setObjectName("inside_caption")
        header = QHBoxLayout()
        header.setContentsMargins(8, 4, 8, 2)
        header.setSpacing(6)
        for widget in (self.block_label, self.block, self.channel, self.sample):
            header.addWidget(widget)
        header.addWidget(self.caption, 1)

        self.note = QLabel(NOTE_NONE)
        self.note.setObjectName("inside_note")
        self.note.setWordWrap(True)
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note.setMargin(20)
        self.conv = ConvPage()
        self.recurrent = RecurrentPage()
        self.autoencoder = AutoencoderPage()
        self.pages = QStackedWidget()
        for page in (self.note, self.conv, self.recurrent, self.autoencoder):
            self.pages.addWidget(page)
        for widget, narrowest in ((self.block, 60), (self.channel, 60), (self.sample, 72)):
            widget.setMinimumWidth(narrowest)  # the header never widens the dock area
        self.header = QWidget()
        self.header.setLayout(header)
        self.header.hide()  # until there is something to choose
        self.channel.hide()  # until a Conv2D block reads more than one channel
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.header)
        layout.addWidget(self.pages, 1)

        self.block.currentIndexChanged.connect(self._chosen)
        self.channel.currentIndexChanged.connect(self._chosen)
        self.sample.valueChanged.connect(self._chosen)
        for signal in (document.node_added, document.node_removed, document.connection_added,
                       document.connection_removed, document.node_changed,
                       document.settings_changed, document.design_replaced):
            signal.connect(self._structure)
        for signal in (document.connection_changed, document.weights_changed,
                       document.live_weights_changed):
            signal.connect(self._weights)
        self._apply_colours()
        self._structure()

    @property
    def block_id(self) -> str | None:
        return self.block.currentData()

    # ------------------------------------------------------------------ the design's events
    def _structure(self, *_args) -> None:
        self._stale_build = True
        self._weights()

    def _weights(self, *_args) -> None:
        self._dirty = True
        self._schedule()

    def seen(self) -> bool:
        """On the screen: shown, and not behind another tab of its dock area."""
        return self.isVisible() and not self.visibleRegion().isEmpty()

    def _schedule(self, seen: bool | None = None) -> None:
        """A refresh soon: not while unseen (showing it refreshes), at most every quarter second."""
        if not (self.seen() if seen is None else seen) or self._timer.isActive():
            return
        wait = REFRESH_SECONDS - (time.perf_counter() - self._last)
        self._timer.start(max(int(wait * 1000), 0))

    def set_seen(self, seen: bool) -> None:
        """Its dock's tab came to the front (or went behind another): catch up if it missed any."""
        if seen and self._dirty:
            self._schedule(seen=True)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's override
        super().showEvent(event)
        if self._dirty:
            self._schedule(seen=True)

    @property
    def up_to_date(self) -> bool:
        """Whether what the panel shows is of the design as it is now."""
        return not self._dirty

    # ------------------------------------------------------------------ computing
    def refresh(self) -> None:
        """Now: rebuild if the structure changed, take the design's weights, redraw."""
        self._timer.stop()
        self._last = time.perf_counter()
        self._dirty = False
        if self._stale_build:
            self._stale_build = False
            self._rebuild()
        self._draw()

    def _rebuild(self) -> None:
        design = self.document.design
        try:
            self.build = self.document.compiled.build()  # compiled once per structure, shared
        except NeuralCanvasError:
            self.build, self.kind = None, None
            return
        self.kind = inside.view_kind(self.build, design)
        self.rows = inside.test_rows(self.build, design.training)
        choices = (inside.conv_blocks(self.build, design) if self.kind == "cnn" else
                   inside.recurrent_blocks(self.build, design) if self.kind == "rnn" else [])
        was = self.block.currentData()
        widgets = (self.block, self.channel, self.sample)
        for widget in widgets:
            widget.blockSignals(True)
        self.block.clear()
        for choice in choices:
            self.block.addItem(choice.name, choice.node_id)
        ids = [c.node_id for c in choices]
        self.block.setCurrentIndex(ids.index(was) if was in ids else 0)
        self.sample.setRange(0, max(len(self.rows) - 1, 0))
        self._fill_channels()
        for widget in widgets:
            widget.blockSignals(False)
        sampled = self.kind in ("cnn", "rnn")
        for widget in (self.block_label, self.block):
            widget.setVisible(sampled)
        self.sample.setVisible(sampled and len(self.rows) > 0)

    def _fill_channels(self) -> None:
        """The channel choice for a Conv2D block that reads more than one channel."""
        was = self.channel.currentIndex()
        self.channel.clear()
        channels = 0
        if self.kind == "cnn" and self.block_id is not None:
            op = self.build.model.ops[self.build.block_ops[self.block_id]]
            channels = op.layer.channels
        if channels > 1:
            self.channel.addItem("mean of the input channels", None)
            for c in range(channels):
                self.channel.addItem(f"input channel {c + 1}", c)
            self.channel.setCurrentIndex(was if 0 <= was < self.channel.count() else 0)
        self.channel.setVisible(channels > 1)

    def _chosen(self, *_args) -> None:
        """A person picked a block, a channel or a sample: draw it now."""
        if self.sender() is self.block:
            self.channel.blockSignals(True)
            self._fill_channels()
            self.channel.blockSignals(False)
        if self.build is not None:
            self._draw()

    # ------------------------------------------------------------------ drawing
    def _draw(self) -> None:
        # a diverged run's numbers are drawn as they are (inf and NaN included), not warned about
        with np.errstate(all="ignore"):
            self._draw_view()

    def _draw_view(self) -> None:
        build, design = self.build, self.document.design
        if build is not None:  # the shared build: the weights shown now (a run's live ones too)
            build.read_weights(self.document.shown_design())
        if build is None or self.kind is None:
            self.note.setText(NOTE_ERRORS if build is None else NOTE_NONE)
            self.header.setVisible(False)
            self.pages.setCurrentWidget(self.note)
            return
        self.header.setVisible(True)
        data, task = build.data, build.data.task
        sample = min(self.sample.value(), max(len(self.rows) - 1, 0))
        when = self._when()
        ink = ink_table(self.palette())
        if self.kind == "cnn" and len(self.rows):
            node = self.block_id
            view = inside.conv_view(build, node, self.rows, sample, self.channel.currentData())
            layer = build.model.ops[build.block_ops[node]].layer
            self.conv.show_view(view, data, layer.activation.id, self.colours, ink, task)
            k = view.kernel.shape[0]
            self.caption.setText(f"{view.filters.shape[0]} filters, {k}×{k} · {when}")
            self.pages.setCurrentWidget(self.conv)
        elif self.kind == "rnn" and len(self.rows):
            node = self.block_id
            view = inside.recurrent_view(build, node, self.rows, sample)
            wave = inside.wave_view(build, design.dataset)
            self.recurrent.show_view(view, wave, self.block.currentText(), task,
                                     tuple(data.class_names), self.colours)
            self.caption.setText(f"{view.hidden.shape[0]} units, {view.hidden.shape[1]} time steps"
                                 f" · {when}")
            self.pages.setCurrentWidget(self.recurrent)
        elif self.kind == "autoencoder" and len(self.rows):
            view = inside.autoencoder_view(build, self.rows)
            op = build.model.ops[view.bottleneck]
            names = [inside.block_name(design, n) if n in build.block_ops else n for n in op.node_ids]
            code = names[0] if len(names) == 1 else f"{len(names)} neurons"
            self.autoencoder.show_view(view, self.colours, ink, self.colours.background)
            units = "1 unit" if view.width == 1 else f"{view.width} units"
            self.caption.setText(f"Autoencoder · its code: {code}, {units} · {when}")
            self.pages.setCurrentWidget(self.autoencoder)
        else:
            self.note.setText("The design keeps no test samples: set a test fraction above 0.")
            self.pages.setCurrentWidget(self.note)

    def _when(self) -> str:
        """'epoch 3, step 120': the run's place (a live run's last snapshot, else the design's)."""
        snap = getattr(self.controller, "last", None)
        state = self.document.design.state
        epoch, step = (snap.epoch, snap.step) if snap is not None else (state.epoch, state.step)
        return f"epoch {epoch}, step {step}" if step else "not trained yet"

    # ------------------------------------------------------------------ palette
    def _apply_colours(self) -> None:
        c = self.colours
        self.note.setStyleSheet(f"color: {c.muted.name()};")
        self.caption.setStyleSheet(f"color: {c.muted.name()};")
        self.recurrent.apply_colours(c)
        self.autoencoder.plots.setBackground(c.background)

    def colours_changed(self) -> None:
        self._apply_colours()
        if self.build is not None:
            self._draw()
