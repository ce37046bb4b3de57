"""The loss landscape panel: the training loss over a grid of two weights a person picks, as
contours (and a 3-D surface where OpenGL runs), with the path gradient descent takes drawn live."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout, QWidget

from core.design.errors import DesignError, NeuralCanvasError
from core.training.landscape import DescentPath, Landscape, WeightRef, value_in, value_in_design
from gui.learn.landscape import surface_3d as landscape_3d
from gui.learn.landscape.controls import (
    LandscapeControls,
    cannot_build,
    loss_text,
    rows_text,
    too_few,
)
from gui.learn.landscape.job import Request, SurfaceRunner
from gui.learn.landscape.weights import WeightListModel, weight_name, widest_names
from gui.panels.plot_style import FollowsPlotColours, PlotColours

EDIT_WAIT_MS = 300  # a person's edits to other weights redraw the slice after this pause
DATA_KEYS = ("loss", "test_fraction", "seed", "dtype")  # the settings the loss over the grid reads


class LandscapePanel(FollowsPlotColours, QWidget):
    """Compiles its own copy of the design (core.training.landscape.Landscape), asks the worker for the
    surface while seen, and follows the two weights through the controller's snapshots."""

    def __init__(self, document, controller, scene, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document, self.controller, self.scene = document, controller, scene
        self.colours = PlotColours.from_palette()
        self.landscape: Landscape | None = None
        self.a: WeightRef | None = None  # along x
        self.b: WeightRef | None = None  # along y
        self.surface = None  # core.training.landscape.Surface drawn now
        self.path = DescentPath()
        self.now: tuple[float, float] | None = None  # the two weights as the design has them
        self.moment: tuple[float, float] | None = None  # a past moment the timeline shows
        self.dock = None  # its QDockWidget (install sets it)
        self._lost_with = None  # the snapshot during which the dock went behind another tab
        self._data_key = None
        self._version = 0  # counts the design's weight changes
        self._slice_at = 0  # … as it was when the surface shown was asked for
        self._stale = True  # the structure changed: compile again
        self._dirty = True  # the surface needs computing (when seen)
        self.runner = SurfaceRunner(self)
        self.runner.surface.connect(self._surface)
        self.runner.progress.connect(lambda f: self._set_status(f"computing… {f:.0%}"))
        self.runner.failed.connect(lambda text: self._set_status(f"could not compute: {text}"))
        self.runner.idle.connect(self._follow)
        self._edit_timer = QTimer(self, singleShot=True, interval=EDIT_WAIT_MS)
        self._edit_timer.timeout.connect(self.request_surface)
        self._refresh_timer = QTimer(self, singleShot=True, interval=0)
        self._refresh_timer.timeout.connect(self.refresh)
        self._build_widgets()
        for signal, slot in ((document.node_added, self._structure),
                             (document.node_removed, self._structure),
                             (document.connection_added, self._structure),
                             (document.connection_removed, self._structure),
                             (document.node_changed, self._node_changed),
                             (document.connection_changed, self._wire_changed),
                             (document.settings_changed, self._settings_changed),
                             (document.weights_changed, self._weights),
                             (document.design_replaced, self._bind)):
            signal.connect(slot)
        controller.weights_shown.connect(self._weights_shown)
        controller.snapshot.connect(self._keep_in_front)
        if hasattr(controller, "moment_shown"):  # the training timeline, where it is present
            controller.moment_shown.connect(self.show_moment)
        self._bind()

    # ------------------------------------------------------------------ widgets
    def _build_widgets(self) -> None:
        self.model = WeightListModel(self)
        self.controls = c = LandscapeControls(self.model)
        self.x_combo, self.y_combo, self.use_selected = c.x_combo, c.y_combo, c.use_selected
        self.span, self.status, self.note, self.gl_note = c.span, c.status, c.note, c.gl_note
        self.views = landscape_3d.LandscapeViews()
        self.contours, self.surface_view = self.views.contours, self.views.surface_view
        self.gl_reason = self.views.gl_reason
        self.gl_note.setText(f"Contours only: {self.gl_reason}." if self.gl_reason else "")
        self.gl_note.setVisible(self.gl_reason is not None)

        self.main = QWidget()
        body = QHBoxLayout(self.main)
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        body.addWidget(self.controls)
        body.addWidget(self.views, 1)
        self.message = QLabel()
        self.message.setObjectName("landscape_message")
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setMargin(20)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.message)
        self.pages.addWidget(self.main)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)

        self.x_combo.currentIndexChanged.connect(self._chosen)
        self.y_combo.currentIndexChanged.connect(self._chosen)
        self.use_selected.clicked.connect(self.use_selected_wires)
        self.span.valueChanged.connect(lambda _v: self.request_surface())
        c.recompute.clicked.connect(self.request_surface)
        c.clear_path.clicked.connect(self._restart_path)

    @property
    def marked(self) -> tuple[float, float] | None:
        """Where the point is marked: a past moment the timeline shows, else the weights now."""
        return self.moment if self.moment is not None else self.now

    # ------------------------------------------------------------------ the design
    def _bind(self) -> None:
        """Another design (New, Open, the first): everything about the old one goes."""
        self.runner.cancel()
        self.landscape, self.a, self.b, self.surface = None, None, None, None
        self.model.set_table(None, self.document.design)
        self.path.clear()
        self.now = self.moment = None
        self.views.clear()
        self._structure()

    def _structure(self, *_args) -> None:
        self._stale = self._dirty = True
        self._schedule()

    def _node_changed(self, old, new) -> None:
        def shape(node):
            return node.kind, {k: v for k, v in node.params.items() if k != "bias"}

        if shape(old) != shape(new):
            self._structure()
        elif old.params.get("bias") != new.params.get("bias"):
            self._edited(f"bias:{new.id}")
        elif old.label != new.label:
            self.model.names_changed()
            self._label_axes()

    def _wire_changed(self, _old, new) -> None:
        self._edited(f"wire:{new.id}")

    def _edited(self, key: str) -> None:
        """A person set a weight: one of ours moves the point (the path starts again from it);
        any other changes the slice, drawn again after a pause."""
        self._version += 1
        if self.a is None or self.b is None:
            return
        if key in (self.a.key, self.b.key):
            self._restart_path()
        else:
            self._dirty = True
            if self._seen():
                self._edit_timer.start()

    def _settings_changed(self, _what: str) -> None:
        if self._data_signature() != self._data_key:  # not for a learning rate or a batch size
            self._structure()

    def _data_signature(self):
        design = self.document.design
        return design.dataset, tuple(getattr(design.training, k) for k in DATA_KEYS)

    def _weights(self) -> None:
        """New weights in the design (a run's result, Reset, undo): the point goes where they are.
        (A run's result is taken before the controller says weights_shown.)"""
        self._version += 1
        self._move(self._values_now())

    # ------------------------------------------------------------------ showing and computing
    def _seen(self) -> bool:
        return self.isVisible() and not self.visibleRegion().isEmpty()

    def set_seen(self, seen: bool) -> None:
        """Its dock came to the front (or went behind another tab): catch up if it missed any."""
        if not seen:
            self._lost_with = self.controller.last
        if seen and (self._dirty or self._stale):
            self._refresh_timer.start()

    def _keep_in_front(self, snap) -> None:
        """The live panels bring the boundary (or the confusion matrix) forward by themselves at
        a design's first snapshot: a landscape the person opened stays in front all the same.
        (A tab the person clicks goes behind between two snapshots, not during one.)"""
        if self._lost_with is snap and self.dock is not None and not self.dock.isHidden():
            self._lost_with = None
            self.dock.raise_()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's override
        super().showEvent(event)
        self.set_seen(True)

    def _schedule(self) -> None:
        if self._seen():
            self._refresh_timer.start()

    def refresh(self) -> None:
        """Now: compile again if the structure changed, then ask for the surface."""
        if self._stale:
            self._stale = False
            self._rebuild()
        if self._dirty:
            self.request_surface()

    def _rebuild(self) -> None:
        design = self.document.design
        self.runner.cancel()
        self._data_key = self._data_signature()
        try:
            landscape = Landscape(design.copy())
        except NeuralCanvasError as exc:
            first = exc.problems[0] if isinstance(exc, DesignError) and exc.problems else exc
            return self._show_message(cannot_build(first))
        if len(landscape.weights) < 2:
            return self._show_message(too_few(len(landscape.weights)))
        self.landscape = landscape
        keep = (self.a.key, self.b.key) if self.a is not None and self.b is not None else None
        refs = [landscape.weights.find(k) for k in keep] if keep else [None, None]
        if None in refs:
            refs = list(landscape.weights.default_pair())
        self.model.set_table(landscape.weights, design)
        self.controls.fit_names(widest_names(design, landscape.weights))
        self.pages.setCurrentWidget(self.main)
        self._set_status(rows_text(landscape))
        self._choose(refs[0], refs[1], restart=keep != (refs[0].key, refs[1].key))

    def _show_message(self, text: str) -> None:
        self.runner.cancel()
        self.landscape, self.a, self.b, self.surface = None, None, None, None
        self.model.set_table(None, self.document.design)
        self.path.clear()
        self.now = self.moment = None
        self.message.setText(text)
        self.pages.setCurrentWidget(self.message)

    def request_surface(self) -> None:
        """The surface around the weights as they are now (in the background)."""
        self._edit_timer.stop()
        if self.landscape is None or self.a is None or self.b is None:
            return
        if not self._seen():
            self._dirty = True
            return
        self._dirty = False
        self._slice_at = self._version
        self.runner.submit(Request(self.runner.next_generation(), self.landscape,
                                   self.document.shown_design().copy(), self.a, self.b,
                                   self.span.value()))
        self._set_status("computing…")

    def _surface(self, surface, final: bool) -> None:
        self.surface = surface
        self.views.show_surface(surface)
        self._draw_path()
        if final:
            self._set_status(self._loss_text())

    def _follow(self) -> None:
        """The weights left the grid: compute it again around them."""
        if self.surface is not None and self.now is not None and self.moment is None \
                and not self.surface.contains(*self.now) and not self.runner.busy:
            self.request_surface()

    # ------------------------------------------------------------------ choosing the weights
    def _chosen(self, *_args) -> None:
        table = self.model.table
        x, y = self.x_combo.currentIndex(), self.y_combo.currentIndex()
        if table is not None and x >= 0 and y >= 0:
            self._choose(table[x], table[y], restart=True)

    def _choose(self, a: WeightRef, b: WeightRef, restart: bool) -> None:
        self.a, self.b = a, b
        table = self.model.table
        for combo, ref in ((self.x_combo, a), (self.y_combo, b)):
            combo.blockSignals(True)
            combo.setCurrentIndex(table.position(ref.key))
            combo.blockSignals(False)
        self._label_axes()
        self.moment = None
        if restart:  # the old surface is over other weights: gone until the new one comes
            self.runner.cancel()
            self.surface = None
            self.views.clear()
            self._restart_path()
        else:
            self._move(self._values_now())
        if a.key == b.key:
            self._set_status("Choose two different weights for x and y.")
            return
        self.request_surface()

    def choose(self, key_x: str, key_y: str) -> bool:
        """Pick the two weights by key ("wire:c8"); False when either is not in the design."""
        if self.landscape is None:
            return False
        a, b = self.landscape.weights.find(key_x), self.landscape.weights.find(key_y)
        if a is None or b is None:
            return False
        self._choose(a, b, restart=True)
        return True

    def use_selected_wires(self) -> bool:
        """The two wires selected on the canvas become x and y (in the order of the design)."""
        if self._stale:
            self.refresh()
        wires = self.scene.selected_connection_ids()
        table = self.landscape.weights if self.landscape is not None else None
        keys = [f"wire:{cid}" for cid in self.document.design.connections if cid in wires]
        keys = [k for k in keys if table is not None and table.position(k) is not None]
        if len(keys) != 2:
            self._set_status(f"Select exactly two wires into neurons on the canvas (now "
                             f"{len(keys)}): click one, Shift-click the other.")
            return False
        return self.choose(*keys)

    def _label_axes(self) -> None:
        if self.a is not None and self.b is not None:
            design = self.document.design
            self.contours.set_labels(weight_name(design, self.a), weight_name(design, self.b))

    # ------------------------------------------------------------------ the point and the path
    def _values_now(self) -> tuple[float, float] | None:
        if self.a is None or self.b is None or self.landscape is None:
            return None
        design, live = self.document.design, self.document.live_weights
        values = []
        for ref in (self.a, self.b):  # a run's live weights while it shows them, else the design's
            value = value_in(live, ref) if live is not None else None
            if value is None:
                value = value_in_design(design, ref)
            values.append(self.landscape.compiled_value(ref) if value is None else value)
        return values[0], values[1]

    def _restart_path(self) -> None:
        self.path.clear()
        now = self._values_now()
        if now is not None:
            self.path.add(self.document.design.state.step, now)
        self._move(now)

    def _weights_shown(self, snap) -> None:
        """The views took a snapshot's weights (~4 a second while training, after each step)."""
        self._version += 1  # the slice drawn is the weights' as they were
        if self.a is None or self.b is None:
            return
        x, y = value_in(snap.weights, self.a), value_in(snap.weights, self.b)
        if x is None or y is None:
            return
        self.path.add(snap.step, (x, y))
        self._move((x, y))

    def show_moment(self, weights) -> None:
        """The timeline shows a past moment (a snapshot_weights dict), or now again (None)."""
        moment = None
        if weights is not None and self.a is not None and self.b is not None:
            x, y = value_in(weights, self.a), value_in(weights, self.b)
            moment = None if x is None or y is None else (x, y)
        self.moment = moment
        self._move(self.now)

    def _move(self, now: tuple[float, float] | None) -> None:
        self.now = now
        self._draw_path()
        if self.surface is not None:
            self._set_status(self._loss_text())
        self._follow()

    def _draw_path(self) -> None:
        self.views.show_path(self.path.array(), self.marked)

    # ------------------------------------------------------------------ words
    def _loss_text(self) -> str:
        return loss_text(self.landscape, self.surface, self.marked, self._version != self._slice_at)

    def _set_status(self, text: str) -> None:
        self.status.setText(text)
        self.status.setToolTip(text)

    # ------------------------------------------------------------------ look and end
    def colours_changed(self) -> None:
        self.views.set_colours(self.colours)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's override
        if event.type() == QEvent.Type.Close:  # the window closes: let the worker finish first
            self.runner.shutdown()
            self._dirty = True  # (should the person stay after all, it computes again)
        return False
