"""Learn by seeing: the teaching views, each a package (or module) whose `install(window)` adds its
entry to the window's Learn menu (and its dock or dialog). The window installs every one here."""

from __future__ import annotations

from gui.learn import timeline
from gui.learn.activations import view as activations
from gui.learn.backprop import view as backprop
from gui.learn.landscape import view as landscape
from gui.learn.perceptron import view as perceptron

VIEWS = (perceptron, activations, landscape, backprop, timeline)  # in the Learn menu's order


def install_all(window) -> None:
    """Add each teaching view to `window` (its `learn_menu` exists already)."""
    for view in VIEWS:
        view.install(window)
