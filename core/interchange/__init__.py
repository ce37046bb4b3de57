"""Designs to and from other tools: ONNX, PyTorch and NumPy code, CSV tables."""
