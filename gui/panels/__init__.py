"""The live views beside the canvas: one module per panel (loss, boundary, …)."""
