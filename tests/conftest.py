"""Test configuration: Qt renders offscreen, so no test needs a display."""

import os

import pytest

from core.design import registry
from tests.hang_guard import no_hang  # noqa: F401  (a fixture for core and gui tests)

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


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
