"""What Neural Canvas ships besides code: the example designs and the pictures, found through
importlib.resources in a checkout and in an installed wheel alike."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

EXAMPLES = Path(str(files(__name__) / "examples"))  # the example designs (File → Open Example)
