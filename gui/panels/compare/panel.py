"""The Compare view: variants of the design trained side by side (gui/panels/compare/run.py),
their loss curves overlaid, a table of where each stands and small multiples of their decision
boundaries; Play, Pause and Reset for all of them; a picked variant becomes the design (one undo
step, through the Document); the comparison saved as CSV or PNG, and kept with the design when
its run pauses or ends (reopened with the design: its curves, table and boundaries, and a variant
picked from its kept weights)."""

from __future__ import annotations

import html
import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.design.comparison import Comparison
from core.design.design import Design
from core.training.grid import start_design
from gui.document.document import Document
from gui.panels.compare.curves import CompareCurves
from gui.panels.compare.grid import Variant
from gui.panels.compare.kept import KeptWithDesign
from gui.panels.compare.run import CompareFrame, CompareRun, Processes
from gui.panels.compare.table import VariantTable, make_records, records_csv
from gui.panels.compare.tiles import BoundaryTiles
from gui.panels.plot_style import FollowsPlotColours, PlotColours
from gui.widgets import exports
from gui.widgets.theme import icon

TABLE_SECONDS = 0.25  # while the variants train, the table, its order and the summary follow this
# often (sizing a table's columns to their contents reads every cell); curves and tiles every frame
NOTHING_YET = "Training → Compare… chooses what varies; the variants then train here side by side."


class ComparePanel(KeptWithDesign, FollowsPlotColours, QWidget):
    """One comparison at a time (`start` begins another)."""

    state_changed = Signal(str)  # the run's: "idle" | "running" | "paused" | "finished"

    def __init__(self, document: Document, parent: QWidget | None = None,
                 processes: Processes | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.colours = PlotColours.from_palette()
        self.run: CompareRun | None = None
        self.processes = processes  # the comparisons' process, started when first needed
        self.records = []
        self.kept: Comparison | None = None  # the design's comparison, shown while there is no run
        self._kept_build = None  # how its outputs become colour
        self._run_of = None  # the design the run compares variants of: its results go to it
        self._table_at = 0.0  # when the table was last refreshed
        self._unkept = False  # the run's variants moved on since their results were last kept
        self.play_button = self._button("Play", "mdi6.play", self.toggle, "play_all",
                                        "train every variant; press again to pause them all")
        self.reset_button = self._button("Reset", "mdi6.restart", self.reset, "reset_all",
                                         "every variant back to its first weights")
        self.pick_button = self._button("Use as Design", "mdi6.check-bold", self.pick_selected,
                                        "pick_variant", "the selected variant's settings and "
                                        "weights become the design's (one undo step)")
        self.pick_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.summary = QLabel(NOTHING_YET)
        self.summary.setObjectName("compare_summary")
        self.summary.setWordWrap(True)
        self.curves = CompareCurves(self.colours)
        self.export_button, self.save_png_action, self.save_csv_action = \
            exports.panel_export_menu(self, self.curves, self.save_png, self.save_csv)
        header = QHBoxLayout()
        header.setContentsMargins(8, 4, 8, 0)
        for button in (self.play_button, self.reset_button, self.pick_button):
            header.addWidget(button)
        header.addWidget(self.summary, 1)
        header.addWidget(self.export_button)

        self.table_model = VariantTable()
        self.table = QTableView()
        self.table.setObjectName("compare_table")
        self.table.setModel(self.table_model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(4, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setMouseTracking(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        heads = self.table.horizontalHeader()
        heads.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        heads.setStretchLastSection(True)
        self.table.doubleClicked.connect(lambda index: self.pick(self.table_model.record_at(
            index.row()).index))
        self.table.entered.connect(lambda index: self._hover(self.table_model.record_at(
            index.row()).index))
        self.tiles = BoundaryTiles(self.colours)
        self.key = QLabel()  # the curves' legend: the line styles; each variant's colour is its row's
        self.key.setObjectName("compare_key")
        self.key.setTextFormat(Qt.TextFormat.RichText)
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(8, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.key)
        column.addWidget(self.curves, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        for widget in (left, self.table, self.tiles):
            self.splitter.addWidget(widget)
        self.splitter.setSizes([330, 600, 350])
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 5)
        self.splitter.setStretchFactor(2, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(self.splitter, 1)
        self._set_key()
        document.design_replaced.connect(self.clear)
        document.saving.connect(self._keep_before_saving)
        document.comparison_changed.connect(self._comparison_changed)
        self.curves.hovered.connect(self._hover)
        self.tiles.hovered.connect(self._hover)
        self._enable()

    def _button(self, text: str, icon_name: str, slot, name: str, tip: str) -> QToolButton:
        button = QToolButton()
        button.setObjectName(name)
        button.setText(text)
        button.setIcon(icon(icon_name))
        button.setProperty("icon_name", icon_name)
        button.setToolTip(f"{text} — {tip}")
        button.setAutoRaise(True)
        button.clicked.connect(lambda _checked=False: slot())
        return button

    # ------------------------------------------------------------------ a comparison
    def start(self, variants: list[Variant], epochs: int, play: bool = True) -> None:
        """Compare these variants of the design as it is now, `epochs` epochs per Play."""
        self._end_run()
        self.kept = None
        changes = [v.changes for v in variants]
        # seeds that vary are repeats from fresh weights, each drawn from its own seed (as
        # `neuralcanvas sweep` does), not the design's trained weights shuffled otherwise
        start = start_design(self.document.design, len({c.get("seed") for c in changes}) > 1)
        self.run = CompareRun(start, changes, epochs, self, self.processes)
        self._run_of = self.document.design
        self.run.frame.connect(self._frame)
        self.run.state_changed.connect(self._state_changed)
        self.records = make_records(variants)
        self.table_model.set_records(self.records)
        self.curves.set_records(self.records)
        self.tiles.set_data(self.run.build, self.run.plane)
        self.tiles.setVisible(self.run.plane is not None)
        self.tiles.set_order(self._ordered())
        self._say()
        self._enable()
        if play:
            self.run.play()

    def toggle(self) -> None:
        if self.run is not None:
            self.run.toggle()

    def pause(self) -> None:
        """Pause a running comparison and wait for it (its results are then kept)."""
        if self.run is not None and self.run.running:
            self.run.pause()
            self.run.wait()

    def reset(self) -> None:
        if self.run is None:
            return
        self.run.reset()
        for record in self.records:
            record.history.clear()
            record.state, record.reason, record.epoch = "waiting", "", 0
        self.tiles.set_data(self.run.build, self.run.plane)
        self._redraw()

    def _end_run(self) -> None:
        if self.run is not None:
            self.run.close()

    def shutdown(self) -> None:
        """The comparison stops and its process ends (closing, another design)."""
        self._end_run()
        if self.processes is not None:
            self.processes.close()

    def clear(self) -> None:
        """Another design is open (New, Open): the comparison of the one before ends, unshown."""
        self.shutdown()
        if self.run is not None:
            self.run.deleteLater()
        self.run, self.records = None, []
        self.table_model.set_records([])
        self.curves.set_records([])
        self.tiles.set_data(None, None)
        self.tiles.set_order([])
        self._say()
        self._set_key()
        self._state_changed("idle")
        self._show_kept()

    def pick(self, index: int) -> bool:
        """The variant's settings and trained weights become the design's: one undo step."""
        if self.run is None:
            return self._pick_kept(index)
        record = self.records[index]
        try:
            design: Design = self.run.variant_design(index)
            self.document.take_variant(design, f"Use variant {index + 1} ({record.name})")
        except ValueError as exc:  # the design was edited since: other nodes or wires
            self._say(f"variant {index + 1} cannot become the design: {exc}")
            return False
        self.table.selectRow(self.table_model.row_of(index))
        return True

    def pick_selected(self) -> bool:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return False
        return self.pick(self.table_model.record_at(rows[0].row()).index)

    # ------------------------------------------------------------------ saving
    def save_csv(self) -> str:
        return exports.export(
            self, "Save the comparison as CSV",
            exports.suggested_name(self.document, "comparison", ".csv"), exports.CSV_FILTER,
            lambda: records_csv(self.records), "the comparison")

    def save_png(self) -> str:
        return exports.export(
            self, "Save the comparison as PNG",
            exports.suggested_name(self.document, "comparison", ".png"), exports.PNG_FILTER,
            lambda: exports.png_bytes(exports.panel_image([self.summary], self.splitter,
                                                          self.colours.background)),
            "the comparison picture")

    # ------------------------------------------------------------------ updates
    def _frame(self, frame: CompareFrame) -> None:
        for report in frame.reports:
            self.records[report.index].take(report)
        if frame.reports:
            self._unkept = True  # the variants moved on since their results were last kept
        if frame.kind == "paused":
            for record in self.records:
                if record.state == "training":
                    record.state = "paused"
        self.tiles.set_maps(frame.maps)
        now = time.perf_counter()
        if frame.kind == "epoch" and now - self._table_at < TABLE_SECONDS:
            self.curves.redraw()
            return
        self._table_at = now
        self._redraw(frame.message)

    def _redraw(self, message: str = "") -> None:
        self.curves.redraw()
        self.table_model.refresh()
        self.tiles.set_order(self._ordered())
        self._say(message)
        self._enable()

    def _ordered(self):
        return [self.table_model.record_at(row) for row in range(len(self.records))]

    def _say(self, message: str = "") -> None:
        if self.run is None and self.kept is None:
            self.summary.setText(NOTHING_YET)
            return
        counts = {}
        for record in self.records:
            counts[record.state] = counts.get(record.state, 0) + 1
        run = self.run
        target = self.kept.epochs if run is None else (
            run.target if run.target > run.start_epoch else run.start_epoch + run.epochs)
        parts = [f"{len(self.records)} variants", f"epoch {max(r.epoch for r in self.records)}"
                 f" of {target}"]
        parts += [f"{n} {state if state != 'waiting' else 'not started'}"
                  for state, n in counts.items()]
        self.summary.setText(" · ".join(parts) + (f" — {message}" if message else ""))

    def _state_changed(self, state: str) -> None:
        if state in ("paused", "finished") and self._unkept:
            self.keep()
        running = state == "running"
        name = "mdi6.pause" if running else "mdi6.play"
        self.play_button.setIcon(icon(name))
        self.play_button.setProperty("icon_name", name)
        self.play_button.setText("Pause" if running else "Play")
        self._enable()
        self.state_changed.emit(state)

    def _enable(self) -> None:
        has = self.run is not None
        for widget in (self.play_button, self.reset_button, self.pick_button):
            widget.setEnabled(has)
        if self.kept is not None:  # a reopened comparison: its variants can be picked, not trained
            self.pick_button.setEnabled(True)
        trained = (has or self.kept is not None) and any(r.history for r in self.records)
        for action in (self.save_png_action, self.save_csv_action):
            action.setEnabled(trained)

    def _hover(self, index: int | None) -> None:
        self.curves.highlight(index)
        self.tiles.highlight(index)
        self._set_key(index)

    def _set_key(self, index: int | None = None) -> None:
        """The line styles, or the variant under the mouse in its colour with its last figures."""
        muted = self.colours.muted.name()
        if index is None or index >= len(self.records):
            self.key.setText(f"<span style='color:{muted}'>━━ train &nbsp;╍╍ test &nbsp;· "
                             f"each variant in its row's colour</span>")
            return
        record = self.records[index]
        figures = [f"{name} {value:.3g}" for name, value in
                   (("train", record.last("train_loss")), ("test", record.last("test_loss")))
                   if value is not None]
        self.key.setText(f"<span style='color:{record.colour.name()}'><b>{index + 1}. "
                         f"{html.escape(record.name)}</b></span> <span style='color:{muted}'>"
                         f"{html.escape(' · '.join(figures) or record.state)}</span>")

    def colours_changed(self) -> None:
        self.curves.apply_colours(self.colours)
        self._set_key()
        self.tiles.apply_colours(self.colours, self._kept_build if self.run is None
                                 else self.run.build)
