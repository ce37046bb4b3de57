"""Live training in the main window: the controller, its toolbar and menu, the banner that says
what went wrong, the status bar's figures, the panels in the bottom dock area, and a past moment
of the timeline drawn on the canvas."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.compiler.memory import machine_memory, size_text, summary
from core.training.inside import view_kind
from gui.panels.boundary.panel import BoundaryPanel
from gui.panels.confusion import ConfusionPanel
from gui.panels.data.panel import DataPanel
from gui.panels.design_data import design_data, is_planar
from gui.panels.inside.panel import InsidePanel
from gui.panels.loss import LossPanel
from gui.training import status
from gui.training.compare import CompareLauncher
from gui.training.controller import TrainingController
from gui.training.toolbar import TrainingBar
from gui.widgets.theme import icon, is_dark

BANNER_STYLE = ("#banner { background: #fff4e5; border-bottom: 1px solid #f0c36d; }"
                "#banner QLabel { color: #6b4400; }")
DARK_BANNER_STYLE = ("#banner { background: #3b2f1a; border-bottom: 1px solid #7a5b1e; }"
                     "#banner QLabel { color: #f5d9a0; }")


class Banner(QWidget):
    """A one-line message over the canvas (a run that diverged, a design that cannot train),
    with a button to dismiss it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.mark = QLabel()
        close = QToolButton()
        close.setObjectName("dismiss")
        close.setAutoRaise(True)
        close.setIcon(icon("mdi6.close"))
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.mark)
        layout.addWidget(self.text, 1)
        layout.addWidget(close)
        self.hide()

    def show_message(self, text: str) -> None:
        self.setStyleSheet(DARK_BANNER_STYLE if is_dark() else BANNER_STYLE)
        self.mark.setPixmap(icon("mdi6.alert-outline").pixmap(18, 18))
        self.text.setText(text)
        self.show()


class LiveTraining:
    """Everything the window needs to train its design live; `controller` does the work."""

    def __init__(self, window: QMainWindow) -> None:
        self.window = window
        document = window.document
        self.controller = TrainingController(document, window)
        self.bar = TrainingBar(self.controller, window)
        window.addToolBar(self.bar)  # beside the main toolbar; the settings on a row below
        window.addToolBarBreak()
        window.addToolBar(self.bar.settings_bar)
        self.banner = Banner()
        view = window.takeCentralWidget()
        centre = QWidget()
        layout = QVBoxLayout(centre)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(view, 1)
        window.setCentralWidget(centre)
        self._panels(window)
        self.state_label = QLabel()  # "ready to train", "training to epoch 200", "done: all 200 epochs"
        self.state_label.setObjectName("training_state")
        self.state_label.setContentsMargins(0, 0, 10, 0)  # apart from the figures after it
        bold = self.state_label.font()
        bold.setBold(True)
        self.state_label.setFont(bold)
        window.statusBar().addPermanentWidget(self.state_label)
        self.status = QLabel()  # the figures: epoch, loss, accuracy, speed, memory, the engine
        self.status.setObjectName("training_status")
        window.statusBar().addPermanentWidget(self.status)
        self.compare = CompareLauncher(window, self.controller, self.docks)
        self.bar.compare_requested.connect(self.compare.open_dialog)
        self.menu = _menu(window, self.bar)
        window.menuBar().insertMenu(window.learn_menu.menuAction(), self.menu)
        self.controller.message.connect(self.banner.show_message)
        self.controller.alert.connect(self._alert)
        self.controller.weights_shown.connect(
            lambda snap: window.scene.show_neuron_maps(snap.neuron_maps))
        self.controller.moment.connect(self._moment_on_canvas)
        window.scene.neuron_hovered.connect(self.boundary.show_neuron)
        self.controller.state_changed.connect(self._state_changed)
        self.controller.snapshot.connect(self._snapshot)
        self.controller.stopped.connect(lambda _kind, _reason: self._show_state())
        self.controller.note.connect(lambda text: window.statusBar().showMessage(text, 20000))
        document.design_replaced.connect(self._design_replaced)
        document.settings_changed.connect(self._settings_changed)
        self._memory, self._shown = "", None
        document.validated.connect(self._estimate_memory)
        self._estimate_memory(document.problems)
        self._design_replaced()

    def _panels(self, window: QMainWindow) -> None:
        """Data, boundary (or the confusion matrix, for inputs of more than two dimensions) and
        the loss, side by side under the canvas; the Problems panel shares the data's place."""
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        for corner in (Qt.Corner.BottomLeftCorner, Qt.Corner.BottomRightCorner):
            window.setCorner(corner, bottom)  # the panels take the window's whole width
        self.data = DataPanel(window.document)
        self.boundary = BoundaryPanel(self.controller)
        self.confusion = ConfusionPanel(self.controller)
        self.loss = LossPanel(self.controller)
        self.inside = InsidePanel(window.document, self.controller)
        self.data_dock = window.add_dock("Data", self.data, bottom)
        self.boundary_dock = window.add_dock("Boundary", self.boundary, bottom)
        self.confusion_dock = window.add_dock("Confusion", self.confusion, bottom)
        self.inside_dock = window.add_dock("Inside", self.inside, bottom)
        self.inside_dock.visibilityChanged.connect(self.inside.set_seen)  # computes only when seen
        self.loss_dock = window.add_dock("Loss", self.loss, bottom)
        window.splitDockWidget(self.data_dock, self.boundary_dock, Qt.Orientation.Horizontal)
        window.splitDockWidget(self.boundary_dock, self.loss_dock, Qt.Orientation.Horizontal)
        window.tabifyDockWidget(self.boundary_dock, self.confusion_dock)
        window.tabifyDockWidget(self.confusion_dock, self.inside_dock)
        self.loss_dock.raise_()  # (Problems joins it when the window first shows)
        self.boundary_dock.raise_()
        self.docks = [self.data_dock, self.boundary_dock, self.confusion_dock, self.inside_dock,
                      self.loss_dock]
        window.view_menu.insertActions(window.view_separator,
                                       [dock.toggleViewAction() for dock in self.docks])
        window.resizeDocks([self.data_dock], [290], Qt.Orientation.Vertical)
        window.resizeDocks([window.palette_dock, window.inspector_dock], [200, 330],
                           Qt.Orientation.Horizontal)
        self.controller.snapshot.connect(self._raise_the_right_view)

    def first_shown(self, window: QMainWindow, arrange: bool) -> None:
        """When the window first shows: with `arrange` (no arrangement restored from the settings)
        the Problems panel as a tab beside the loss, and the bottom row's widths; tabified earlier,
        a second group of tabs left a stale copy of its tab bar drawn over the panels (Qt 6.11).
        Then the view for the design's data in front (raised before the window showed, a tab
        does not come forward)."""
        if arrange:
            self._arrange_bottom_row(window)
        self._planar = self._inside_for = None
        if self.controller.last is not None:  # a trained design: its snapshot says which
            self._raise_the_right_view(self.controller.last)
        else:
            self._raise_for_the_data()

    def _arrange_bottom_row(self, window: QMainWindow) -> None:
        window.tabifyDockWidget(self.loss_dock, window.problems_dock)
        self.loss_dock.raise_()
        window.resizeDocks([self.data_dock, self.boundary_dock, self.loss_dock], [8, 4, 4],
                           Qt.Orientation.Horizontal)

    def _raise_for_the_data(self) -> None:
        """The boundary for data with two inputs, the confusion matrix otherwise: for a design
        just opened (whatever the one before brought forward, Inside for a sine) or data that
        changed kind. A view the person opened in front of them (a Learn view) stays there."""
        self._planar = is_planar(design_data(self.window.document.design))
        if any(not dock.visibleRegion().isEmpty()  # (a tab behind another is "visible" too)
               for dock in (self.boundary_dock, self.confusion_dock, self.inside_dock)):
            (self.boundary_dock if self._planar else self.confusion_dock).raise_()

    def _raise_the_right_view(self, snap) -> None:
        """The boundary for two inputs, the confusion matrix otherwise (once per new design);
        for a regression with more inputs (no classes to confuse) the Inside view, when it has
        one for the design (a sine predicted by an LSTM, an autoencoder), at its first snapshot."""
        planar = snap.plane is not None
        if planar != getattr(self, "_planar", None):
            self._planar = planar
            (self.boundary_dock if planar else self.confusion_dock).raise_()
        trainer, design = self.controller.trainer, self.window.document.design
        if not planar and snap.confusion is None and trainer is not None \
                and getattr(self, "_inside_for", None) is not design:
            self._inside_for = design

            if view_kind(trainer.build, design) is not None:
                self.inside_dock.raise_()

    def _moment_on_canvas(self, snap) -> None:
        """The wires, biases and neuron maps of a past moment (None: now again). The design keeps
        its weights: only the items show the moment's, against the present's weight scale (so
        the random initial wires look as thin next to the trained ones as they were)."""
        scene, design = self.window.scene, self.window.document.design
        if snap is None:
            for item in scene.node_items():
                node = design.nodes.get(item.node_id)
                if node is not None and item.record is not node:
                    item.update_from(node)
            scene.refresh_weights()
            last = self.controller.last
            scene.show_neuron_maps(last.neuron_maps if last is not None and last.neuron_maps
                                   else None)
            return
        with scene.batched_background():
            for cid, weight in snap.weights.get("connections", {}).items():
                item, conn = scene.connection_item(cid), design.connections.get(cid)
                if item is not None and conn is not None:
                    item.update_from(replace(conn, weight=weight), scene.weight_scale)
        for nid, values in snap.weights.get("neurons", {}).items():
            item, node = scene.node_item(nid), design.nodes.get(nid)
            if item is not None and node is not None:
                item.update_from(replace(node, params={**node.params, **values}))
        scene.show_neuron_maps(snap.neuron_maps or None)

    def _state_changed(self, state: str) -> None:
        if state == "running":
            self.banner.hide()
        self.window.scene.set_training_live(state == "running")
        self._show_state()

    def _snapshot(self, snap) -> None:
        self._show_status(snap)
        self._show_state()

    def _design_replaced(self) -> None:
        """Another design (New, Open): nothing of the one before stays in the status bar or in
        front; a design trained before shows its figures once the controller has taken it."""
        self.banner.hide()
        self.window.statusBar().clearMessage()  # why the last design's run stopped, say
        self._shown = None
        self._inside_for = None
        self._raise_for_the_data()
        self._show_status(None)
        self._show_state()

    def _settings_changed(self, what: str) -> None:
        if what == "dataset" and is_planar(design_data(self.window.document.design)) \
                != getattr(self, "_planar", None):
            self._raise_for_the_data()
        self._show_state()  # the epochs asked for may be done, or not any more

    def _show_state(self) -> None:
        """Training's state in a few words (gui/training/status.py), hidden when it cannot train."""
        controller, document = self.controller, self.window.document
        can_train = not any(p.severity == "error" for p in document.problems)
        self.state_label.setText(status.state_text(controller.running, controller.ended,
                                                   document.design, can_train))
        self.state_label.setToolTip(status.state_tip(controller, document.design))
        self.state_label.setVisible(bool(self.state_label.text()))

    def _alert(self, text: str) -> None:
        """A failure the person must read before going on (the machine ran out of memory)."""
        QMessageBox.critical(self.window, "Not enough memory", text[:1].upper() + text[1:])

    def _estimate_memory(self, _problems) -> None:
        """What training the design needs in memory, for the status bar ("training needs ≈ 12 MiB")."""
        document, self._memory = self.window.document, ""
        if document.structure is not None:
            data = design_data(document.design)
            if data is not None:
                self._memory = summary(document.design, document.structure, data)
        has = machine_memory()
        self.status.setToolTip(f"What training this design needs in memory; this machine has "
                               f"{size_text(has)}" if self._memory and has else "")
        self._show_status(self._shown)
        self._show_state()

    def _show_status(self, snap) -> None:
        self._shown = snap
        parts = []
        if snap is not None:
            parts.append(f"epoch {snap.epoch:,}")
            m = snap.metrics
            loss = m.train_loss if m is not None else snap.loss
            if loss is not None:
                parts.append(f"loss {loss:.4g}")
            if m is not None and m.test_accuracy is not None:
                parts.append(f"test accuracy {m.test_accuracy:.1%}")
            elif m is not None and m.test_r2 is not None:
                parts.append(f"test R² {m.test_r2:.3f}")
            if self.controller.running and snap.steps_per_second:
                parts.append(f"{snap.steps_per_second:,.0f} steps/s")
        if self._memory:
            parts.append(self._memory)
        parts.append(self.controller.backend_text())
        self.status.setText("   ·   ".join(parts))

    def settle(self) -> None:
        """Before closing asks to save: the window's run stops and a comparison pauses, so that
        what they learned is a change to save; a comparison goes on living if closing is called
        off (Cancel)."""
        self.controller.shutdown()
        self.compare.panel.pause()

    def shutdown(self) -> None:
        self.compare.shutdown()
        self.controller.shutdown()


def _menu(window: QMainWindow, bar: TrainingBar):
    menu = QMenu("&Training", window)
    menu.addActions([bar.act_play, bar.act_step, bar.act_sample])
    menu.addSeparator()
    menu.addActions([bar.act_reset, bar.act_seed])
    menu.addSeparator()
    menu.addAction(bar.act_compare)
    return menu
