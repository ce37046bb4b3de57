"""The PyTorch export: a module equal to the engine's forward, a training loop whose losses are the
engine's (alone, and under torchrun with DistributedDataParallel), and clean failures."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from core.design import registry
from core.design.design import Design
from core.design.errors import DesignError
from core.interchange.torch.export import export_torch
from core.training.trainer import Trainer
from tests.core.export_designs import (
    DESIGNS,
    cyclic_design,
    dense_design,
    engine_forward,
    example,
    image_design,
    inputless_design,
    load_module,
    neuron_design,
    sample_rows,
    trained,
)

torch = pytest.importorskip("torch", reason="PyTorch is not installed, so its export cannot be run")


def export(design, tmp_path, name: str = "net.py"):
    path = tmp_path / name
    export_torch(design, path)
    return path, load_module(path)


def steps_printed(text: str) -> list[dict]:
    return [e for e in map(json.loads, filter(None, text.splitlines())) if e["event"] == "step"]


def engine_losses(design, steps: int) -> tuple[list[float], list]:
    """The engine's next `steps` batch losses and the metrics of the epochs they end."""
    trainer = Trainer(design)
    progress = [trainer.step() for _ in range(steps)]
    return [p.loss for p in progress], [p.metrics for p in progress if p.metrics is not None]


# ---------------------------------------------------------------------- the forward pass
@pytest.mark.parametrize("name", sorted(DESIGNS))
def test_module_equals_the_engine(name, tmp_path):
    design = trained(name)
    _, module = export(design, tmp_path)
    X = sample_rows(design)
    net = module.trained_network(torch.float64).eval()
    with torch.no_grad():
        got = net(torch.from_numpy(X)).numpy()
    expected = engine_forward(design, X)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)


def test_absent_wires_stay_zero_while_training(tmp_path, capsys):
    design = trained("neurons-prelu")
    _, module = export(design, tmp_path)
    saved = tmp_path / "trained.pt"
    module.main(["--steps", "6", "--save", str(saved)])
    before, after = module.trained_network().state_dict(), torch.load(saved)
    absent = ~module.trained_network().op0.mask.bool()
    assert absent.any()
    assert (after["op0.kernel"][absent] == 0).all()  # a wire that is not there stays at zero
    assert not torch.equal(after["op0.kernel"], before["op0.kernel"].float())  # the others learned
    assert set(after) == {f"op{i}.{k}" for i, k in [(0, "kernel"), (0, "bias"), (0, "slope_g0"),
                                                     (1, "kernel"), (1, "bias"), (1, "slope_g0"),
                                                     (2, "kernel"), (2, "bias")]}  # the mask is no weight


# ---------------------------------------------------------------------- training, in process
def float64(design: Design, **changes) -> Design:
    design.training = replace(design.training, dtype="float64", **changes)
    return design


def plane_design(loss: str) -> Design:
    d = Design()
    d.set_dataset("plane", {"n": 60}, seed=0)
    d.set_training(loss=loss, optimizer="sgd", learning_rate=0.05, batch_size=8, epochs=5, seed=6)
    d.add_node("data", node_id="data")
    d.add_node("dense", {"units": 4, "activation": "tanh"}, node_id="hidden")
    d.add_node("dense", {"units": 1, "activation": "identity"}, node_id="out")
    d.add_connection("data", "hidden")
    d.add_connection("hidden", "out")
    return d


LOSS_DESIGNS = {"mse": lambda: plane_design("mse"), "mae": lambda: plane_design("mae"),
                "huber": lambda: plane_design("huber"),
                "binary_cross_entropy": lambda: dense_design("sigmoid"),
                "softmax_cross_entropy": lambda: dense_design("softmax"),
                "hinge": lambda: dense_design("tanh")}
TRAINING_CASES = {
    **{f"loss-{loss}": (lambda loss=loss: LOSS_DESIGNS[loss]()) for loss in LOSS_DESIGNS},
    "loss-from-logits": lambda: dense_design("identity"),  # binary cross-entropy on an identity output
    "perceptron-rule": lambda: dense_design("step"),
    **{f"optimizer-{o}": (lambda o=o: float64(neuron_design("prelu"), optimizer=o, l1=0.001, l2=0.01,
                                                clip_norm=0.5, schedule="step",
                                                schedule_params={"step_size": 1, "gamma": 0.5}))
       for o in registry.optimizers},
    **{f"schedule-{s}": (lambda s=s: float64(dense_design("relu"), schedule=s, epochs=4))
       for s in registry.schedules},
    "batchnorm-images": image_design,
    "lstm": lambda: example("sine_lstm"),
}


@pytest.mark.parametrize("loss", sorted(registry.losses))
def test_every_loss_has_a_training_case(loss):
    assert loss in LOSS_DESIGNS, f"no export training test for the loss {loss!r}: add one"
    assert LOSS_DESIGNS[loss]().training.loss == loss


@pytest.mark.parametrize("name", sorted(TRAINING_CASES))
def test_training_losses_are_the_engines(name, tmp_path, capsys):
    """Eleven steps (over two epoch ends, so the shuffle, the schedule and the epoch's scores show):
    every batch loss and every epoch's scores as the engine has them."""
    design = TRAINING_CASES[name]()
    float64_run = design.training.dtype == "float64"
    _, module = export(design, tmp_path)
    losses, metrics = engine_losses(TRAINING_CASES[name](), 11)
    got = module.main(["--steps", "11"])
    tolerance = 1e-9 if float64_run else 1e-5
    np.testing.assert_allclose(got, losses, rtol=tolerance, atol=tolerance)
    printed = capsys.readouterr().out
    assert [e["loss"] for e in steps_printed(printed)] == got
    epochs = [e for e in map(json.loads, printed.splitlines()) if e["event"] == "epoch"]
    assert len(epochs) == len(metrics)
    for event, expected in zip(epochs, metrics, strict=True):
        for key in ("train_loss", "test_loss", "train_accuracy", "test_accuracy", "train_r2", "test_r2",
                    "learning_rate"):
            if getattr(expected, key) is None:
                assert event[key] is None
            else:
                assert event[key] == pytest.approx(getattr(expected, key), rel=tolerance, abs=tolerance)


def test_training_goes_on_where_the_design_stopped(tmp_path, capsys):
    """Exported mid-epoch after five Adam steps: the file continues with the engine's optimizer
    state, epoch and place in the epoch."""
    design = float64(neuron_design("relu"))
    trainer = Trainer(design)
    trainer.fit_steps(5)
    trainer.write_back()
    _, module = export(design, tmp_path)
    assert (module.START_EPOCH, module.START_STEP, module.START_CURSOR) == (1, 5, 8)
    expected = [trainer.step().loss for _ in range(6)]
    got = module.main(["--steps", "6"])
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
    assert steps_printed(capsys.readouterr().out)[0]["step"] == 6
    # --restart: epoch 0 and a fresh optimizer, from the same weights
    fresh = float64(neuron_design("relu"))
    fresh.parameters, fresh.connections, fresh.nodes = design.parameters, design.connections, design.nodes
    assert module.main(["--steps", "2", "--restart"]) == pytest.approx(engine_losses(fresh, 2)[0], rel=1e-9)


def test_running_to_the_end_stops_where_the_engine_stops(tmp_path, capsys):
    """xor has a target accuracy of 100%: the file stops at the same epoch the engine does."""
    design = example("xor")
    _, module = export(design, tmp_path)
    trainer = Trainer(example("xor"))
    last = trainer.train()
    module.main([])
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert events[-1]["event"] == "finished"
    assert events[-1]["epochs"] == last.epoch
    assert events[-1]["reason"] == "the accuracy reached the target 1.0"


# ---------------------------------------------------------------------- as a program
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def program_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")}
    return {**env, "OMP_NUM_THREADS": "1"}


def test_the_file_runs_alone_and_saves_a_state_dict(tmp_path):
    path, module = export(example("digits_mlp"), tmp_path)
    expected, _ = engine_losses(example("digits_mlp"), 3)
    saved = tmp_path / "weights.pt"
    result = subprocess.run([sys.executable, str(path), "--steps", "3", "--save", str(saved)],
                            capture_output=True, text=True, env=program_env(), timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    got = [e["loss"] for e in steps_printed(result.stdout)]
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    net = module.Network()
    net.load_state_dict(torch.load(saved))
    assert not torch.equal(net.op0.kernel, module.trained_network(torch.float32).op0.kernel)


def test_ddp_with_two_processes_gives_the_engines_losses(tmp_path):
    """torchrun, two CPU processes (gloo): each takes half of every batch of the engine's shuffle,
    DDP averages the gradients, and process 0 prints the batch loss averaged over both: the five
    losses are the engine's five first ones (float32, to 1e-5), and they fall."""
    design = example("xor")
    path, _ = export(design, tmp_path)
    expected, _ = engine_losses(example("xor"), 5)
    saved = tmp_path / "ddp.pt"
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--master_addr=127.0.0.1",
               f"--master_port={free_port()}", str(path), "--steps", "5", "--save", str(saved)]
    result = subprocess.run(command, capture_output=True, text=True, env=program_env(), timeout=600,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    events = steps_printed(result.stdout)
    assert [e["step"] for e in events] == [1, 2, 3, 4, 5]  # printed once, by process 0
    got = [e["loss"] for e in events]
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    assert got[-1] < got[0]
    assert torch.load(saved)["op0.kernel"].shape == (2, 4)


class RecordedGroup:
    """torch.distributed as the exported file uses it, for one process (rank 0 of 1), writing
    down what happens to the process group and in which order."""

    def __init__(self, saved):
        self.log: list[str] = []
        self.saved = saved

    def init_process_group(self, backend):
        self.log.append("init")

    def get_rank(self):
        return 0

    def get_world_size(self):
        return 1

    def all_reduce(self, tensor):
        pass

    def broadcast(self, tensor, src):
        pass

    def barrier(self):
        self.log.append("barrier" + (" after the save" if self.saved.exists() else ""))

    def destroy_process_group(self):
        self.log.append("destroy")


def recorded_run(module, monkeypatch, saved, argv) -> tuple[list[str], BaseException | None]:
    """main(argv) as under torchrun, with the process group recorded and a DistributedDataParallel
    wrapper whose end is recorded too."""
    import weakref

    group = RecordedGroup(saved)

    class Wrapper:
        def __init__(self, net, device_ids=None):
            self.net, self.cycle = net, self  # a cycle, as DDP's hooks make: freed only by gc
            weakref.finalize(self, group.log.append, "wrapper freed")

        def __call__(self, *args, **kwargs):
            return self.net(*args, **kwargs)

    monkeypatch.setattr(module, "dist", group)
    monkeypatch.setattr(module, "DistributedDataParallel", Wrapper)
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "1")
    try:
        module.main(argv)
    except SystemExit as exc:
        return group.log, exc
    return group.log, None


def test_under_torchrun_every_process_leaves_the_group_in_order(tmp_path, monkeypatch, capsys):
    """The end of a DDP run (once a gloo abort in about 1 of 15 torchrun runs): process 0 saves
    and prints first, every process waits for the others at a barrier, the DDP wrapper is freed,
    and only then is the group destroyed."""
    _, module = export(example("xor"), tmp_path)
    saved = tmp_path / "weights.pt"
    log, failure = recorded_run(module, monkeypatch, saved, ["--steps", "3", "--save", str(saved)])
    assert failure is None
    assert log == ["init", "barrier after the save", "wrapper freed", "destroy"]
    assert '"event": "finished"' in capsys.readouterr().out


def test_a_diverging_run_leaves_the_group_before_it_stops(tmp_path, monkeypatch, capsys):
    design = example("xor")
    design.set_training(optimizer="sgd", learning_rate=1e20)
    _, module = export(design, tmp_path)
    log, failure = recorded_run(module, monkeypatch, tmp_path / "never.pt", ["--steps", "50"])
    assert failure.code == 2
    assert log == ["init", "barrier", "wrapper freed", "destroy"]
    out, err = capsys.readouterr()
    assert '"event": "finished"' not in out
    diverged = [json.loads(line) for line in out.splitlines() if '"diverged"' in line]
    assert len(diverged) == 1 and "try a lower learning rate" in diverged[0]["reason"]
    assert err.strip() == diverged[0]["reason"]


# ---------------------------------------------------------------------- failures
@pytest.mark.parametrize("broken, named", [(cyclic_design, ("h1", "h5")),
                                           (inputless_design, ("lonely",))])
def test_an_invalid_design_names_its_nodes_and_writes_nothing(broken, named, tmp_path):
    path = tmp_path / "net.py"
    path.write_text("# mine\n", encoding="utf-8")
    with pytest.raises(DesignError) as error:
        export_torch(broken(), path)
    for node_id in named:
        assert node_id in str(error.value)
    assert path.read_text(encoding="utf-8") == "# mine\n"
    assert [p.name for p in tmp_path.iterdir()] == ["net.py"]


def test_an_optimizer_without_a_translation_is_named(monkeypatch, tmp_path):
    import core.interchange.torch.export as export_module

    monkeypatch.delitem(export_module.OPTIMIZERS, "adam")
    path = tmp_path / "net.py"
    with pytest.raises(DesignError) as error:
        export_torch(example("xor"), path)
    assert error.value.problems[0].path == "training.optimizer"
    assert "'adam'" in str(error.value)
    assert not path.exists()
