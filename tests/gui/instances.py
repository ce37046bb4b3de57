"""Another instance of Neural Canvas for recovery tests: a fresh Python that opens a design, makes
an unsaved change and lets autosave keep it in the given folder, then either dies at once (a
crash: no clean-up runs) or keeps running until it is told to end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import os, sys
from pathlib import Path
from PySide6.QtWidgets import QApplication
from gui.document.document import Document

folder, design, label, fate = sys.argv[1:5]
Document.recovery_folder = staticmethod(lambda: Path(folder))
app = QApplication([])
document = Document()
if design:
    document.open(design)
document.add_node("neuron", (500.0, 0.0), label=label)
assert document.autosave()
print(document.recovery_path(), flush=True)
if fate == "crash":
    os._exit(3)  # as a crash ends a process: no clean-up, nothing more written
sys.stdin.readline()  # running until told to end
"""


class Instance:
    """A running instance that has kept unsaved work; `recovery` is its file."""

    def __init__(self, folder: Path, design: str | Path | None, label: str, fate: str) -> None:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
               "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        self.process = subprocess.Popen(
            [sys.executable, "-c", SCRIPT, str(folder), str(design or ""), label, fate],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        line = self.process.stdout.readline().strip()
        assert line, f"the instance ended before it kept its work (exit {self.process.wait(60)})"
        self.recovery = Path(line)

    def end(self) -> None:
        self.process.communicate("\n", timeout=60)


def crashed_instance(folder: Path, design: str | Path | None = None, label: str = "unsaved") -> Path:
    """Run an instance that keeps unsaved work and crashes; the recovery file it left."""
    instance = Instance(folder, design, label, "crash")
    assert instance.process.wait(60) == 3
    return instance.recovery


def running_instance(folder: Path, design: str | Path | None = None,
                     label: str = "unsaved") -> Instance:
    """An instance that has kept unsaved work and is still running (call `end` to stop it)."""
    return Instance(folder, design, label, "run")
