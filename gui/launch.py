"""Neural Canvas's entry (the `neuralcanvas` and `neuralcanvas-gui` commands, `python -m gui`,
main.py): no command opens the window (with a design, if named); `train`, `export`, `import` and
`--version` run headless."""

from __future__ import annotations

import argparse
import os
import sys

HEADLESS_COMMANDS = {"train", "sweep", "export", "import", "-h", "--help", "--version"}


def window_size(text: str) -> tuple[int, int]:
    """--size's WIDTHxHEIGHT ("1280x800") as two whole numbers of pixels."""
    width, sep, height = text.lower().replace("×", "x").partition("x")
    try:
        size = (int(width), int(height)) if sep else None
    except ValueError:
        size = None
    if size is None or not (200 <= size[0] <= 10000 and 200 <= size[1] <= 10000):
        raise argparse.ArgumentTypeError(f"{text!r} is not a window size such as 1280x800 "
                                         "(200 to 10000 pixels each way)")
    return size


def _window_backend() -> None:
    """Before the window loads the engine: where the person named no backend (NCANVAS_BACKEND),
    the window runs on NumPy (what it computes itself is small: one step, a probe) and marks that
    its training processes take the backend each design's work wants (core.engine.backend.
    for_training), CuPy only for a big network on a machine with a CUDA device."""
    if not os.environ.get("NCANVAS_BACKEND", "").strip():
        os.environ["NCANVAS_BACKEND"] = "numpy"
        os.environ["NCANVAS_BACKEND_BY_WORK"] = "1"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in HEADLESS_COMMANDS:
        from core.cli import main as cli_main  # a headless command never loads Qt

        return cli_main(argv)
    parser = argparse.ArgumentParser(prog="neuralcanvas", add_help=False)
    parser.add_argument("design", nargs="?")
    parser.add_argument("--screenshot", metavar="OUT.png")
    parser.add_argument("--size", metavar="WIDTHxHEIGHT", type=window_size)
    parser.add_argument("--appearance", choices=("system", "light", "dark"))
    parser.add_argument("--verbose", action="store_true")
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        from core.cli import main as cli_main  # a headless command never loads Qt

        return cli_main(argv)  # argparse there explains the mistake in one line
    _window_backend()
    from gui.app import SCREENSHOT_SIZE, run  # a headless command never loads Qt

    if args.size is not None and args.screenshot is None:
        parser.error("--size sets the size of a --screenshot")
    return run(args.design, args.screenshot, args.appearance, verbose=args.verbose,
               size=args.size or SCREENSHOT_SIZE)
