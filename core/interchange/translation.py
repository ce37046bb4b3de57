"""Block kind id → how that kind is written out: its ONNX nodes and parameter layout (and back, and
which ONNX operators the importer reads as it), its PyTorch module and its NumPy forward pass.

Each module of core.interchange.translators fills the table for the block kinds of the engine
module of the same name (core/engine/blocks/dense.py → translators/dense.py), by calling
`register`; `load_all`
imports them by name, as core.design.registry loads the block modules, so the exporters only look
a kind up. A kind with no entry (or no entry for one target) is refused by that export, named.

Generated code keeps the rule of core.interchange.code: design text enters it only as repr()
literals or through safe_text; a translation writes numbers, shapes and parameter names.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

PACKAGE = "core.interchange.translators"
TRANSLATORS: dict[str, Translator] = {}  # block kind id → its translations
_loaded = False


def _no_params(layer: Any, arrays: Mapping[str, Any]) -> dict:
    return {}


@dataclass(frozen=True)
class OnnxTranslation:
    """A kind in ONNX.

    emit(g, layer, params, x, shape, key, doc) → (tensor name, per-sample shape): the nodes that
    compute the layer from tensor `x` (a list of tensors and shapes for a merging layer) with the
    GraphBuilder `g`, its parameters put in with g.param(key, name, value) in ONNX's layout;
    engine(layer, {ONNX name: array}) → the layer's parameters, the inverse (for an import);
    readers: ONNX operator → reader(graph_reader, node), how an import of another tool's graph
    reads that operator as this kind (core/interchange/onnx/graph.py)."""

    emit: Callable[..., tuple[str, tuple[int, ...]]]
    engine: Callable[[Any, Mapping[str, Any]], dict] = _no_params
    readers: Mapping[str, Callable[[Any, Any], None]] = field(default_factory=dict)


@dataclass(frozen=True)
class CodeTranslation:
    """A kind in the PyTorch and NumPy exports (core/interchange/code.py's ForwardWriter).

    name: the step's name in the code (kinds that compute alike share one: neuron and dense are
    both "linear"); numpy(writer, step, x, out) and torch(…) → the lines of Network.forward /
    predict that give `out` from the source `x` (for a kind with `groups`, the weighted sums
    before the activation); torch None: the module self.opN is called; torch_module(step) → the
    constructor of that module in Network.__init__; torch_definition, numpy_definition: the
    module-level source the lines call (a class, a function), written once per file;
    groups(layer) → the layer's ActivationGroups, applied after its lines; activations: the
    activation functions its definitions call; note(layer) → text after the step's title."""

    name: str
    numpy: Callable[..., list[str]]
    torch: Callable[..., list[str]] | None = None
    torch_module: Callable[[Any], str] | None = None
    torch_definition: str = ""
    numpy_definition: str = ""
    groups: Callable[[Any], list] | None = None
    activations: tuple[str, ...] = ()
    note: Callable[[Any], str] | None = None


@dataclass(frozen=True)
class Translator:
    """Everything the exports and the importer know of one block kind (None: no translation)."""

    onnx: OnnxTranslation | None = None
    code: CodeTranslation | None = None


def register(kind: str, translator: Translator) -> Translator:
    """Put `translator` under block kind id `kind` (a kind has one; registering another is an
    error, as in core.design.registry)."""
    held = TRANSLATORS.get(kind)
    if held is not None and held is not translator:
        raise ValueError(f"block kind {kind!r} has two translators")
    TRANSLATORS[kind] = translator
    return translator


def unregister(kind: str) -> None:
    """Take the translator of `kind` out again (a kind registered for a while, as a test does)."""
    TRANSLATORS.pop(kind, None)


def load_all() -> None:
    """Import every module of this package: each registers its kinds' translators."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    package = importlib.import_module(PACKAGE)
    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{PACKAGE}.{info.name}")


def translator(kind: str) -> Translator:
    """The translator of block kind `kind`; an empty one (nothing translates) when it has none."""
    load_all()
    return TRANSLATORS.get(kind, _NONE)


def onnx_readers() -> dict[str, Callable[[Any, Any], None]]:
    """ONNX operator → the reader that makes it a block, over every registered kind."""
    load_all()
    out: dict[str, Callable[[Any, Any], None]] = {}
    for kind, held in TRANSLATORS.items():
        for op, reader in (held.onnx.readers if held.onnx else {}).items():
            if out.get(op, reader) is not reader:
                raise ValueError(f"the ONNX operator {op!r} has two readers (one of {kind!r})")
            out[op] = reader
    return out


def template(library: str, name: str) -> str:
    """The text of core/interchange/<library>/templates/<name>.py.tmpl (package data)."""
    path = resources.files(f"core.interchange.{library}").joinpath("templates", f"{name}.py.tmpl")
    return path.read_text(encoding="utf-8")


_NONE = Translator()
