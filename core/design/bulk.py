"""Pausing Python's cyclic garbage collector while a big design is read, checked or compiled."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Run the body with the cyclic collector off, then put it back as it was.

    Reading or compiling a design of 100,000 nodes makes millions of small objects, none of them
    garbage; the collector's full passes walk all of them again and again and would take longer
    than the work itself. Reference counting still frees everything as usual."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
