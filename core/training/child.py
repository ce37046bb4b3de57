"""The entry of a training process the window starts: its backend is set before the engine loads
(core.engine.backend picks NumPy or CuPy once, when first imported), then its loop serves.

Nothing here imports the engine: the loop is named as "module:function" and imported after the
backend is set. Only the loops below may be named (the window names them; nothing else does)."""

from __future__ import annotations

import importlib
import os

BACKEND_VARIABLE = "NCANVAS_BACKEND"  # core.engine.backend.ENV_VAR, read when the engine loads
LOOPS = ("core.training.process:serve", "core.training.compare_process:serve")


def serve_on(conn, loop: str, backend: str = "") -> None:
    """Serve `conn` with `loop` on `backend` ("numpy" or "cupy"; "" keeps the window's)."""
    if loop not in LOOPS:
        raise ValueError(f"{loop!r} is not a training loop (one of {', '.join(LOOPS)})")
    if backend:
        os.environ[BACKEND_VARIABLE] = backend
    module, _, name = loop.partition(":")
    getattr(importlib.import_module(module), name)(conn)
