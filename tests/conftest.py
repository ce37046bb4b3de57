"""Test configuration: Qt renders offscreen, so no test needs a display; a window a test launches
in another process logs to a temporary folder, not the user's."""

import atexit
import os
import shutil
import tempfile

import pytest

from core.design import registry
from tests.hang_guard import no_hang  # noqa: F401  (a fixture for core and gui tests)

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

_STATE = tempfile.mkdtemp(prefix="neuralcanvas-test-state-")
os.environ["XDG_STATE_HOME"] = _STATE  # where Qt's StateLocation, and so the log, is on Linux
atexit.register(shutil.rmtree, _STATE, ignore_errors=True)

@pytest.fixture
def register_for_the_test(monkeypatch):
    """register(table, key, item): put `item` in one of core's registries (registry.blocks, …) for
    this test only. A registry has no way to forget an entry (nothing in the application needs
    one), so this is the one place tests reach into its table."""

    def register(table: registry.Registry, key: str, item):
        assert key not in table, f"{key!r} is registered already"
        monkeypatch.setitem(table._items, key, item)
        return item

    return register
