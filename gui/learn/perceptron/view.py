"""Learn → Perceptron Walkthrough: the cricket-match decision as a perceptron, in three pages —
weigh the reasons against a threshold, the threshold as a bias, and learning the weights from a
labelled table by the perceptron rule. A non-modal dialog: it needs room, and it stands apart
from the design on the canvas, so it sits beside the window rather than in a dock."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTabWidget, QVBoxLayout, QWidget

from gui.learn.perceptron.decision import BiasPage, CricketInputs, DecisionPage
from gui.learn.perceptron.training import TrainingPage
from gui.panels.plot_style import FollowsPlotColours, PlotColours

TITLE = "Perceptron Walkthrough"


class PerceptronWalkthrough(FollowsPlotColours, QDialog):
    """Three pages over one perceptron; the first two share their scores, weights and threshold."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("perceptron_walkthrough")
        self.setWindowTitle(TITLE)
        self.setModal(False)
        self.inputs = CricketInputs(self)
        self.decision_page = DecisionPage(self.inputs)
        self.bias_page = BiasPage(self.inputs)
        self.training_page = TrainingPage()
        self.tabs = QTabWidget()
        self.tabs.setObjectName("perceptron_pages")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.decision_page, "1 · Weigh the reasons")
        self.tabs.addTab(self.bias_page, "2 · The threshold is a bias")
        self.tabs.addTab(self.training_page, "3 · Learn the weights")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 10, 10)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)
        self.colours = PlotColours.from_palette()
        self._restyle()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(980, 700)

    def _restyle(self) -> None:
        for page in (self.decision_page, self.bias_page, self.training_page):
            page.restyle(self.colours)

    def colours_changed(self) -> None:
        self._restyle()


def open_walkthrough(window) -> PerceptronWalkthrough:
    """Show the walkthrough (made the first time it is asked for) and bring it forward."""
    dialog = getattr(window, "perceptron_walkthrough", None)
    if dialog is None:
        dialog = window.perceptron_walkthrough = PerceptronWalkthrough(window)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog


def install(window) -> None:
    """Learn → Perceptron Walkthrough…; the dialog itself is made when first opened."""
    window.perceptron_walkthrough = None
    action = window.learn_menu.addAction(f"&{TITLE}…")
    action.setObjectName("learn_perceptron")
    action.setStatusTip("The cricket-match decision as a perceptron: weights, threshold and bias, "
                        "and the perceptron learning rule step by step")
    action.triggered.connect(lambda _checked=False: open_walkthrough(window))
    window.act_perceptron_walkthrough = action
