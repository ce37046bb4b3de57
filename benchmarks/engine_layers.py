"""The layered rows of benchmarks/engine.py (a small CNN on the digits, an LSTM on the sine wave):
their designs and the same networks in PyTorch, started from the engine's initial weights."""

from __future__ import annotations

import numpy as np

from core.design.design import Design
from core.engine import backend
from core.training.trainer import Trainer


def _chain(d: Design, nodes: list) -> None:
    for a, b in zip(nodes, nodes[1:], strict=False):
        d.add_connection(a.id, b.id)


def digits_cnn_design(batch: int = 64) -> Design:
    """8×8 digits → Conv2D 16 3×3 same ReLU → MaxPool 2 → Flatten → Dense 10 softmax, SGD."""
    d = Design()
    _chain(d, [d.add_node("data"), d.add_node("reshape", {"shape": "8,8,1"}),
               d.add_node("conv2d", {"filters": 16, "kernel_size": 3, "padding": "same",
                                     "activation": "relu"}),
               d.add_node("max_pool2d", {"pool_size": 2, "strides": 0}), d.add_node("flatten", {}),
               d.add_node("dense", {"units": 10, "activation": "softmax"})])
    d.set_dataset("digits")
    d.set_training(loss="softmax_cross_entropy", optimizer="sgd", learning_rate=0.05,
                   batch_size=batch, test_fraction=0.0, epochs=10**6)
    return d


def sine_lstm_design(window: int = 20, units: int = 32, batch: int = 32) -> Design:
    """Windows of 20 sine values → reshape (20, 1) → LSTM 32 → Dense 1 identity, MSE, SGD."""
    d = Design()
    _chain(d, [d.add_node("data"), d.add_node("reshape", {"shape": f"{window},1"}),
               d.add_node("lstm", {"units": units}),
               d.add_node("dense", {"units": 1, "activation": "identity"})])
    d.set_dataset("sine", {"n": 1000, "window": window, "noise": 0.05})
    # a test part, because a regression with none fails in losses.encode_targets (reshape of 0)
    d.set_training(loss="mse", optimizer="sgd", learning_rate=0.05, batch_size=batch,
                   test_fraction=0.25, epochs=10**6)
    return d


def initial_params(trainer: Trainer) -> list[dict[str, np.ndarray]]:
    """Every op's parameters as host copies (an empty dict for reshape, pooling, flatten)."""
    return [{k: backend.to_numpy(v).copy() for k, v in op.params.items()} for op in trainer.model.ops]


def _cnn(torch, params: list[dict]):
    """Conv2d on NCHW: our kernel (k, k, Cin, F) is torch's (F, Cin, k, k); the Dense rows, which
    our Flatten orders (h, w, c), are reordered to torch's (c, h, w)."""
    conv_p, dense_p = (p for p in params if p)
    k, _, c_in, filters = conv_p["kernel"].shape
    conv = torch.nn.Conv2d(c_in, filters, k, padding=k // 2)
    side = 4  # 8×8 pooled by 2
    w = dense_p["kernel"].reshape(side, side, filters, -1).transpose(2, 0, 1, 3).reshape(
        side * side * filters, -1)
    dense = torch.nn.Linear(w.shape[0], w.shape[1])
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(conv_p["kernel"].transpose(3, 2, 0, 1).copy()))
        conv.bias.copy_(torch.from_numpy(conv_p["bias"]))
        dense.weight.copy_(torch.from_numpy(w.T.copy()))
        dense.bias.copy_(torch.from_numpy(dense_p["bias"]))
    net = torch.nn.Sequential(conv, torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(), dense)
    return net, lambda X: X.reshape(-1, 8, 8, 1).permute(0, 3, 1, 2).contiguous()


class _LSTMNet:
    """torch.nn.LSTM (gates i, f, g, o, as ours) with our kernel as weight_ih, our recurrent kernel
    as weight_hh, our bias (forget gate at 1) as bias_ih and a zero bias_hh; then the last state's
    Dense 1."""

    def __init__(self, torch, params: list[dict], window: int):
        lstm_p, dense_p = (p for p in params if p)
        features, gates = lstm_p["kernel"].shape
        self.window, self.features = window, features
        self.lstm = torch.nn.LSTM(features, gates // 4, batch_first=True)
        self.dense = torch.nn.Linear(gates // 4, dense_p["kernel"].shape[1])
        with torch.no_grad():
            self.lstm.weight_ih_l0.copy_(torch.from_numpy(lstm_p["kernel"].T.copy()))
            self.lstm.weight_hh_l0.copy_(torch.from_numpy(lstm_p["recurrent_kernel"].T.copy()))
            self.lstm.bias_ih_l0.copy_(torch.from_numpy(lstm_p["bias"]))
            self.lstm.bias_hh_l0.zero_()
            self.dense.weight.copy_(torch.from_numpy(dense_p["kernel"].T.copy()))
            self.dense.bias.copy_(torch.from_numpy(dense_p["bias"]))

    def parameters(self):
        return [*self.lstm.parameters(), *self.dense.parameters()]

    def __call__(self, x):
        out, _ = self.lstm(x)
        return self.dense(out[:, -1])


def torch_layered_runner(trainer: Trainer, params: list[dict], kind: str):
    """PyTorch CPU, same data, same start, same SGD; kind is "cnn" or "lstm"."""
    import torch

    torch.manual_seed(0)
    X = torch.from_numpy(backend.to_numpy(trainer.X_train).astype(np.float32))
    if kind == "cnn":
        net, shape = _cnn(torch, params)
        X = shape(X)
        y = torch.from_numpy(trainer.labels_train.astype(np.int64))
        loss_fn = torch.nn.CrossEntropyLoss()
    else:
        net = _LSTMNet(torch, params, X.shape[1])
        X = X.reshape(len(X), X.shape[1], 1)
        y = torch.from_numpy(backend.to_numpy(trainer.T_train).astype(np.float32))
        loss_fn = lambda out, t: 0.5 * torch.nn.functional.mse_loss(out, t)  # noqa: E731 (ours: ½·mean)
    opt = torch.optim.SGD(net.parameters(), lr=trainer.settings.learning_rate)
    batch = trainer.settings.batch_size
    state = {"order": None, "cursor": 0}
    gen = torch.Generator().manual_seed(0)

    def run(steps: int) -> None:
        for _ in range(steps):
            if state["order"] is None or state["cursor"] >= len(X):
                perm = torch.randperm(len(X), generator=gen)
                state["order"], state["cursor"] = (X[perm], y[perm]), 0
            xs, ys = state["order"]
            c = state["cursor"]
            opt.zero_grad(set_to_none=True)
            loss_fn(net(xs[c:c + batch]), ys[c:c + batch]).backward()
            opt.step()
            state["cursor"] = c + batch

    return run, net
