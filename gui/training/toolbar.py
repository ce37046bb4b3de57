"""The training toolbars: play/pause, one step, one sample, reset, new seed, Compare… and the
epoch counter (beside the window's main toolbar), and a row of the settings a person tunes while it learns
(learning rate, batch size, optimizer, regularization and its rate, loss), each edit one undo step
through the Document. Two bars, so that each shows every control at 1280 pixels wide."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QToolBar, QWidget

from core.design import registry
from gui.document.document import Document
from gui.training.controller import TrainingController
from gui.widgets.fields import IntField
from gui.widgets.refusals import clear_refusal, mark_invalid, number_problem, refuse
from gui.widgets.theme import icon

RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)  # the Playground's
REG_RATES = (0.0, 0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
REGULARIZATIONS = (("none", "None"), ("l1", "L1"), ("l2", "L2"))


def _labelled(text: str) -> QLabel:
    label = QLabel(text)
    label.setContentsMargins(10, 0, 4, 0)
    return label


def _number_combo(values, current: float, name: str, tip: str) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(name)
    combo.setToolTip(tip)
    combo.setEditable(True)  # any value may be typed; the list holds the usual ones
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    combo.setCompleter(None)  # what is typed is taken as typed: "0" never completes to 0.00001
    for value in values:
        combo.addItem(f"{value:g}", value)
    combo.setMinimumContentsLength(7)
    return combo


class TrainingBar(QToolBar):
    """Controls for the TrainingController; the live settings of the open design are on
    `settings_bar`, a toolbar of their own (the window places both)."""

    compare_requested = Signal()  # Compare…: the window opens the dialog

    def __init__(self, controller: TrainingController, parent: QWidget | None = None) -> None:
        super().__init__("Training", parent)
        self.setObjectName("training_toolbar")
        self.settings_bar = QToolBar("Training Settings", parent)
        self.settings_bar.setObjectName("training_settings_toolbar")
        self.controller = controller
        self.document: Document = controller.document
        self._updating = False
        self.act_play = self._act("Play", "mdi6.play", controller.toggle, "Ctrl+Return",
                                  "train in the background; press again to pause")
        self.act_step = self._act("One Step", "mdi6.step-forward", controller.step_once,
                                  "Ctrl+Right", "one mini-batch, one update")
        self.act_sample = self._act("Present One Sample", "mdi6.numeric-1-circle-outline",
                                    controller.present_one, "Ctrl+Shift+Right",
                                    "one training sample, one update (shown in the plot)")
        self.act_reset = self._act("Reset", "mdi6.restart", controller.reset, "Ctrl+R",
                                   "back to the weights training started from")
        self.act_seed = self._act("New Seed", "mdi6.dice-multiple-outline", controller.new_seed,
                                  "Ctrl+Shift+R", "fresh random weights from a new seed")
        self.act_compare = self._act("Compare…", "mdi6.chart-multiple", self.compare_requested.emit,
                                     "Ctrl+Shift+M", "train variants of the design side by side: "
                                     "learning rates, seeds, optimizers, activations, units")
        self.addSeparator()
        self.epoch = QLabel()
        self.epoch.setObjectName("epoch")
        self.epoch.setMinimumWidth(90)
        self.addWidget(self.epoch)
        self._settings()
        controller.state_changed.connect(self._state_changed)
        controller.snapshot.connect(self._snapshot)
        self.document.design_replaced.connect(self._bind)
        self.document.settings_changed.connect(self._settings_changed)
        self._bind()
        self._state_changed(controller.state)

    def _act(self, text: str, icon_name: str, slot, shortcut: str, tip: str) -> QAction:
        action = QAction(icon(icon_name), text, self)
        action.setProperty("icon_name", icon_name)
        action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(f"{text} ({QKeySequence(shortcut).toString()}) — {tip}")
        action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _settings(self) -> None:
        self.rate = _number_combo(RATES, 0.03, "learning_rate", "the learning rate η")
        self.rate.lineEdit().editingFinished.connect(self._rate_typed)
        self.rate.activated.connect(self._rate_typed)
        self.rate.lineEdit().textChanged.connect(lambda text: self._typing(self.rate, text, 0.0, True))
        self.batch = IntField(1, 1_000_000)  # the inspector's bounds
        self.batch.setObjectName("batch_size")
        self.batch.setToolTip("samples per mini-batch")
        self.batch.edited.connect(lambda value: self._set(batch_size=value))
        self.optimizer = QComboBox()
        self.optimizer.setObjectName("optimizer")
        for key, spec in registry.optimizers.items():
            self.optimizer.addItem(spec.label, key)
        self.optimizer.activated.connect(
            lambda _i: self._set(optimizer=self.optimizer.currentData(), optimizer_params={}))
        self.regularization = QComboBox()
        self.regularization.setObjectName("regularization")
        for key, text in REGULARIZATIONS:
            self.regularization.addItem(text, key)
        self.regularization.activated.connect(lambda _i: self._regularization_changed())
        self.reg_rate = _number_combo(REG_RATES[1:], 0.001, "regularization_rate",
                                      "how strongly large weights are penalised")
        self.reg_rate.lineEdit().editingFinished.connect(self._regularization_changed)
        self.reg_rate.activated.connect(lambda _i: self._regularization_changed())
        self.reg_rate.lineEdit().textChanged.connect(
            lambda text: self._typing(self.reg_rate, text, 0.0, False))
        self.loss = QComboBox()
        self.loss.setObjectName("loss")
        for key, spec in registry.losses.items():
            self.loss.addItem(spec.label, key)
        self.loss.activated.connect(lambda _i: self._set(loss=self.loss.currentData()))
        for text, widget in (("Learning rate", self.rate), ("Batch", self.batch),
                             ("Optimizer", self.optimizer), ("Regularization", self.regularization),
                             ("Rate", self.reg_rate), ("Loss", self.loss)):
            self.settings_bar.addWidget(_labelled(text))
            self.settings_bar.addWidget(widget)

    # ------------------------------------------------------------------ person → design
    def _set(self, **changes) -> None:
        if not self._updating:
            self.document.set_training(**changes)

    @staticmethod
    def _typing(combo: QComboBox, text: str, low: float, low_open: bool) -> None:
        """A red frame while the typed rate cannot be taken; a good one clears the refusal."""
        bad = bool(number_problem(text, low, low_open=low_open))
        mark_invalid(combo, bad)
        if not bad:
            clear_refusal(combo)

    def _typed(self, combo: QComboBox, low_open: bool) -> float | None:
        """The number typed in `combo`, or None when refused: the reason beside the box, and the
        design's value shown again."""
        text = combo.currentText()
        reason = number_problem(text, 0.0, low_open=low_open)
        if reason:
            self._refresh()
            refuse(combo, f"{reason} (kept {combo.currentText()})")
            return None
        return float(text.strip().replace("−", "-"))

    def _rate_typed(self, *_args) -> None:
        value = self._typed(self.rate, low_open=True)
        if value is not None:
            self._set(learning_rate=value)

    def _regularization_changed(self) -> None:
        kind = self.regularization.currentData()
        value = self._typed(self.reg_rate, low_open=False)
        if value is not None:
            self._set(l1=value if kind == "l1" else 0.0, l2=value if kind == "l2" else 0.0)

    # ------------------------------------------------------------------ design → widgets
    def _bind(self) -> None:
        self._refresh()
        self._epoch_text(self.document.design.state.epoch, None)

    def _settings_changed(self, what: str) -> None:
        if what == "training":
            self._refresh()

    def _refresh(self) -> None:
        s = self.document.design.training
        self._updating = True
        try:
            self.rate.setEditText(f"{s.learning_rate:g}")
            self.batch.set_value(s.batch_size)
            self.optimizer.setCurrentIndex(max(0, self.optimizer.findData(s.optimizer)))
            kind = "l1" if s.l1 else "l2" if s.l2 else "none"
            self.regularization.setCurrentIndex(self.regularization.findData(kind))
            self.reg_rate.setEditText(f"{(s.l1 or s.l2 or 0.001):g}")
            self.reg_rate.setEnabled(kind != "none")
            self.loss.setCurrentIndex(max(0, self.loss.findData(s.loss)))
        finally:
            self._updating = False

    def _state_changed(self, state: str) -> None:
        running = state == "running"
        name = "mdi6.pause" if running else "mdi6.play"
        self.act_play.setIcon(icon(name))
        self.act_play.setProperty("icon_name", name)
        self.act_play.setText("Pause" if running else "Play")
        for action in (self.act_step, self.act_sample):
            action.setEnabled(not running)

    def _snapshot(self, snap) -> None:
        self._epoch_text(snap.epoch, snap.step)

    def _epoch_text(self, epoch: int, step: int | None) -> None:
        self.epoch.setText(f"Epoch {epoch:,}")
        self.epoch.setToolTip("" if step is None else f"{step:,} mini-batch steps")
        self.epoch.setAlignment(Qt.AlignmentFlag.AlignCenter)
