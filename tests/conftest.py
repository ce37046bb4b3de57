"""Test configuration: Qt renders offscreen on a 1920×1200 screen (offscreen_screens.json; Qt's
own offscreen screen is 800×800, smaller than the window a person sees), so no test needs a
display; a window a test launches in another process logs to a temporary folder, not the user's."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from core.design import registry
from tests.hang_guard import no_hang  # noqa: F401  (a fixture for core and gui tests)

SCREENS = Path(__file__).with_name("offscreen_screens.json")
OFFSCREEN = f"offscreen:configfile={SCREENS}"  # Qt's offscreen plugin, with the screen above
if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":  # as `make test` sets it
    os.environ["QT_QPA_PLATFORM"] = OFFSCREEN

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
