"""Test configuration: Qt renders offscreen, so no test needs a display."""

import os

from tests.hang_guard import no_hang  # noqa: F401  (a fixture for core and gui tests)

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
