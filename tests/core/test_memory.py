"""Memory: the estimate of what a design needs to train matches what a real run allocates, a
design that cannot fit is refused by validation (naming its heaviest nodes and the figures), and
a MemoryError met while training becomes a clear message in core and on the command line."""

from __future__ import annotations

import os
import re
import tracemalloc

import numpy as np
import pytest

from core.compiler import memory
from core.compiler.validation import check_design, load_cached_dataset, validate_design
from core.design.errors import DesignError, OutOfMemoryError
from core.engine.model import Model
from core.files.fileformat import load_design, save_design
from core.training.trainer import Trainer
from tests.core.example_designs import EXAMPLES

SIXTEEN_GIB = 16 * 2**30


def estimate_of(design) -> memory.MemoryEstimate:
    problems, structure = check_design(design)
    assert structure is not None, problems
    choice = design.dataset
    return memory.estimate(design, structure,
                           load_cached_dataset(choice.name, dict(choice.params), choice.seed))


def with_params(name: str, node_id: str, **params):
    design = load_design(EXAMPLES / f"{name}.ncanvas")
    design.set_node_params(node_id, **params)
    return design


@pytest.mark.parametrize("design", [
    pytest.param(lambda: with_params("digits_mlp", "d2", units=1000), id="dense-1000"),
    pytest.param(lambda: with_params("digits_cnn", "c3", filters=64), id="conv-64-filters"),
    pytest.param(lambda: load_design(EXAMPLES / "sine_lstm.ncanvas"), id="lstm"),
])
def test_the_estimate_is_near_what_a_real_run_allocates(design):
    design = design()
    design.set_training(epochs=1)
    expected = estimate_of(design).total
    tracemalloc.start()  # NumPy reports its arrays to tracemalloc
    try:
        before = tracemalloc.get_traced_memory()[0]
        trainer = Trainer(design)
        trainer.train()
        trainer.write_back()
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert peak / 2 <= expected <= peak * 2, (memory.size_text(expected), memory.size_text(peak))


def test_a_bigger_layer_needs_more():
    small = estimate_of(with_params("digits_mlp", "d2", units=100)).total
    big = estimate_of(with_params("digits_mlp", "d2", units=10_000)).total
    assert big > 50 * small / 10  # the layer's weights and values grow a hundredfold


def two_dense_layers_of_100000_units():
    """The autoencoder with its encoder and its code each 100,000 units: 10¹⁰ weights between."""
    design = with_params("digits_autoencoder", "d2", units=100_000)
    design.set_node_params("d3", units=100_000)
    return design


def conv_4096_filters_31_by_31():
    return with_params("digits_cnn", "c3", filters=4096, kernel_size=31)


@pytest.mark.parametrize("make, heaviest", [(two_dense_layers_of_100000_units, "d3"),
                                            (conv_4096_filters_31_by_31, "c3")])
def test_a_design_that_cannot_fit_is_refused_naming_its_heaviest_node(make, heaviest,
                                                                      monkeypatch):
    monkeypatch.setattr(memory, "machine_memory", lambda: SIXTEEN_GIB)
    design = make()
    errors = [p for p in validate_design(design) if p.severity == "error"]
    assert len(errors) == 1
    problem = errors[0]
    assert problem.node_ids[0] == heaviest
    assert "more than the 16 GiB this machine has" in problem.message
    assert "GiB of memory" in problem.message and heaviest in problem.message
    with pytest.raises(DesignError, match="16 GiB this machine has"):
        Trainer(design)  # refused before a single large array is made


@pytest.mark.skipif(not os.path.exists("/proc/meminfo"), reason="Linux's /proc/meminfo is checked")
def test_the_figure_is_the_machines_physical_memory():
    total = memory.machine_memory()
    assert total is not None and total > 0
    with open("/proc/meminfo", encoding="ascii") as f:
        meminfo = next(int(line.split()[1]) * 1024 for line in f if line.startswith("MemTotal:"))
    assert total <= meminfo * 1.01  # a container's limit may be smaller, never larger


def test_a_design_that_fits_is_not_refused():
    assert not [p for p in validate_design(load_design(EXAMPLES / "digits_cnn.ncanvas"))
                if p.severity == "error"]
    assert re.fullmatch(r"training needs ≈ [0-9.]+ MiB", memory.summary(*_parts("digits_cnn")))


def _parts(name):
    design = load_design(EXAMPLES / f"{name}.ncanvas")
    _problems, structure = check_design(design)
    choice = design.dataset
    return design, structure, load_cached_dataset(choice.name, dict(choice.params), choice.seed)


def _no_memory(*_args, **_kwargs):
    raise MemoryError


def test_a_memory_error_in_a_step_is_a_clear_message_and_keeps_the_weights(monkeypatch):
    trainer = Trainer(load_design(EXAMPLES / "digits_mlp.ncanvas"))
    trainer.step()
    before = trainer.model.parameters_numpy()
    monkeypatch.setattr(Model, "loss_and_gradients", _no_memory)
    with pytest.raises(OutOfMemoryError) as caught:
        trainer.step()
    message = str(caught.value)
    assert message.startswith("training ran out of memory at epoch 1, step 2")
    assert "this machine has" in message and "smaller batch" in message
    np.testing.assert_array_equal(trainer.model.parameters_numpy(), before)
    assert trainer.step_count == 1


def test_a_memory_error_in_the_optimizer_step_puts_the_weights_back(monkeypatch):
    trainer = Trainer(load_design(EXAMPLES / "digits_mlp.ncanvas"))
    trainer.step()
    before = trainer.model.parameters_numpy()
    optimizer_type = type(trainer.optimizer)

    def half_a_step(self, w, g, lr):
        w[: len(w) // 2] += 1.0  # half written when memory ran out
        raise MemoryError

    monkeypatch.setattr(optimizer_type, "step", half_a_step)
    with pytest.raises(OutOfMemoryError):
        trainer.step()
    np.testing.assert_array_equal(trainer.model.parameters_numpy(), before)


def test_a_memory_error_in_evaluation_is_a_clear_message(monkeypatch):
    trainer = Trainer(load_design(EXAMPLES / "digits_mlp.ncanvas"))
    monkeypatch.setattr(Model, "forward_all", _no_memory)
    with pytest.raises(OutOfMemoryError, match="ran out of memory evaluating epoch 0"):
        trainer.evaluate()


def test_the_command_line_says_it_in_one_line_and_exits_2(monkeypatch, tmp_path, capsys):
    from main import main

    path = tmp_path / "mlp.ncanvas"
    save_design(load_design(EXAMPLES / "digits_mlp.ncanvas"), path)
    monkeypatch.setattr(Model, "loss_and_gradients", _no_memory)
    assert main(["train", str(path), "--epochs", "1", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: training ran out of memory at epoch 1, step 1")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_the_command_line_refuses_to_train_a_design_that_cannot_fit(monkeypatch, tmp_path,
                                                                     capsys):
    from main import main

    monkeypatch.setattr(memory, "machine_memory", lambda: SIXTEEN_GIB)
    path = tmp_path / "huge.ncanvas"
    save_design(conv_4096_filters_31_by_31(), path)
    assert main(["train", str(path), "--epochs", "1", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "more than the 16 GiB this machine has" in err and "c3" in err
    assert len(err.strip().splitlines()) == 1


def test_a_file_that_cannot_train_here_still_opens(monkeypatch, tmp_path):
    monkeypatch.setattr(memory, "machine_memory", lambda: SIXTEEN_GIB)
    path = tmp_path / "huge.ncanvas"
    save_design(conv_4096_filters_31_by_31(), path)
    assert load_design(path).nodes["c3"].params["filters"] == 4096  # to be made smaller here
