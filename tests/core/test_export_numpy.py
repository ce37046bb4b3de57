"""The NumPy export: one file, NumPy its only import, whose predict(x) is the engine's forward."""

from __future__ import annotations

import ast

import numpy as np
import pytest

from core.compiler.compile import compile_design
from core.design import registry
from core.design.errors import DesignError
from core.interchange.numpy.export import export_numpy
from tests.core.export_designs import (
    DESIGNS,
    cyclic_design,
    engine_forward,
    example,
    inputless_design,
    load_module,
    sample_rows,
    trained,
)

# every block kind, and the test design that holds it (a new kind fails until it has one)
KIND_DESIGNS = {"input": "neurons-tanh", "neuron": "neurons-tanh", "data": "dense-relu",
                "dense": "dense-relu", "conv2d": "image", "max_pool2d": "image", "avg_pool2d": "image",
                "flatten": "image", "reshape": "image", "batchnorm": "merge", "dropout": "sequence",
                "simple_rnn": "sequence", "lstm": "sequence", "gru": "sequence", "add": "merge",
                "concatenate": "merge"}


# ---------------------------------------------------------------------- tests
@pytest.mark.parametrize("kind", sorted(registry.blocks))
def test_every_block_kind_has_a_test_design(kind):
    assert kind in KIND_DESIGNS, f"no export test design holds the block kind {kind!r}: add one"
    design = DESIGNS[KIND_DESIGNS[kind]]()
    assert kind in {n.kind for n in design.nodes.values()}


@pytest.mark.parametrize("name", sorted(DESIGNS))
def test_predict_equals_the_engine(name, tmp_path):
    design = trained(name)
    path = tmp_path / "net.py"
    export_numpy(design, path)
    module = load_module(path)
    X = sample_rows(design)
    expected = engine_forward(design, X)
    got = module.predict(X)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-10)
    np.testing.assert_allclose(module.predict(X[0]), expected[:1], rtol=0, atol=1e-10)  # one row


@pytest.mark.parametrize("name", ["example-digits_cnn", "example-sine_lstm", "merge", "neurons-prelu"])
def test_the_file_imports_only_numpy(name, tmp_path):
    path = tmp_path / "net.py"
    export_numpy(trained(name, steps=1), path)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    assert imported == {"numpy"}


def test_classify_gives_the_engines_classes(tmp_path):
    design = trained("example-digits_mlp", steps=20)
    path = tmp_path / "digits.py"
    export_numpy(design, path)
    module = load_module(path)
    X = compile_design(design).data.X
    assert (module.classify(X) == engine_forward(design, X).argmax(axis=1)).all()
    assert module.CLASS_NAMES == tuple(str(i) for i in range(10))


@pytest.mark.parametrize("broken, named", [(cyclic_design, ("h1", "h5")),
                                           (inputless_design, ("lonely",))])
def test_an_invalid_design_names_its_nodes_and_writes_nothing(broken, named, tmp_path):
    path = tmp_path / "net.py"
    with pytest.raises(DesignError) as error:
        export_numpy(broken(), path)
    for node_id in named:
        assert node_id in str(error.value)
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left either
    path.write_text("# mine\n", encoding="utf-8")
    with pytest.raises(DesignError):
        export_numpy(broken(), path)
    assert path.read_text(encoding="utf-8") == "# mine\n"


def test_a_kind_without_a_translation_is_named(monkeypatch, tmp_path):
    from core.interchange import translation as translators

    translators.load_all()
    monkeypatch.delitem(translators.TRANSLATORS, "lstm")
    path = tmp_path / "net.py"
    with pytest.raises(DesignError) as error:
        export_numpy(example("sine_lstm"), path)
    problem = error.value.problems[0]
    assert "'lstm' has no translation" in problem.message
    assert problem.node_ids == tuple(n.id for n in example("sine_lstm").nodes.values() if n.kind == "lstm")
    assert not path.exists()


def test_a_path_that_cannot_be_written_is_a_core_error(tmp_path):
    from core.design.errors import NeuralCanvasError

    path = tmp_path / "no such folder" / "net.py"
    with pytest.raises(NeuralCanvasError, match="cannot write .*no such folder"):
        export_numpy(example("xor"), path)
    assert not path.parent.exists()
