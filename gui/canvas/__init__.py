"""The canvas: the scene that mirrors the design as items, and the view that zooms, pans and takes drops."""

from gui.canvas.scene import CanvasScene
from gui.canvas.view import KIND_MIME, CanvasView

__all__ = ["KIND_MIME", "CanvasScene", "CanvasView"]
