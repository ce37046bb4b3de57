"""`python -m gui`: Neural Canvas as the `neuralcanvas` command runs it."""

import sys

from gui.launch import main

if __name__ == "__main__":
    sys.exit(main())
