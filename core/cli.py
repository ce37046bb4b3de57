"""The headless commands: `train` a design without a screen, `sweep` many variants of it side by
side, `export` it (ONNX, PyTorch, NumPy), `import` an ONNX file as a design."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import tomllib
from importlib import metadata
from pathlib import Path
from typing import TextIO

import numpy as np

from core.design.errors import NeuralCanvasError, TrainingError

USAGE_EXIT = 2
DISTRIBUTION = "neuralcanvas"


def version() -> str:
    """The installed package's version; run from a checkout that was never installed, the one in
    its pyproject.toml, marked so."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        pass
    try:
        with (Path(__file__).resolve().parents[1] / "pyproject.toml").open("rb") as file:
            return f"{tomllib.load(file)['project']['version']} (not installed)"
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown (not installed)"


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr and status 2."""

    def error(self, message: str):  # noqa: D102 - argparse's hook
        self.exit(USAGE_EXIT, f"error: {message} (see --help)\n")


def parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="neuralcanvas",
        usage="neuralcanvas [DESIGN] [--screenshot OUT.png] [--appearance system|light|dark] "
              "[--verbose] | neuralcanvas COMMAND ...",
        description="Neural Canvas: build neural networks by hand and watch them learn. "
        "With no command, opens the editor (with DESIGN, if given; --screenshot renders the "
        "window to a PNG and exits; --appearance picks the light or dark look for this launch; "
        "--verbose logs debugging detail to the log file and stderr); "
        "the commands below run headless.",
    )
    p.add_argument("--version", action="version", version=f"neuralcanvas {version()}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    train = sub.add_parser("train", help="train a design without a screen",
                           description="Train a .ncanvas design (a file, or one of the shipped "
                                       "examples with --example NAME) and report its metrics.")
    _design_or_example(train, "the .ncanvas file to train")
    train.add_argument("--epochs", type=int, help="train until this many epochs in all "
                       "(default: the design's setting; a saved run continues where it stopped)")
    train.add_argument("--seed", type=int, help="a new seed: every weight drawn afresh from it")
    train.add_argument("--out", metavar="PATH", help="save the trained design here")
    train.add_argument("--json", action="store_true",
                       help="print one JSON object with the results as the last line")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    sweep = sub.add_parser(
        "sweep", help="train a grid of variants of a design side by side",
        description="Train every combination of the --vary values as variants of a .ncanvas "
                    "design, batched where they share a structure, and print one row per "
                    "variant ranked by final test loss (diverged ones last).",
        epilog="VALUES: a list a,b,c (numbers, or names for optimizer and activation); whole "
               "numbers A..B (both included); A..B:N, N values evenly spaced; A..B:logN, N values "
               "evenly spaced in log. KEY: learning_rate, optimizer, batch_size, l1, l2, "
               "clip_norm, seed, or NODE.param (n3.activation, dense1.units; n3+n4.activation "
               "sets several nodes together). With seed varied, each variant draws fresh weights "
               "from its seed. At most 1000 variants.")
    _design_or_example(sweep, "the .ncanvas file whose variants train")
    sweep.add_argument("--vary", metavar="KEY=VALUES", action="append", required=True,
                       help="what varies and its values, e.g. learning_rate=0.001,0.01,0.1 or "
                            "seed=1..5 or learning_rate=1e-4..1e-1:log4; repeat for a grid")
    sweep.add_argument("--epochs", type=int, help="train each variant until this many epochs in "
                       "all (default: the design's setting)")
    sweep.add_argument("--json", action="store_true",
                       help="one JSON object per variant per line, ranked, and nothing else")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")
    export = sub.add_parser(
        "export", help="export a design with its weights: ONNX, PyTorch, NumPy",
        description="Write a .ncanvas design, with its current weights, as an ONNX model, a "
                    "PyTorch training script (runs under torchrun with DistributedDataParallel) "
                    "and/or a NumPy-only Python file with predict(x). Name at least one.")
    _design_or_example(export, "the .ncanvas file to export")
    export.add_argument("--onnx", metavar="OUT.onnx", help="an ONNX model (opset 17)")
    export.add_argument("--torch", metavar="OUT.py", help="a PyTorch module and training loop")
    export.add_argument("--numpy", metavar="OUT.py", help="a NumPy-only file with predict(x)")
    imported = sub.add_parser(
        "import", help="open an ONNX model as a design",
        description="Read an ONNX file of a feed-forward network and save it as a .ncanvas "
                    "design with its weights, laid out left to right.")
    imported.add_argument("model", metavar="MODEL.onnx", help="the ONNX file to read")
    imported.add_argument("--out", metavar="DESIGN.ncanvas", required=True,
                          help="where to save the design")
    return p


def _design_or_example(command: argparse.ArgumentParser, help_text: str) -> None:
    from resources import example_names  # the examples are package data

    which = command.add_mutually_exclusive_group(required=True)
    which.add_argument("design", metavar="DESIGN", nargs="?", help=help_text)
    which.add_argument("--example", metavar="NAME", choices=example_names(),
                       help="instead of a file, a shipped example, found wherever the package is "
                            "installed: " + ", ".join(example_names()))


def _design_path(args: argparse.Namespace) -> str:
    if args.example is None:
        return args.design
    from resources import example_path  # each command loads only what it needs

    return str(example_path(args.example))


BACKEND_VARIABLE = "NCANVAS_BACKEND"  # core.engine.backend.ENV_VAR, read before the engine loads
TRAINING_COMMANDS = ("train", "sweep")


def _load_engine_for_training() -> bool:
    """Before a training command loads the engine: whether its backend is chosen here from the
    work of a step (NCANVAS_BACKEND unset). If so, and the engine is not loaded yet, it loads on
    NumPy: the fast one to load, and the right one for every network but a big one, for which
    the command then runs again on CuPy (`_settle_backend`)."""
    if os.environ.get(BACKEND_VARIABLE, "").strip():
        return False
    if "core.engine.backend" not in sys.modules:
        os.environ[BACKEND_VARIABLE] = "numpy"
        try:
            import core.engine.backend  # noqa: F401 - loaded now, on NumPy
        finally:
            del os.environ[BACKEND_VARIABLE]
    return True


def _settle_backend(args: argparse.Namespace, work: float) -> int | None:
    """Where the backend is chosen here and a step of `work` floating-point operations wants
    another one than is loaded (CuPy, for a big network on a machine with a CUDA device), the
    command runs again in a fresh interpreter on it: its exit status. None: go on here."""
    from core.engine import backend  # loaded by now

    if not args.choose_backend:
        return None
    wanted = backend.choose_for(work, "")
    if wanted == backend.name:
        return None
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, BACKEND_VARIABLE: wanted,
           "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
    sys.stdout.flush()
    sys.stderr.flush()
    return subprocess.call([sys.executable, "-c", RERUN, *args.argv], env=env)


RERUN = "import sys; from core.cli import main; sys.exit(main(sys.argv[1:]))"


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command is None:
        parser().print_help()
        return 0
    args.argv = list(sys.argv[1:] if argv is None else argv)
    args.choose_backend = args.command in TRAINING_COMMANDS and _load_engine_for_training()
    try:
        return {"train": _train, "sweep": _sweep, "export": _export,
                "import": _import}[args.command](args)
    except NeuralCanvasError as exc:
        print(f"error: {_one_line(str(exc))}", file=sys.stderr)
        return USAGE_EXIT
    except MemoryError:  # a MemoryError training met is already a TrainingError, in words
        from core.compiler.memory import machine_memory, size_text  # each command loads only what it needs

        has = machine_memory()
        print(f"error: {args.command} ran out of memory"
              + (f" (this machine has {size_text(has)})" if has else "")
              + "; nothing was written", file=sys.stderr)
        return USAGE_EXIT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader stopped reading (`| head`): stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _train(args: argparse.Namespace) -> int:
    from core.engine import backend  # each command loads only what it needs
    from core.engine.work import step_work
    from core.files.fileformat import load_design, save_design
    from core.training.trainer import Trainer, new_seed

    if args.epochs is not None and args.epochs < 0:
        raise NeuralCanvasError(f"--epochs {args.epochs} must be 0 or more")
    if args.seed is not None and args.seed < 0:
        raise NeuralCanvasError(f"--seed {args.seed} must be 0 or more")
    design = load_design(_design_path(args))
    if args.seed is not None:
        new_seed(design, args.seed)
    trainer = Trainer(design)
    if (status := _settle_backend(args, step_work(trainer.build.model,
                                                  design.training.batch_size))) is not None:
        return status
    total = design.training.epochs if args.epochs is None else args.epochs
    bar = _ProgressBar(total, sys.stderr) if not args.quiet and sys.stderr.isatty() else None
    start_steps, started = trainer.step_count, time.perf_counter()
    finished = None
    try:
        # Overflow is reported in words by the trainer's NaN guard, not as NumPy's warnings.
        with np.errstate(all="ignore"):
            for progress in trainer.run(total):
                if progress.metrics is not None and bar is not None and progress.kind == "epoch":
                    bar.update(progress.epoch, progress.metrics)
                if progress.kind in ("finished", "stopped"):
                    finished = progress
    except TrainingError as exc:  # the weights from before the bad step are kept: save them
        if bar is not None:
            bar.close()
            bar = None
        trainer.write_back()
        if not args.out:
            raise
        save_design(design, args.out)
        raise TrainingError(f"{exc} The run so far ({trainer.epoch} epochs, {trainer.step_count} "
                            f"steps) is saved in {args.out}.", exc.epoch, exc.step) from exc
    finally:
        if bar is not None:
            bar.close()
    seconds = time.perf_counter() - started
    trainer.write_back()
    if args.out:
        save_design(design, args.out)
    # the metrics of the weights that are kept (early stopping may have gone back to the best)
    metrics = trainer.evaluate() if trainer.epoch else None
    steps = trainer.step_count - start_steps
    result = {
        "epochs": trainer.epoch,
        "steps": trainer.step_count,
        "train_loss": metrics.train_loss if metrics else None,
        "test_loss": metrics.test_loss if metrics else None,
        "train_accuracy": metrics.train_accuracy if metrics else None,
        "test_accuracy": metrics.test_accuracy if metrics else None,
        "train_r2": metrics.train_r2 if metrics else None,
        "test_r2": metrics.test_r2 if metrics else None,
        "steps_per_second": round(steps / seconds, 1) if steps and seconds > 0 else None,
        "seconds": round(seconds, 3),
        "stop_reason": finished.reason if finished else "",
        "backend": backend.description(),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(_summary(result))
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from core.engine import backend  # each command loads only what it needs
    from core.engine.work import variants_step_work
    from core.files.fileformat import load_design
    from core.training.ensemble import VariantTrainer
    from core.training.grid import expand, grid_points, parse_grid, sweep_design
    from core.training.sweep import sweep_rows

    if args.epochs is not None and args.epochs < 1:
        raise NeuralCanvasError(f"--epochs {args.epochs} must be 1 or more")
    design = load_design(_design_path(args))
    axes = parse_grid(args.vary, design)
    variants, points = expand(axes), grid_points(axes)
    try:
        trainer = VariantTrainer(sweep_design(design, axes), variants)
    except ValueError as exc:  # a variant the engine refuses (the grid checks come first)
        raise NeuralCanvasError(str(exc)) from exc
    work = max(variants_step_work(group.build.model, [d.training.batch_size for d in group.designs])
               for group in trainer.groups)
    if (status := _settle_backend(args, work)) is not None:
        return status
    total = design.training.epochs if args.epochs is None else args.epochs
    show = not args.quiet and sys.stderr.isatty()
    bar = _SweepBar(len(trainer.groups), total, len(variants), sys.stderr) if show else None
    last, started = {}, time.perf_counter()
    try:
        with np.errstate(all="ignore"):  # a diverging variant is reported in words
            for progress in trainer.run(total):
                last.update((report.index, report) for report in progress.reports)
                if bar is not None and progress.kind == "epoch":
                    bar.update(progress, trainer)
    finally:
        if bar is not None:
            bar.close()
    seconds = time.perf_counter() - started
    rows = sweep_rows(trainer, points, last)
    if args.json:
        for row in rows:
            print(json.dumps(row.as_dict()))
        sys.stdout.flush()  # here, where a closed pipe is answered quietly, not at exit
        return 0
    print(_sweep_table(rows, [axis.name for axis in axes]))
    groups = len(trainer.groups)
    print(f"{len(rows)} variant{'s' * (len(rows) != 1)} in {groups} batched "
          f"group{'s' * (groups != 1)}, {seconds:.1f} s on {backend.description()}")
    sys.stdout.flush()
    return 0


def _sweep_table(rows, names: list[str]) -> str:
    """The rows as an aligned text table: values, losses, the task's metric, epochs, state."""
    if any(r.test_accuracy is not None or r.train_accuracy is not None for r in rows):
        metric = "test acc" if any(r.test_accuracy is not None for r in rows) else "train acc"
        score = [_pct(r.test_accuracy if metric == "test acc" else r.train_accuracy) for r in rows]
    else:
        metric = "test R²" if any(r.test_r2 is not None for r in rows) else "train R²"
        score = [_fmt(r.test_r2 if metric == "test R²" else r.train_r2) for r in rows]
    header = ["#", *names, "train loss", "test loss", metric, "epochs", "state"]
    lines = [header]
    for row, shown_score in zip(rows, score, strict=True):
        state = row.state
        if row.state == "diverged" or (row.reason and not row.reason.startswith("reached")):
            state += ": " + row.reason.split(";")[0]
        lines.append([str(row.index + 1), *(_value_text(row.values[n]) for n in names),
                      _fmt(row.train_loss), _fmt(row.test_loss), shown_score, str(row.epochs),
                      state])
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    return "\n".join("  ".join([*(cell.ljust(w) for cell, w in zip(line, widths, strict=False)),
                                 line[-1]]).rstrip() for line in lines)


def _value_text(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _export(args: argparse.Namespace) -> int:
    from core.files.fileformat import load_design  # each command loads only what it needs

    targets = [(flag, path) for flag, path in (("onnx", args.onnx), ("torch", args.torch),
                                               ("numpy", args.numpy)) if path]
    if not targets:
        raise NeuralCanvasError("name what to write: --onnx OUT.onnx, --torch OUT.py and/or "
                                "--numpy OUT.py")
    design = load_design(_design_path(args))
    for flag, path in targets:
        try:
            exporter = EXPORTERS[flag]()
        except ImportError as exc:
            raise NeuralCanvasError(f"--{flag} needs the {exc.name or 'onnx'} package: "
                                    "pip install 'neuralcanvas[export]'") from exc
        exporter(design, path)
        print(f"wrote {path} ({EXPORT_WORDS[flag]})")
    return 0


def _import(args: argparse.Namespace) -> int:
    from core.files.fileformat import save_design  # each command loads only what it needs
    try:
        from core.interchange.onnx.importer import read_onnx  # each command loads only what it needs
    except ImportError as exc:
        raise NeuralCanvasError(f"import needs the {exc.name or 'onnx'} package: "
                                "pip install 'neuralcanvas[export]'") from exc
    imported = read_onnx(args.model)
    design = imported.design
    save_design(design, args.out)
    print(f"wrote {args.out} ({len(design.nodes)} nodes, {len(design.connections)} connections)")
    for note in imported.notes:
        print(f"note: {note}")
    return 0


def _onnx_exporter():
    from core.interchange.onnx.export import export_onnx  # each command loads only what it needs

    return export_onnx


def _torch_exporter():
    from core.interchange.torch.export import export_torch  # each command loads only what it needs

    return export_torch


def _numpy_exporter():
    from core.interchange.numpy.export import export_numpy  # each command loads only what it needs

    return export_numpy


EXPORTERS = {"onnx": _onnx_exporter, "torch": _torch_exporter, "numpy": _numpy_exporter}
EXPORT_WORDS = {"onnx": "ONNX, opset 17", "torch": "PyTorch: python FILE or torchrun "
                "--nproc_per_node=N FILE", "numpy": "NumPy only: predict(x)"}


def _summary(r: dict) -> str:
    parts = [f"epochs {r['epochs']}", f"train loss {_fmt(r['train_loss'])}",
             f"test loss {_fmt(r['test_loss'])}"]
    if r["train_accuracy"] is not None:
        parts += [f"train accuracy {_pct(r['train_accuracy'])}", f"test accuracy {_pct(r['test_accuracy'])}"]
    if r["train_r2"] is not None:
        parts += [f"train R² {_fmt(r['train_r2'])}", f"test R² {_fmt(r['test_r2'])}"]
    if r["steps_per_second"] is not None:
        parts.append(f"{r['steps_per_second']} steps/s")
    parts.append(f"on {r['backend']}")
    return ", ".join(parts) + (f" ({r['stop_reason']})" if r["stop_reason"] else "")


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.4f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


class _ProgressBar:
    """A one-line bar on a terminal, redrawn after each epoch."""

    def __init__(self, total: int, stream: TextIO, width: int = 30) -> None:
        self.total, self.stream, self.width = max(1, total), stream, width

    def update(self, epoch: int, metrics) -> None:
        filled = int(self.width * min(epoch, self.total) / self.total)
        bar = "█" * filled + "·" * (self.width - filled)
        score = (f"acc {metrics.train_accuracy:.1%}" if metrics.train_accuracy is not None
                 else f"R² {metrics.train_r2:.3f}" if metrics.train_r2 is not None else "")
        self.stream.write(f"\r{bar} epoch {epoch}/{self.total} loss {metrics.train_loss:.4f} {score} ")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


class _SweepBar(_ProgressBar):
    """The sweep's one-line bar: every group's epochs, how many variants train or diverged."""

    def __init__(self, groups: int, epochs: int, variants: int, stream: TextIO) -> None:
        super().__init__(groups * max(1, epochs), stream)
        self.variants, self.epochs = variants, max(1, epochs)

    def update(self, progress, trainer) -> None:  # type: ignore[override]
        done = sum(min(group.epoch, self.epochs) for group in trainer.groups)
        training = sum(len(group.alive) for group in trainer.groups)
        diverged = sum(o.state == "diverged" for g in trainer.groups for o in g.outcomes.values())
        losses = [r.metrics.test_loss if r.metrics.test_loss is not None else r.metrics.train_loss
                  for r in progress.reports if r.metrics is not None]
        finite = [v for v in losses if np.isfinite(v)]
        filled = int(self.width * min(done, self.total) / self.total)
        bar = "█" * filled + "·" * (self.width - filled)
        best = f" · best loss {min(finite):.4f}" if finite else ""
        self.stream.write(f"\r{bar} {done}/{self.total} group-epochs · {training} of "
                          f"{self.variants} training · {diverged} diverged{best} ")
        self.stream.flush()
