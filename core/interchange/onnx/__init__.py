"""ONNX export and import."""
