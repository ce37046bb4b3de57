"""Learn by seeing: the teaching views, each one module with `install(window)` that adds its
entry to the window's Learn menu (and its dock or dialog). The window installs every one here."""

from __future__ import annotations

import importlib
import importlib.util

VIEWS = ("perceptron", "activations", "landscape", "backprop", "timeline")


def install_all(window) -> None:
    """Add each teaching view that is present to `window` (its `learn_menu` exists already)."""
    for name in VIEWS:
        module = f"gui.learn.{name}"
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module).install(window)
