"""What the tests of the window's child processes share."""

from __future__ import annotations

import contextlib
import os
import signal


@contextlib.contextmanager
def never_left_behind(process):
    """Whatever the test finds, the process it stops or kills does not outlive it."""
    try:
        yield process
    finally:
        if process.is_alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)
            process.join(5)
