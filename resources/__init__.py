"""What Neural Canvas ships besides code: the example designs, the app icon and the desktop entry,
found through importlib.resources in a checkout and in an installed wheel alike. (The pictures
beside this file are the README's and stay out of the wheel.)"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

_HERE = files(__name__)
EXAMPLES = Path(str(_HERE / "examples"))  # the example designs (File → Open Example)
ICONS = Path(str(_HERE / "icons"))  # neuralcanvas.svg and its PNG renders (render.py draws them)
DESKTOP_ID = "neuralcanvas"  # the desktop entry's name, and the icon's in an icon theme
DESKTOP_FILE = Path(str(_HERE / f"{DESKTOP_ID}.desktop"))


def example_names() -> list[str]:
    """The examples by name (the file name without .ncanvas), sorted."""
    return sorted(path.stem for path in EXAMPLES.glob("*.ncanvas"))


def example_path(name: str) -> Path:
    """The shipped example called `name` (see example_names); KeyError names the choices."""
    if name not in example_names():
        raise KeyError(f"no example {name!r}; the examples are {', '.join(example_names())}")
    return EXAMPLES / f"{name}.ncanvas"


def icon_files() -> list[tuple[int, Path]]:
    """The icon's PNG renders as (size in pixels, path), smallest first."""
    renders = []
    for path in ICONS.glob(f"{DESKTOP_ID}-*.png"):
        size = path.stem.rsplit("-", 1)[1]
        if size.isdigit():
            renders.append((int(size), path))
    return sorted(renders)
