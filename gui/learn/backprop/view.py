"""Learn → Backpropagation Step by Step: training advances one phase at a time — forward, loss,
backward, update, apply — for one sample (the default) or one mini-batch, with every number on
the canvas and the chain rule of a selected wire written out. core/learn/backprop_steps.py computes;
this module drives the phases, gui/learn/backprop/canvas.py draws and backprop_text.py writes."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from core.design.errors import NeuralCanvasError, TrainingError
from core.learn.backprop_chain import chain_rule, deep_sigmoid_design
from core.learn.backprop_steps import (
    apply_step,
    forward_backward,
    make_trainer,
    next_batch,
    plan_update,
    unsupported,
)
from gui.inspector.names import design_order
from gui.learn.backprop import canvas, text
from gui.learn.backprop.whole_text import WholeText

PHASES = ("Forward", "Loss", "Backward", "Update", "Apply")
DEMO_NOTE = ("<p><b>Deep sigmoid network.</b> Six layers of four sigmoid neurons. Look at the "
             "wires' colours alone: strong near the output, paler layer by layer, the first "
             "layers' almost white. On its way back every layer multiplies the gradient by "
             "σ′(z) ≤ ¼ times its weights, so it vanishes: those layers learn hundreds of times "
             "slower. (ReLU, whose slope is 1, and good initial weights are the cure.)</p>")


class BackpropView(QWidget):
    """The dock's contents and the mode it drives (one instance per window)."""

    def __init__(self, window) -> None:
        super().__init__()
        self.setObjectName("backprop_view")
        self.window, self.document, self.scene = window, window.document, window.scene
        self.controller = window.live.controller
        self.dock = None
        self.active = False
        self.phase = 0  # 1–4 while showing a step; 0 while waiting or unable
        self.trainer = self.batch = self.step = self.plan = self.rule = None
        self.selected: str | None = None  # the wire whose chain rule phase 4 writes out
        self.applied = ""  # what the last Apply changed, said once at the next phase 1
        self.demo = None  # the deep sigmoid design, while it is the open one
        self._own = False  # our own writes into the design: not a change to start again for
        self._moved = False  # the change said by design_changed only moved a node
        self._restart = QTimer(self, singleShot=True, interval=0)
        self._restart.timeout.connect(self.restart)
        self._build()
        self.document.design_replaced.connect(self._rebind)
        self.document.node_changed.connect(self._node_changed)
        self.document.design_changed.connect(self._changed)
        self.controller.state_changed.connect(self._state_changed)
        self.scene.selectionChanged.connect(self._selection_changed)
        self._rebind()

    # ------------------------------------------------------------------ widgets
    def _build(self) -> None:
        intro = QLabel("Train one step at a time and watch every number the network computes, "
                       "then how the chain rule turns the loss into each weight's change.")
        intro.setWordWrap(True)
        intro.setObjectName("backprop_intro")
        self.one_sample = QRadioButton("One sample")
        self.mini_batch = QRadioButton("One mini-batch")
        self.one_sample.setChecked(True)
        self.one_sample.setToolTip("the training sample Present One Sample would take")
        self.mini_batch.setToolTip("the next mini-batch of the epoch, as One Step takes it")
        self.kinds = QButtonGroup(self)
        for button in (self.one_sample, self.mini_batch):
            self.kinds.addButton(button)
        self.kinds.buttonToggled.connect(lambda _b, on: on and self.active and self.restart())
        kinds = QHBoxLayout()
        kinds.addWidget(QLabel("Each step learns from:"))
        kinds.addWidget(self.one_sample)
        kinds.addWidget(self.mini_batch)
        kinds.addStretch(1)
        strip = QHBoxLayout()
        strip.setSpacing(2)
        self.phase_labels = []
        for i, name in enumerate(PHASES, 1):
            label = QLabel(f"{i} {name}")
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setObjectName(f"phase_{i}")
            strip.addWidget(label, 1)
            self.phase_labels.append(label)
        self.text = WholeText()
        self.text.setObjectName("backprop_text")
        self.legend = canvas.GradientLegend()
        self.next_button = QPushButton("Next Phase")
        self.finish_button = QPushButton("Finish This Step")
        self.leave_button = QPushButton("Leave")
        self.next_button.setDefault(True)
        self.next_button.clicked.connect(self.next_phase)
        self.finish_button.clicked.connect(self.finish_step)
        self.leave_button.clicked.connect(self.leave)
        self.finish_button.setToolTip("the remaining phases at once: the update is applied")
        buttons = QHBoxLayout()
        for button in (self.next_button, self.finish_button, self.leave_button):
            buttons.addWidget(button)
        self.demo_button = QPushButton("Open the Deep Sigmoid Demonstration")
        self.demo_button.setToolTip("a new design: 2 inputs, six layers of four sigmoid neurons, "
                                    "one output, on the circle data: watch gradients vanish")
        self.demo_button.clicked.connect(self.open_demo)
        # the words read top to bottom in one pane that scrolls as a whole: the explanation is
        # never a slit of two lines with a scroll bar of its own
        page = QWidget()
        page.setObjectName("backprop_page")
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 0, 4, 0)
        column.addWidget(intro)
        column.addWidget(self.text)
        column.addWidget(self.demo_button)
        column.addStretch(1)
        self.pane = QScrollArea()
        self.pane.setObjectName("backprop_pane")
        self.pane.setWidgetResizable(True)
        self.pane.setFrameShape(QFrame.Shape.NoFrame)
        self.pane.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.pane.setWidget(page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(kinds)
        layout.addLayout(strip)
        layout.addWidget(self.pane, 1)
        layout.addWidget(self.legend)
        layout.addLayout(buttons)
        self._show_phase()

    @property
    def kind(self) -> str:
        return "batch" if self.mini_batch.isChecked() else "sample"

    # ------------------------------------------------------------------ the mode
    def enter(self) -> None:
        """Show the dock and start at phase 1 of the next step (pausing training first)."""
        if self.dock is not None:
            if not self.window.tabifiedDockWidgets(self.dock):  # beside the inspector, once shown
                self.window.tabifyDockWidget(self.window.inspector_dock, self.dock)
            self.dock.show()
            self.dock.raise_()
            if self.dock.width() < 420:  # room for the chain rule
                self.window.resizeDocks([self.dock], [420], Qt.Orientation.Horizontal)
        if self.active:
            return
        self.active = True
        self.restart()

    def leave(self) -> None:
        if self.dock is not None and not self.dock.isHidden():
            self.dock.hide()  # → leave again, through the dock's toggle
        if not self.active:
            return
        self.active = False
        self.phase = 0
        self.trainer = self.batch = self.step = self.plan = self.rule = None
        self._restart.stop()
        canvas.clear(self.scene)
        self._show_phase()

    def restart(self) -> None:
        """Phase 1 of the step training would take next, from the design as it is now."""
        self._restart.stop()
        if not self.active:
            return
        self.phase, self.plan, self.rule = 0, None, None
        canvas.clear(self.scene)
        design = self.document.design
        if self.controller.running:
            self.controller.pause()
            return self._say("<p>Training is running: pausing it, then the steps begin here.</p>")
        reason = unsupported(design)
        if reason:
            return self._say(f"<p>{reason}</p>")
        errors = [p for p in self.document.validate_now() if p.severity == "error"]
        if errors:
            return self._say(f"<p>The design cannot train yet: {errors[0]}. Fix what the "
                             f"Problems panel lists, and the steps begin here.</p>")
        try:
            self.trainer = make_trainer(design)
            self.batch = next_batch(self.trainer, self.kind)
            self.step = forward_backward(self.trainer.build, self.trainer.design, self.batch)
        except NeuralCanvasError as exc:
            return self._say(f"<p>The design cannot train: {exc}</p>")
        self._take_drawn_weights()
        self.phase = 1
        self._render()

    def _take_drawn_weights(self) -> None:
        """A design never trained has no weights yet: the ones its seed draws become visible
        (as the training controller does when it first builds a trainer)."""
        design, drawn = self.document.design, self.trainer.design
        if all(c.weight is not None for c in design.connections.values()) and all(
                n.params.get("bias") is not None for n in design.nodes.values() if n.kind == "neuron"):
            return
        self._own = True
        try:
            self.document.fill_drawn_weights(drawn.snapshot_weights(), drawn.initial_weights)
        finally:
            self._own = False

    def next_phase(self) -> None:
        if self.phase == 0:
            return self.restart() if self.active else None
        if self.phase == 4:
            return self.apply()
        self.phase += 1
        if self.phase == 4:
            self._prepare_update()
        self._render()

    def finish_step(self) -> None:
        if self.phase:
            self.apply()

    def _prepare_update(self) -> None:
        self.plan = plan_update(self.trainer, self.step)
        wires = self.step.wire_grads
        chosen = self.scene.selected_connection_ids()
        if len(chosen) == 1 and chosen[0] in wires:
            self.selected = chosen[0]
        if self.selected not in wires:  # the first input's wire into the first neuron: the longest chain
            conns = self.document.design.connections
            order = design_order(self.document.design)
            first = [c for c in wires if conns[c].source in self.step.inputs] or list(wires)
            self.selected = min(first, key=lambda c: (list(self.step.inputs).index(
                conns[c].source) if conns[c].source in self.step.inputs else 0,
                order[conns[c].target]))
        self.rule = chain_rule(self.step, self.selected, 0)
        if self.scene.selected_connection_ids() != [self.selected]:
            self.scene.select_ids([self.selected])  # a selection, not an edit

    def apply(self) -> None:
        """Phase 5: the trainer takes the step; its weights and state go into the design as one
        undo command; the next step starts at phase 1."""
        if self.plan is None:
            self._prepare_update()
        design = self.document.design
        try:
            apply_step(self.trainer, self.batch)
        except TrainingError as exc:
            self.phase = 0
            return self._say(f"<p>{exc}</p>")
        self.trainer.write_back()
        done = self.trainer.design
        self._own = True
        try:
            self.document.take_weights(done.snapshot_weights(), done.state, "Backpropagation step",
                                       initial=done.initial_weights)
        finally:
            self._own = False
        e = self.plan.entry(self.selected)
        name = text.Names(self.step, design)
        conn = design.connections[self.selected]
        self.applied = (f"<p><i>Applied step {done.state.step}:</i> "
                        f"{name.wire(conn.source, conn.target)} went from {text.num(e['w'])} to "
                        f"{text.num(e['new'])}, and every other weight and bias moved too. "
                        f"Edit → Undo takes the step back.</p>")
        self.restart()

    def open_demo(self) -> None:
        """The deep sigmoid network, as a new design (asking first about unsaved work), shown at
        once in the backward phase: the colours tell the story."""
        if not self.window.maybe_save():
            return
        self.demo = deep_sigmoid_design()
        self.document.replace_design(self.demo, None)
        self.mini_batch.setChecked(True)  # restarts if active; a batch shows it best
        self.enter()
        self.restart()
        while 0 < self.phase < 3:
            self.next_phase()
        self.window.view.fit_to_view()  # the outputs' notes too

    # ------------------------------------------------------------------ listening
    def _rebind(self) -> None:
        if self.demo is not self.document.design:
            self.demo = None
        self.selected = None
        self.applied = ""
        if self.active:
            self._restart.start()

    def _node_changed(self, old, new) -> None:
        """A node only moved: nothing to compute, so no start again (design_changed follows)."""
        self._moved = old.params == new.params and old.label == new.label

    def _changed(self) -> None:
        """The design changed under the step shown: start it again from the design as it is
        (a node only moved: nothing to compute)."""
        moved, self._moved = self._moved, False
        if self._own or not self.active or self.controller.running or moved:
            return
        self._restart.start()

    def _state_changed(self, state: str) -> None:
        if not self.active:
            return
        if state == "running":
            self.phase = 0
            canvas.clear(self.scene)
            self._say("<p>Training is running: the step-by-step view waits. Pause it (or press "
                      "Next Phase) to go on one phase at a time.</p>")
        else:
            self._restart.start()

    def _selection_changed(self) -> None:
        if not self.active or self.phase < 3:
            return
        chosen = self.scene.selected_connection_ids()
        if len(chosen) == 1 and chosen[0] in self.step.wire_grads and chosen[0] != self.selected:
            self.selected = chosen[0]
            if self.phase == 4:
                self.rule = chain_rule(self.step, self.selected, 0)
            self._render()

    # ------------------------------------------------------------------ showing
    def _say(self, html: str) -> None:
        self.phase = 0
        self.text.setHtml(html)
        self.pane.verticalScrollBar().setValue(0)
        self._show_phase()

    def _render(self) -> None:
        step, design, phase = self.step, self.document.design, self.phase
        parts = [DEMO_NOTE if self.demo is design else ""]
        if phase == 1 and self.applied:
            parts.append(self.applied)
            self.applied = ""
        parts.append(f"<p>{text.batch_line(step, design, design.state.step + 1)}</p>")
        if phase == 1:
            parts.append(text.forward_text(step, design))
        elif phase == 2:
            parts.append(text.loss_text(step, design))
        elif phase == 3:
            parts.append(text.backward_text(step, design))
        else:
            conn = design.connections[self.selected]
            parts.append(text.chain_text(self.rule, step, design))
            parts.append(text.update_text(self.plan, self.selected,
                                          text.Names(step, design).wire(conn.source, conn.target)))
        self.text.setHtml("".join(parts))
        self.pane.verticalScrollBar().setValue(0)  # each phase reads from its start
        canvas.show(self.scene, step, design, phase, self.rule if phase == 4 else None)
        self.legend.set_scales(*canvas.largest(step))
        self._show_phase()

    def _show_phase(self) -> None:
        pal = self.palette()
        on = pal.color(pal.ColorRole.Highlight).name()
        on_text = pal.color(pal.ColorRole.HighlightedText).name()
        muted = pal.color(pal.ColorRole.PlaceholderText).name()
        for i, label in enumerate(self.phase_labels, 1):
            if i == self.phase:
                label.setStyleSheet(f"background: {on}; color: {on_text}; border-radius: 3px; "
                                    "padding: 3px; font-weight: bold;")
            else:
                label.setStyleSheet("padding: 3px;" + (f" color: {muted};" if i > self.phase else ""))
        self.legend.setVisible(self.phase >= 3)
        self.next_button.setText("Next Phase: Apply" if self.phase == 4 else "Next Phase")
        self.next_button.setEnabled(self.active)
        self.finish_button.setEnabled(self.phase > 0)


def install(window) -> None:
    """Learn → Backpropagation Step by Step: the dock (on the right, with the inspector) and its
    entry in the Learn menu and the View menu."""
    view = BackpropView(window)
    dock = window.add_dock("Backpropagation", view, Qt.DockWidgetArea.RightDockWidgetArea)
    dock.hide()  # tabbed with the inspector when first shown (a tab bar made now would linger)
    view.dock = dock
    dock.toggleViewAction().toggled.connect(lambda shown: view.enter() if shown else view.leave())
    action = QAction("&Backpropagation Step by Step", window)
    action.setStatusTip("train one phase at a time: forward, loss, backward, update, apply")
    action.triggered.connect(lambda _checked=False: view.enter())
    window.learn_menu.addAction(action)
    window.view_menu.insertAction(window.view_separator, dock.toggleViewAction())
