"""Neural Canvas from a checkout: `python main.py [ARGS]` runs what the installed `neuralcanvas`
command runs (gui/launch.py); this file is not part of the wheel."""

from __future__ import annotations

import sys

from gui.launch import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
