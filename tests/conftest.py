"""Test configuration: Qt renders offscreen, so no test needs a display; a window a test launches
in another process logs to a temporary folder, not the user's."""

import atexit
import os
import shutil
import tempfile

from tests.hang_guard import no_hang  # noqa: F401  (a fixture for core and gui tests)

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

_STATE = tempfile.mkdtemp(prefix="neuralcanvas-test-state-")
os.environ["XDG_STATE_HOME"] = _STATE  # where Qt's StateLocation, and so the log, is on Linux
atexit.register(shutil.rmtree, _STATE, ignore_errors=True)
