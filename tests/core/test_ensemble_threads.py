"""Big ensemble steps on a one-thread BLAS, split among threads where cores are free: each
variant still equals its design trained alone, the split happens only for steps worth it, and
the BLAS's thread count is back as it was after each step."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import core.engine.ensemble.model as ensemble_model
from core.engine import backend
from core.engine.backend import to_numpy
from core.engine.work import multiply_adds_per_sample, step_work
from tests.core.ensemble_checks import alone, assert_same_run, together
from tests.core.example_designs import gaussian_dense_design, plane_design, xor_design
from tests.core.onnx_designs import chain

VARIANTS = [{"learning_rate": 0.01, "seed": s} for s in range(3)] + [{"learning_rate": 0.1}]


def test_work_is_counted_from_the_layers_weights():
    from core.compiler.compile import compile_design

    model = compile_design(gaussian_dense_design()).model
    sizes = [op.layer.param_shapes()["kernel"] for op in model.ops]
    assert multiply_adds_per_sample(model) == sum(a * b for a, b in sizes)
    assert step_work(model, 32) == 6 * 32 * multiply_adds_per_sample(model)


def _split_always(monkeypatch, cores: int = 3) -> list[tuple[int, int]]:
    """Every step split among `cores` threads, even this small net's; the parts made, recorded."""
    assert backend.blas_limitable(), "threadpoolctl (a dependency) finds no BLAS to limit"
    monkeypatch.setattr(ensemble_model, "SPLIT_WORK", 1)
    monkeypatch.setattr(ensemble_model, "free_cores", lambda own=1: cores)
    split: list[tuple[int, int]] = []
    original = ensemble_model.EnsembleModel.part

    def part(self, start, stop):
        split.append((start, stop))
        return original(self, start, stop)

    monkeypatch.setattr(ensemble_model.EnsembleModel, "part", part)
    return split


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_split_step_trains_each_variant_as_alone(monkeypatch, dtype):
    split = _split_always(monkeypatch)
    design = gaussian_dense_design(epochs=3)
    design.set_training(optimizer="adam", dtype=dtype)
    trainer, _ = together(design, VARIANTS)
    assert split[:3] == [(0, 1), (1, 3), (3, 4)]  # three threads, parts as even as can be
    for i, variant in enumerate(VARIANTS):
        assert_same_run(trainer.result(i), alone(design, variant)[0], dtype)


# each part's update (L1/L2, clipping, the optimizer's step) runs in that part's thread
UPDATES = [{"learning_rate": 0.01, "seed": 0},
           {"learning_rate": 0.05, "seed": 1, "l2": 1e-3},
           {"learning_rate": 0.1, "seed": 2, "l1": 1e-4},
           {"learning_rate": 0.02, "seed": 3, "l2": 1e-2, "clip_norm": 0.5}]


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"])
def test_each_parts_update_is_its_variants_single_update(monkeypatch, optimizer):
    split = _split_always(monkeypatch, cores=2)
    design = gaussian_dense_design(epochs=3)
    design.set_training(optimizer=optimizer)
    trainer, _ = together(design, UPDATES)
    assert split[:2] == [(0, 2), (2, 4)]
    for i, variant in enumerate(UPDATES):
        assert_same_run(trainer.result(i), alone(design, variant)[0], "float32")
    if optimizer in ("adam", "adamw"):  # the step count is the variants' one, not one per part
        assert trainer.groups[0].optimizer.t == trainer.result(0).step


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_a_variant_that_diverges_in_a_split_step_leaves_with_its_weights_from_before(
        monkeypatch, optimizer):
    _split_always(monkeypatch, cores=2)
    design = plane_design(epochs=4)
    design.set_training(optimizer=optimizer)
    variants = [{"learning_rate": 0.01}, {"learning_rate": 1e38, "seed": 2},
                {"learning_rate": 0.02, "seed": 5}, {"learning_rate": 1e6}]
    trainer, _ = together(design, variants)
    for i, variant in enumerate(variants):
        single, error = alone(design, variant)
        result = trainer.result(i)
        if error is None:
            assert result.state == "finished"
            assert_same_run(result, single, "float32")
        else:
            assert result.state == "diverged" and result.reason == str(error)
            assert np.array_equal(result.weights, to_numpy(single.model.flat))
    # 1e38 breaks a weight at the first step; with SGD, 1e6 makes the loss NaN a few steps in
    diverged = [1, 3] if optimizer == "sgd" else [1]
    assert [i for i in range(4) if trainer.result(i).state == "diverged"] == diverged


def test_small_steps_are_not_split(monkeypatch):
    monkeypatch.setattr(ensemble_model, "free_cores", lambda own=1: 4)
    trainer, _ = together(xor_design(epochs=1), VARIANTS)
    assert trainer.groups[0].model._split(4) == []  # the BLAS left as it is, one thread


def test_blas_takes_one_thread_inside_and_its_own_count_after():
    import threadpoolctl
    before = [lib["num_threads"] for lib in threadpoolctl.threadpool_info()
              if lib["user_api"] == "blas"]
    with backend.blas_single_thread():
        inside = [lib["num_threads"] for lib in threadpoolctl.threadpool_info()
                  if lib["user_api"] == "blas"]
    after = [lib["num_threads"] for lib in threadpoolctl.threadpool_info()
             if lib["user_api"] == "blas"]
    assert inside == [1] * len(before) and after == before


def test_free_cores_count_the_load_of_others(monkeypatch):
    monkeypatch.setattr(backend, "cpu_threads", lambda: 4)
    monkeypatch.setattr(backend.os, "getloadavg", lambda: (1.2, 1.0, 1.0))
    assert backend.free_cores() == 4  # the load is this work's own thread
    monkeypatch.setattr(backend.os, "getloadavg", lambda: (5.0, 1.0, 1.0))
    assert backend.free_cores() == 1
    assert backend.free_cores(own=2) == 1
    monkeypatch.setattr(backend.os, "getloadavg", lambda: (3.0, 1.0, 1.0))
    assert backend.free_cores(own=2) == 3


def _digits_mlp(width: int = 256):
    """The benchmark's digits MLP: 64 → Dense width ReLU → Dense width ReLU → Dense 10 softmax."""
    design = chain("digits", {}, [("dense", {"units": width, "activation": "relu"}),
                                  ("dense", {"units": width, "activation": "relu"}),
                                  ("dense", {"units": 10, "activation": "softmax"})],
                   "softmax_cross_entropy")
    design.set_training(optimizer="sgd", learning_rate=0.05, batch_size=128, test_fraction=0.0)
    return design


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc is Linux's")
def test_a_split_steps_big_arrays_are_reused_not_faulted_in_again(monkeypatch):
    """Arrays of megabytes made and freed by a step's threads stay in the heap for the next step
    (backend.keep_freed_memory): without it, glibc handed them back and the next step faulted
    them in again (1,000–1,300 page faults a step for 16 variants of this net, a fifth of its time)."""
    import resource

    from core.training.ensemble import VariantTrainer

    monkeypatch.setattr(ensemble_model, "free_cores", lambda own=1: 2)
    trainer = VariantTrainer(_digits_mlp(), [{"learning_rate": 0.05, "seed": s} for s in range(16)])
    assert backend.keep_freed_memory()  # glibc here: the settings took
    group = trainer.groups[0]
    assert len(group.model._split(128)) == 2  # two threads, as on the development machine
    group.fit_steps(5)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    group.fit_steps(10)
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 10
    assert faults < 100, f"{faults:.0f} page faults a step"  # without it: ~1,000
