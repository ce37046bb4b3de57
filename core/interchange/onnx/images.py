"""What the readers of ONNX's image operators share (core/interchange/translators/conv.py,
pooling.py): a channels-first image that is the engine's channels-last one transposed, and the
padding of a square window as 'valid' or 'same'."""

from __future__ import annotations

from core.engine.blocks.conv import window_axis
from core.interchange.onnx.functions import attribute
from core.interchange.onnx.values import OnnxImportError, Value, channels_first, named, sized


def image_value(reader, node) -> Value:
    """The node's first input: a channels-first image (an engine image, transposed), undilated."""
    value = reader.value_of(node)
    if value.order is not None or len(value.shape) != 3 or value.perm != channels_first(3):
        raise OnnxImportError(f"{named(node)}: needs a channels-first image made from a "
                              f"channels-last one (Neural Canvas images are height×width×channels)"
                              f", not values shaped {sized(value.tensor_shape)}")
    if any(d != 1 for d in attribute(node, "dilations", [1, 1])):
        raise OnnxImportError(f"{named(node)}: dilation has no block")
    return value


def square_window(node, value: Value, size: int) -> tuple[int, str]:
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
