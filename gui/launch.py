"""Neural Canvas's entry (the `neuralcanvas` and `neuralcanvas-gui` commands, `python -m gui`,
main.py): no command opens the window (with a design, if named); `train`, `export`, `import` and
`--version` run headless."""

from __future__ import annotations

import argparse
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
    from gui.app import SCREENSHOT_SIZE, run  # a headless command never loads Qt

    if args.size is not None and args.screenshot is None:
        parser.error("--size sets the size of a --screenshot")
    return run(args.design, args.screenshot, args.appearance, verbose=args.verbose,
               size=args.size or SCREENSHOT_SIZE)
