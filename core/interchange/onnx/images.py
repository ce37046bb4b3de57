"""Reading ONNX's image operators as blocks: Conv → Conv2D, MaxPool/AveragePool → pooling,
BatchNormalization → BatchNorm, on channels-first tensors that are the engine's channels-last
images transposed."""

from __future__ import annotations

import numpy as np

from core.engine.blocks.conv import Conv2DLayer, window_axis
from core.engine.blocks.pooling import Pool2DLayer
from core.interchange.onnx.functions import attribute
from core.interchange.onnx.values import OnnxImportError, Value, channels_first, named, sized


class ImageOperators:
    """Part of GraphReader (core/interchange/onnx/graph.py): its consts, values, consumers and blocks."""

    def _image(self, node) -> Value:
        value = self._value(node)
        if value.order is not None or len(value.shape) != 3 or value.perm != channels_first(3):
            raise OnnxImportError(f"{named(node)}: needs a channels-first image made from a "
                                  f"channels-last one (Neural Canvas images are height×width×channels)"
                                  f", not values shaped {sized(value.tensor_shape)}")
        if any(d != 1 for d in attribute(node, "dilations", [1, 1])):
            raise OnnxImportError(f"{named(node)}: dilation has no block")
        return value

    def _window(self, node, value: Value, size: int) -> tuple[int, str]:
        """(stride, padding) of a square window, 'valid' or TensorFlow's 'same'."""
        stride = list(attribute(node, "strides", [1, 1]))
        if len(set(stride)) != 1:
            raise OnnxImportError(f"{named(node)}: strides {sized(stride)} differ between the axes")
        s = int(stride[0])
        if s < 1 or size < 1:
            raise OnnxImportError(f"{named(node)}: a window of {size} moved by {s} has no block "
                                  "(both must be at least 1)")
        auto = attribute(node, "auto_pad", b"NOTSET")
        auto = auto.decode() if isinstance(auto, bytes) else auto
        height, width = value.shape[0], value.shape[1]
        same = [window_axis(height, size, s, "same"), window_axis(width, size, s, "same")]
        same_pads = [same[0][1], same[1][1], same[0][2], same[1][2]]
        if auto in ("VALID",):
            return s, "valid"
        pads = same_pads if auto == "SAME_UPPER" else list(attribute(node, "pads", [0, 0, 0, 0]))
        if auto == "SAME_LOWER" and same_pads[:2] == same_pads[2:]:
            pads = same_pads
        if not any(pads):
            return s, "valid"
        if pads == same_pads:
            return s, "same"
        raise OnnxImportError(f"{named(node)}: padding {sized(pads)} is neither 'valid' nor 'same' (zeros "
                              "split evenly, an odd one after)")

    def _op_Conv(self, node) -> None:
        value = self._image(node)
        weight = self._const(node, 1, "weights")
        if attribute(node, "group", 1) != 1:
            raise OnnxImportError(f"{named(node)}: a grouped convolution has no block")
        if weight.ndim != 4 or weight.shape[2] != weight.shape[3] or weight.shape[1] != value.shape[2]:
            raise OnnxImportError(f"{named(node)}: weights shaped {sized(weight.shape)} are not square "
                                  f"filters over {value.shape[2]} channel(s)")
        filters, k = int(weight.shape[0]), int(weight.shape[2])
        stride, padding = self._window(node, value, k)
        arrays = {"kernel": weight.transpose(2, 3, 1, 0).astype(np.float32)}
        bias = len(node.input) > 2 and bool(node.input[2])
        if bias:
            arrays["bias"] = self._const(node, 2, "bias").reshape(-1).astype(np.float32)
        try:
            shape = Conv2DLayer.output_shape(value.shape, filters, k, stride, padding)
        except ValueError as exc:
            raise OnnxImportError(f"{named(node)}: {exc}") from None
        params = {"filters": filters, "kernel_size": k, "strides": stride, "padding": padding,
                  "activation": "identity", "activation_params": {}, "use_bias": bias}
        block = self._add("conv2d", params, [value.block], arrays)
        self.values[node.output[0]] = Value(block, shape, channels_first(3), open=True)

    def _pool(self, node, kind: str) -> None:
        value = self._image(node)
        size = list(attribute(node, "kernel_shape", []))
        if len(size) != 2 or size[0] != size[1]:
            raise OnnxImportError(f"{named(node)}: only a square window can be read, not {sized(size)}")
        if attribute(node, "ceil_mode", 0) or (len(node.output) > 1 and node.output[1] in self.consumers):
            raise OnnxImportError(f"{named(node)}: ceil mode and indices have no block")
        stride, padding = self._window(node, value, int(size[0]))
        if padding != "valid":
            raise OnnxImportError(f"{named(node)}: pooling blocks take whole windows only (no padding)")
        pool = int(size[0])
        try:
            shape = Pool2DLayer.output_shape(value.shape, pool, stride)
        except ValueError as exc:
            raise OnnxImportError(f"{named(node)}: {exc}") from None
        params = {"pool_size": pool, "strides": 0 if stride == pool else stride}
        block = self._add(kind, params, [value.block])
        self.values[node.output[0]] = Value(block, shape, channels_first(3))

    def _op_MaxPool(self, node) -> None:
        if attribute(node, "storage_order", 0):
            raise OnnxImportError(f"{named(node)}: column-major indices have no block")
        self._pool(node, "max_pool2d")

    def _op_AveragePool(self, node) -> None:
        self._pool(node, "avg_pool2d")

    def _op_BatchNormalization(self, node) -> None:
        value = self._value(node)
        if value.order is not None or value.perm != channels_first(len(value.shape)):
            raise OnnxImportError(f"{named(node)}: normalises another axis than the features (the "
                                  f"last axis of the engine's values shaped {sized(value.shape)})")
        if attribute(node, "training_mode", 0) or len(node.output) > 1:
            raise OnnxImportError(f"{named(node)}: batch normalization in training mode cannot be read")
        names = ("gamma", "beta", "running_mean", "running_var")
        arrays = {n: self._const(node, k + 1, n.replace("_", " ")).reshape(-1).astype(np.float32)
                  for k, n in enumerate(names)}
        if any(a.shape != (value.shape[-1],) for a in arrays.values()):
            raise OnnxImportError(f"{named(node)}: its statistics are not one per feature")
        momentum = 1.0 - float(attribute(node, "momentum", 0.9))
        params = {"momentum": min(max(momentum, 0.0), 1.0),
                  "epsilon": float(attribute(node, "epsilon", 1e-5))}
        block = self._add("batchnorm", params, [value.block], arrays)
        self.values[node.output[0]] = Value(block, value.shape, value.perm)
