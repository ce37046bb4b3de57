"""An ONNX model's external data (weights kept in files beside the model), read as safely as the
model: only a regular file inside the model's folder, opened so that a FIFO cannot block, and no
more than the bytes left of ONNX_MODEL.limit for the model and its data together."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import PurePath

from core.design.errors import shown, shown_path
from core.design.safe_files import ONNX_DATA, UnreadableFile, open_file, size_text
from core.interchange.onnx.values import OnnxImportError

EXTERNAL = 1  # TensorProto.EXTERNAL: the tensor's bytes are in another file


def _graph_tensors(graph) -> Iterator:
    yield from graph.initializer
    for sparse in graph.sparse_initializer:
        yield sparse.values
        yield sparse.indices
    yield from _node_tensors(graph.node)


def _node_tensors(nodes) -> Iterator:
    for node in nodes:
        for attribute in node.attribute:
            if attribute.HasField("t"):
                yield attribute.t
            yield from attribute.tensors
            if attribute.HasField("g"):
                yield from _graph_tensors(attribute.g)
            for graph in attribute.graphs:
                yield from _graph_tensors(graph)


def external_tensors(model) -> list:
    """Every tensor of the model (its graphs, subgraphs and functions) kept in another file."""
    found = [t for t in _graph_tensors(model.graph) if t.data_location == EXTERNAL]
    for function in model.functions:
        found += [t for t in _node_tensors(function.node) if t.data_location == EXTERNAL]
    return found


def load_external_data(model, model_path: str, limit: int, used: int) -> None:
    """Read every external tensor's bytes into the model (as if they had been inside it), the
    model (`used` bytes) and its data together at most `limit` bytes. OnnxImportError names the
    model, the tensor and the data file when a location leaves the model's folder, the file is
    not a regular file, or it holds too little."""
    folder = os.path.dirname(os.path.abspath(model_path))
    for tensor in external_tensors(model):
        data = _read(tensor, folder, model_path, limit, used)
        used += len(data)
        tensor.raw_data = data
        tensor.data_location = 0  # TensorProto.DEFAULT: the bytes are in the model now
        del tensor.external_data[:]


def _read(tensor, folder: str, model_path: str, limit: int, used: int) -> bytes:
    where = f"{shown_path(model_path)}: the weights {shown(tensor.name)}"
    info = {entry.key: entry.value for entry in tensor.external_data}
    location = info.get("location", "")
    try:
        offset = int(info.get("offset") or 0)
        length = None if info.get("length") in (None, "") else int(info["length"])
    except ValueError:
        raise OnnxImportError(f"{where}: their offset and length in the external data file must "
                              "be whole numbers") from None
    if offset < 0 or (length is not None and length < 0):
        raise OnnxImportError(f"{where}: a negative offset or length in the external data file")
    parts = PurePath(location.replace("\\", "/")).parts
    if not location or os.path.isabs(location) or PurePath(location).is_absolute() or ".." in parts:
        raise OnnxImportError(f"{where}: kept in {shown_path(location)}, which is not a file "
                              "inside the model's folder")
    target = os.path.join(folder, location)
    real_folder = os.path.realpath(folder)
    if os.path.commonpath([os.path.realpath(target), real_folder]) != real_folder:
        raise OnnxImportError(f"{where}: kept in {shown_path(location)}, which leads out of the "
                              "model's folder")
    try:
        with open_file(target, ONNX_DATA) as raw:
            available = raw.size - offset
            want = available if length is None else length
            if offset > raw.size or want > available:
                raise OnnxImportError(f"{where}: {shown_path(location)} holds {size_text(raw.size)}, "
                                      f"fewer than they need")
            if used + want > limit:
                raise OnnxImportError(f"{where}: the model with its external data is larger than "
                                      f"{size_text(limit)}, the most read")
            raw.seek(offset)
            data = raw.read_exactly(want)
    except UnreadableFile as exc:
        raise OnnxImportError(f"{where}: {exc}") from None
    except OSError as exc:
        raise OnnxImportError(f"{where}: {shown_path(location)} cannot be read "
                              f"({exc.strerror})") from None
    if len(data) < want:
        raise OnnxImportError(f"{where}: {shown_path(location)} ended before their last byte")
    return data
