"""A new block kind is one module: this one. A toy "Scale" block (y = a·x, one learned factor per
value) declares its engine layer and its translations here, is registered for these tests only,
and a design using it exports to ONNX, PyTorch and NumPy, each computing what the engine does."""

from __future__ import annotations

import numpy as np
import pytest

from core.compiler.compile import compile_design
from core.design import registry
from core.design.design import Design
from core.engine.backend import to_numpy
from core.engine.blocks.base import BlockKind
from core.interchange import translation as translators
from core.interchange.numpy.export import export_numpy
from core.interchange.onnx.values import OnnxImportError, Value
from core.interchange.translation import CodeTranslation, OnnxTranslation, Translator
from tests.core.export_designs import engine_forward, load_module

KIND = "scale_for_test"


# ---------------------------------------------------------------------- the engine's side
class ScaleLayer:
    """y = a·x over a flat vector, `a` learned (one factor per value)."""

    decay: tuple[str, ...] = ()

    def __init__(self, width: int) -> None:
        self.n_in = self.n_out = width
        self.in_shape = self.out_shape = (width,)

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        return {"scale": (self.n_in,)}

    def initial_params(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        return {"scale": rng.uniform(0.5, 2.0, self.n_in)}

    def forward(self, p, x, training: bool = False, rng=None):
        return x * p["scale"], x

    def backward(self, p, cache, da, g, need_dx: bool):
        g["scale"][...] = (cache * da).sum(axis=0)
        return da * p["scale"] if need_dx else None


class ScaleKind(BlockKind):
    id = KIND
    label = "Scale"
    description = "Multiplies each value by a learned factor."

    def output_shape(self, params, input_shapes):
        if len(input_shapes) != 1 or len(input_shapes[0]) != 1:
            return "Scale takes one flat vector"
        return tuple(input_shapes[0])

    def build(self, params, input_shape):
        return ScaleLayer(int(input_shape[0]))


# ---------------------------------------------------------------------- its translations
def emit(g, layer, p, x, shape, key, doc):
    return g.node("Mul", [x, g.param(key, "scale", p["scale"])], f"{key}/Mul", doc), layer.out_shape


def read_mul(reader, node):
    """A Mul by one constant factor per value of a flat vector is a Scale block (an import of a
    graph another tool made)."""
    value = reader.value_of(node)
    factors = reader.constant(node, 1, "factors").reshape(-1)
    if value.order is not None or len(value.shape) != 1 or factors.shape != value.shape:
        raise OnnxImportError("a Mul is read only as one factor per value of a flat vector")
    block = reader.add_block(KIND, {}, [value.block], {"scale": factors.astype(np.float32)})
    reader.values[node.output[0]] = Value(block, value.shape, (0,))


TORCH_MODULE = '''
class Scale(nn.Module):
    """y = a·x, one learned factor per value."""

    def __init__(self, width):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(width))

    def forward(self, x):
        return x * self.scale
'''

NUMPY_FUNCTION = '''
def scale(x, factors):
    """y = a·x, one factor per value."""
    return x * factors
'''

SCALE = Translator(
    OnnxTranslation(emit, lambda layer, arrays: dict(arrays), readers={"Mul": read_mul}),
    CodeTranslation(
        "scale",
        numpy=lambda writer, step, x, out: [f"{out} = scale({x}, {writer.param(step, 'scale')})"],
        torch_module=lambda step: f"Scale({int(step.layer.n_in)})",
        torch_definition=TORCH_MODULE, numpy_definition=NUMPY_FUNCTION))


@pytest.fixture
def scale_kind(register_for_the_test):
    """The kind registered for one test, and gone after it."""
    register_for_the_test(registry.blocks, KIND, ScaleKind())
    translators.register(KIND, SCALE)
    yield
    translators.unregister(KIND)


def scaled_design(dtype: str = "float64") -> Design:
    """Data → Dense(5, tanh) → Scale → Dense(1) on the plane data set."""
    d = Design()
    d.set_dataset("plane", {"n": 60}, seed=1)
    d.set_training(loss="mse", optimizer="adam", learning_rate=0.05, batch_size=10, seed=3, dtype=dtype)
    d.add_node("data", node_id="data")
    d.add_node("dense", {"units": 5, "activation": "tanh"}, node_id="hidden")
    d.add_node(KIND, node_id="s", label="the scale")
    d.add_node("dense", {"units": 1, "activation": "identity"}, node_id="out")
    d.add_connection("data", "hidden")
    d.add_connection("hidden", "s")
    d.add_connection("s", "out")
    return d


def factors(design: Design) -> np.ndarray:
    build = compile_design(design, dtype="float64")
    return to_numpy(build.model.ops[build.block_ops["s"]].params["scale"])


# ---------------------------------------------------------------------- the three exports
def test_the_numpy_export_predicts_what_the_engine_does(scale_kind, tmp_path):
    design = scaled_design()
    assert not np.allclose(factors(design), 1.0)  # the factors matter
    path = tmp_path / "net.py"
    export_numpy(design, path)
    source = path.read_text(encoding="utf-8")
    assert "def scale(x, factors):" in source and "op1.scale" in source
    X = compile_design(design).data.X
    np.testing.assert_allclose(load_module(path).predict(X), engine_forward(design, X), rtol=0, atol=1e-10)


def test_the_pytorch_export_computes_and_trains_as_the_engine(scale_kind, tmp_path, capsys):
    torch = pytest.importorskip("torch")
    from core.interchange.torch.export import export_torch
    from core.training.trainer import Trainer

    design = scaled_design()
    path = tmp_path / "net.py"
    export_torch(design, path)
    module = load_module(path)
    X = compile_design(design).data.X
    net = module.trained_network(torch.float64).eval()
    assert isinstance(net.op1, module.Scale)
    with torch.no_grad():
        got = net(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(got, engine_forward(design, X), rtol=0, atol=1e-9)
    trainer = Trainer(scaled_design())  # the same design: the same starting weights
    expected = [trainer.step().loss for _ in range(8)]
    losses = module.main(["--steps", "8"])  # the script's training loop: the gradient through Scale
    capsys.readouterr()
    np.testing.assert_allclose(losses, expected, rtol=1e-9, atol=1e-9)


def test_the_onnx_export_runs_as_the_engine_and_reads_back(scale_kind, tmp_path):
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from core.interchange.onnx.export import export_onnx
    from core.interchange.onnx.importer import read_onnx

    design = scaled_design("float32")
    path = tmp_path / "net.onnx"
    export_onnx(design, path)
    session = ort.InferenceSession(path.read_bytes(), providers=["CPUExecutionProvider"])
    X = compile_design(design).data.X
    got = session.run(["output"], {"input": X.astype(np.float32)})[0]
    np.testing.assert_allclose(got, engine_forward(design, X), rtol=0, atol=1e-5)
    imported = read_onnx(path)
    assert imported.restored and imported.design.nodes["s"].kind == KIND
    np.testing.assert_allclose(factors(imported.design), factors(design), rtol=0, atol=1e-7)


def test_an_onnx_graph_without_the_design_reads_the_block_back(scale_kind):
    pytest.importorskip("onnx")
    from core.interchange.onnx.export import to_onnx
    from core.interchange.onnx.importer import design_from_model

    design = scaled_design("float32")
    model = to_onnx(design)
    del model.metadata_props[:]  # as another tool would write it: the graph alone
    imported = design_from_model(model)
    assert not imported.restored
    kinds = sorted(node.kind for node in imported.design.nodes.values())
    assert kinds == sorted(["data", "dense", KIND, "dense"])
    X = compile_design(design).data.X
    np.testing.assert_allclose(engine_forward(imported.design, X), engine_forward(design, X),
                               rtol=0, atol=1e-5)


def test_without_its_translator_each_export_names_the_block(scale_kind, tmp_path):
    from core.design.errors import DesignError

    translators.unregister(KIND)
    with pytest.raises(DesignError) as caught:
        export_numpy(scaled_design(), tmp_path / "net.py")
    assert f"{KIND!r} has no translation" in str(caught.value)
    assert caught.value.problems[0].node_ids == ("s",)
    assert not (tmp_path / "net.py").exists()
