"""Guards for tests of files that could block or never end (a FIFO, /dev/zero): the `no_hang`
fixture fails a test that runs too long instead of hanging the suite, and `run_isolated` runs
code in a fresh Python with bounded memory and time."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HANG_GUARD_S = 120  # far above what any read here takes: only a read that never ends reaches it
MEMORY_LIMIT = 2 << 30  # address space of run_isolated's Python: a read without end fails there


class Hung(Exception):
    """Raised in the main thread when a test runs past HANG_GUARD_S (not an OSError, so that no
    `except OSError` on the way swallows it)."""


@pytest.fixture
def no_hang():
    """A test that would block (a FIFO's open) or never end fails after HANG_GUARD_S instead: a
    thread interrupts the main thread with SIGALRM, again each second until the test ends (a
    plain alarm could go to one of Qt's threads and leave the main thread blocked)."""
    def expired(_signum, _frame):
        raise Hung(f"still running after {HANG_GUARD_S} s: it would hang (or freeze the window)")

    previous = signal.signal(signal.SIGALRM, expired)
    done = threading.Event()
    main = threading.main_thread().ident

    def watch():
        if not done.wait(HANG_GUARD_S):
            while not done.wait(1.0):
                signal.pthread_kill(main, signal.SIGALRM)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    yield
    done.set()
    watcher.join()
    signal.signal(signal.SIGALRM, previous)


def isolated_env() -> dict[str, str]:
    """The environment of a child Python that imports this worktree's code."""
    return {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1", "QT_QPA_PLATFORM": "offscreen"}


def run_capped(code: str, *args: str) -> subprocess.CompletedProcess:
    """Run `code` in a fresh Python (this worktree's code) with MEMORY_LIMIT of address space:
    a run that outlasts HANG_GUARD_S fails the test (it would hang) instead of hanging the suite,
    and a read without end meets a MemoryError instead of taking the machine's memory."""
    prologue = ("import resource; resource.setrlimit(resource.RLIMIT_AS, "
                f"({MEMORY_LIMIT}, {MEMORY_LIMIT}))\n")
    try:
        return subprocess.run([sys.executable, "-c", prologue + code, *args], env=isolated_env(),
                              capture_output=True, text=True, timeout=HANG_GUARD_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running after {HANG_GUARD_S} s: reading the file hangs")


def run_isolated(code: str, *args: str) -> dict:
    """run_capped, returning the JSON that `code` prints last (the run must succeed)."""
    done = run_capped(code, *args)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_main(*args: str) -> subprocess.CompletedProcess:
    """`python main.py ARGS…` as a person runs it, under run_capped's limits."""
    code = "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
    return run_capped(code, str(ROOT / "main.py"), *args)
