"""GUI tests: settings and recovery files go to a temporary folder, never the user's own."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, QStandardPaths


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    QStandardPaths.setTestModeEnabled(True)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    from gui.document import Document

    monkeypatch.setattr(Document, "recovery_path", staticmethod(lambda: tmp_path / "recovery.ncanvas"))
    yield
