"""The fixed part of an exported PyTorch script: the layer modules (each written only when the
design uses it) and the data, weights and training loop that every script carries."""

LAYERS = {
    "linear": '''
class Linear(nn.Module):
    """z = x·W + b (the activation follows in Network.forward). A layer of hand-wired neurons keeps
    a mask of its wires: W·mask keeps every absent wire at zero, while training too."""

    def __init__(self, n_in, n_out, bias=True, mask=None, learned=None):
        super().__init__()
        self.kernel = nn.Parameter(torch.zeros(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out)) if bias else None
        self.register_buffer("mask", None if mask is None else torch.tensor(mask, dtype=torch.float64),
                             persistent=False)
        for name, width in (learned or {}).items():  # PReLU slopes, one per unit
            self.register_parameter(name, nn.Parameter(torch.zeros(width)))

    def forward(self, x):
        z = x @ (self.kernel if self.mask is None else self.kernel * self.mask)
        return z if self.bias is None else z + self.bias
''',
    "conv2d": '''
class Conv2D(nn.Module):
    """The kernel (k, k, C, filters) slid over channels-last images (N, H, W, C) `stride` apart,
    after zeros around the edge: padding (top, bottom, left, right), as TensorFlow's 'same' pads
    (the odd one after). Gives the sums (N, H', W', filters); the activation follows."""

    def __init__(self, in_shape, filters, kernel_size, stride, padding, bias=True, learned=None):
        super().__init__()
        self.in_shape, self.stride, self.padding = tuple(in_shape), stride, padding
        self.kernel = nn.Parameter(torch.zeros(kernel_size, kernel_size, in_shape[2], filters))
        self.bias = nn.Parameter(torch.zeros(filters)) if bias else None
        for name, width in (learned or {}).items():  # PReLU slopes, one per filter
            self.register_parameter(name, nn.Parameter(torch.zeros(width)))

    def forward(self, x):
        x = x.reshape(x.shape[0], *self.in_shape).permute(0, 3, 1, 2)  # to torch's (N, C, H, W)
        top, bottom, left, right = self.padding
        x = F.pad(x, (left, right, top, bottom))
        z = F.conv2d(x, self.kernel.permute(3, 2, 0, 1), self.bias, stride=self.stride)
        return z.permute(0, 2, 3, 1)  # back to channels-last
''',
    "max_pool2d": '''
def max_pool2d(x, in_shape, pool, stride):
    """The largest value of each pool×pool window per channel ('valid' windows), channels-last."""
    x = x.reshape(x.shape[0], *in_shape).permute(0, 3, 1, 2)
    return F.max_pool2d(x, pool, stride).permute(0, 2, 3, 1)
''',
    "avg_pool2d": '''
def avg_pool2d(x, in_shape, pool, stride):
    """The mean of each pool×pool window per channel ('valid' windows), channels-last."""
    x = x.reshape(x.shape[0], *in_shape).permute(0, 3, 1, 2)
    return F.avg_pool2d(x, pool, stride).permute(0, 2, 3, 1)
''',
    "batchnorm": '''
class BatchNorm(nn.Module):
    """γ·(x − mean)/√(var + ε) + β per feature (the last axis: an image's channels), with the
    batch's statistics while training (they move the running ones by `momentum`, PyTorch's
    meaning), and the running ones when predicting."""

    def __init__(self, features, momentum, epsilon):
        super().__init__()
        self.momentum, self.epsilon = momentum, epsilon
        self.gamma = nn.Parameter(torch.ones(features))
        self.beta = nn.Parameter(torch.zeros(features))
        self.register_buffer("running_mean", torch.zeros(features))
        self.register_buffer("running_var", torch.ones(features))

    def forward(self, x):
        rows = x.reshape(-1, self.gamma.shape[0])
        y = F.batch_norm(rows, self.running_mean, self.running_var, self.gamma, self.beta,
                         self.training, self.momentum, self.epsilon)
        return y.reshape(x.shape)
''',
    "simple_rnn": '''
class SimpleRNN(nn.Module):
    """h = tanh(x_t·W + h·U + b) over the time steps of x (N, T, F); the first h is 0."""

    def __init__(self, features, units, return_sequences):
        super().__init__()
        self.features, self.return_sequences = features, return_sequences
        self.kernel = nn.Parameter(torch.zeros(features, units))
        self.recurrent_kernel = nn.Parameter(torch.zeros(units, units))
        self.bias = nn.Parameter(torch.zeros(units))

    def forward(self, x):
        seq = x.reshape(x.shape[0], -1, self.features)
        xz = seq @ self.kernel + self.bias
        h = seq.new_zeros(x.shape[0], self.recurrent_kernel.shape[0])
        states = []
        for t in range(seq.shape[1]):
            h = torch.tanh(h @ self.recurrent_kernel + xz[:, t])
            states.append(h)
        return torch.stack(states, dim=1) if self.return_sequences else h
''',
    "lstm": '''
class LSTM(nn.Module):
    """Long short-term memory over x (N, T, F), the cell written out. Each weight's columns hold
    the gates i, f, g, o (Keras's order, also torch.nn.LSTM's: weight_ih = kernel.T, weight_hh =
    recurrent_kernel.T, one bias); the first h and c are 0."""

    def __init__(self, features, units, return_sequences):
        super().__init__()
        self.features, self.return_sequences = features, return_sequences
        self.kernel = nn.Parameter(torch.zeros(features, 4 * units))
        self.recurrent_kernel = nn.Parameter(torch.zeros(units, 4 * units))
        self.bias = nn.Parameter(torch.zeros(4 * units))

    def forward(self, x):
        seq = x.reshape(x.shape[0], -1, self.features)
        u = self.recurrent_kernel.shape[0]
        xz = seq @ self.kernel + self.bias
        h = seq.new_zeros(x.shape[0], u)
        c = seq.new_zeros(x.shape[0], u)
        states = []
        for t in range(seq.shape[1]):
            a = h @ self.recurrent_kernel + xz[:, t]
            i, f = sigmoid(a[:, :u]), sigmoid(a[:, u:2 * u])
            g, o = torch.tanh(a[:, 2 * u:3 * u]), sigmoid(a[:, 3 * u:])
            c = f * c + i * g
            h = o * torch.tanh(c)
            states.append(h)
        return torch.stack(states, dim=1) if self.return_sequences else h
''',
    "gru": '''
class GRU(nn.Module):
    """Gated recurrent unit over x (N, T, F), the cell written out, "reset after" (Keras's
    default and torch.nn.GRU's formulation). The columns hold the gates z (update), r (reset),
    h~ (candidate), Keras's order; torch.nn.GRU's r, z, n are our columns [u:2u], [0:u], [2u:3u].
    recurrent_bias is the candidate's bias inside the reset gate (torch's b_hn)."""

    def __init__(self, features, units, return_sequences):
        super().__init__()
        self.features, self.return_sequences = features, return_sequences
        self.kernel = nn.Parameter(torch.zeros(features, 3 * units))
        self.recurrent_kernel = nn.Parameter(torch.zeros(units, 3 * units))
        self.bias = nn.Parameter(torch.zeros(3 * units))
        self.recurrent_bias = nn.Parameter(torch.zeros(units))

    def forward(self, x):
        seq = x.reshape(x.shape[0], -1, self.features)
        u = self.recurrent_kernel.shape[0]
        xz = seq @ self.kernel + self.bias
        h = seq.new_zeros(x.shape[0], u)
        states = []
        for t in range(seq.shape[1]):
            hz = h @ self.recurrent_kernel
            z = sigmoid(hz[:, :u] + xz[:, t, :u])
            r = sigmoid(hz[:, u:2 * u] + xz[:, t, u:2 * u])
            candidate = torch.tanh(xz[:, t, 2 * u:] + r * (hz[:, 2 * u:] + self.recurrent_bias))
            h = candidate + z * (h - candidate)
            states.append(h)
        return torch.stack(states, dim=1) if self.return_sequences else h
''',
}

LOOP = '''
# ------------------------------ data, weights, the training loop
def embedded():
    """The arrays stored at the end of this file, by name."""
    with np.load(io.BytesIO(base64.b64decode(_BLOB))) as npz:
        return {name: npz[name] for name in npz.files}


def trained_network(dtype=torch.float64):
    """The network with the design's weights, in `dtype`."""
    net = Network().to(dtype)  # first: loading copies the float64 values into tensors of this dtype
    arrays = embedded()
    net.load_state_dict({k.split(":", 1)[1]: torch.from_numpy(v) for k, v in arrays.items()
                         if k.startswith("weights:")})
    return net


def load_optimizer_state(optimizer, net):
    """Neural Canvas's optimizer state (moments, velocities), so that training goes on from there."""
    arrays = embedded()
    for name, p in net.named_parameters():
        state = {k.rsplit(":", 1)[1]: torch.as_tensor(v, dtype=p.dtype, device=p.device)
                 for k, v in arrays.items() if k.startswith(f"optimizer:{name}:")}
        if state and "optimizer_step" in arrays:
            state["step"] = torch.tensor(float(arrays["optimizer_step"][0]))
        if state:
            optimizer.state[p] = state


class EngineOrderSampler(DistributedSampler):
    """DistributedSampler with Neural Canvas's shuffle: epoch e visits the training rows in the
    order np.random.default_rng([SEED, e]).permutation(n), and process r of N takes the places
    r, r + N, r + 2N, … of it. So the k-th batches of the N processes (BATCH_SIZE / N rows each)
    together hold the rows of Neural Canvas's k-th batch, and DDP's averaged gradient is that
    batch's gradient."""

    def __init__(self, dataset, num_replicas, rank):
        super().__init__(dataset, num_replicas=num_replicas, rank=rank, shuffle=True, seed=SEED)
        self.skip = 0  # rows of this epoch already trained on (a design saved mid-epoch)

    def __iter__(self):
        order = np.random.default_rng([SEED, self.epoch]).permutation(len(self.dataset))[self.skip:]
        order = np.concatenate([order, order[:(-len(order)) % self.num_replicas]])  # even shares
        return iter(order[self.rank::self.num_replicas].tolist())

    def __len__(self):
        return -(-(len(self.dataset) - self.skip) // self.num_replicas)


def train_step(model, net, optimizer, X, T):
    """One optimizer step on one batch; returns the batch's loss."""
    optimizer.zero_grad()
    value, objective = batch_loss(model, X, T)
    objective.backward()  # under DDP the gradients are averaged over the processes here
    named = dict(net.named_parameters())
    for p in named.values():
        if p.grad is None:  # nothing reached it: a zero gradient, as in Neural Canvas
            p.grad = torch.zeros_like(p)
    for name in DECAY:
        p = named[name]
        if L2:
            p.grad += L2 * p.detach()
        if L1:
            p.grad += L1 * torch.sign(p.detach())
    if CLIP_NORM > 0:  # scale every gradient so that their joint norm is at most CLIP_NORM
        norm = torch.sqrt(sum((p.grad * p.grad).sum() for p in named.values()))
        scale = torch.clamp(CLIP_NORM / torch.clamp(norm, min=1e-30), max=1.0)
        for p in named.values():
            p.grad *= scale
    optimizer.step()
    return value.detach()


@torch.no_grad()
def evaluate(net, X, T, labels):
    """Loss, and accuracy (classes) or R² (values), of the rows, as Neural Canvas scores them."""
    net.eval()
    value = float(batch_loss(net, X, T)[0])
    out = net(X)
    net.train()
    if TASK == "classification":
        predicted = (out[:, 0] > THRESHOLD).long() if out.shape[1] == 1 else out.argmax(dim=1)
        return value, float((predicted.cpu().numpy() == labels).mean()), None
    total = float(((T - T.mean(dim=0)) ** 2).sum())
    return value, None, 1 - float(((out - T) ** 2).sum()) / total if total > 0 else 0.0


def end_of_epoch(net, epoch, data, rate, best):
    """Score the epoch on process 0, print it, and say why to stop (empty: go on)."""
    train_loss, train_acc, train_r2 = evaluate(net, *data["train"])
    test = evaluate(net, *data["test"]) if len(data["test"][0]) else (None, None, None)
    print(json.dumps({"event": "epoch", "epoch": epoch, "train_loss": train_loss, "test_loss": test[0],
                      "train_accuracy": train_acc, "test_accuracy": test[1], "train_r2": train_r2,
                      "test_r2": test[2], "learning_rate": rate}), flush=True)
    accuracy = test[1] if test[1] is not None else train_acc
    if TARGET_LOSS is not None and train_loss <= TARGET_LOSS:
        return f"the training loss reached the target {TARGET_LOSS}"
    if TARGET_ACCURACY is not None and accuracy is not None and accuracy >= TARGET_ACCURACY:
        return f"the accuracy reached the target {TARGET_ACCURACY}"
    if EARLY_STOPPING_PATIENCE and test[0] is not None:
        if best["loss"] is None or test[0] < best["loss"]:
            best.update(loss=test[0], state=copy.deepcopy(net.state_dict()), since=0)
        else:
            best["since"] += 1
            if best["since"] >= EARLY_STOPPING_PATIENCE:
                net.load_state_dict(best["state"])
                return (f"the test loss has not improved for {best['since']} epochs "
                        "(the best weights are kept)")
    return ""


def arguments(argv):
    p = argparse.ArgumentParser(description="Train the exported network (alone, or under torchrun).")
    p.add_argument("--steps", type=int, help="stop after this many optimizer steps")
    p.add_argument("--epochs", type=int, default=EPOCHS, help="train until this many epochs in all")
    p.add_argument("--save", metavar="PATH", help="save the trained state dict here (torch.save)")
    p.add_argument("--dtype", choices=("float32", "float64"), default=DTYPE)
    p.add_argument("--restart", action="store_true",
                   help="start at epoch 0 with a fresh optimizer (the weights as they are)")
    return p.parse_args(argv)


def main(argv=None):
    """Train; returns the losses of the steps taken (as process 0 printed them)."""
    args = arguments(argv)
    distributed = "RANK" in os.environ and "WORLD_SIZE" in os.environ  # set by torchrun
    cuda = torch.cuda.is_available()
    if distributed:
        dist.init_process_group("nccl" if cuda else "gloo")
    rank, world = (dist.get_rank(), dist.get_world_size()) if distributed else (0, 1)
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if cuda else "cpu")
    if cuda:
        torch.cuda.set_device(device)
    torch.manual_seed(SEED * 1000 + rank)
    dtype = getattr(torch, args.dtype)
    arrays = embedded()
    net = trained_network(dtype).to(device)
    model = DistributedDataParallel(net, device_ids=[device.index] if cuda else None) if distributed else net
    optimizer = make_optimizer(net)
    epoch, step, cursor = (0, 0, 0) if args.restart else (START_EPOCH, START_STEP, START_CURSOR)
    if not args.restart:
        load_optimizer_state(optimizer, net)
    X, T = (torch.as_tensor(arrays[k], dtype=dtype, device=device) for k in ("X", "T"))
    data = {part: (X[arrays[part]], T[arrays[part]], arrays["y"][arrays[part]]) for part in ("train", "test")}
    train_set = TensorDataset(*data["train"][:2])
    sampler = EngineOrderSampler(train_set, world, rank)
    if BATCH_SIZE % world and rank == 0:
        print(json.dumps({"event": "note", "text": f"{world} processes do not divide the batch of "
                          f"{BATCH_SIZE}: the batches differ from Neural Canvas's"}), flush=True)
    losses, reason, failure, best = [], "", "", {"loss": None, "state": None, "since": 0}
    while epoch < args.epochs and not reason and not failure:
        sampler.set_epoch(epoch)
        sampler.skip, cursor = cursor, 0
        rate = learning_rate(epoch, args.epochs)
        for group in optimizer.param_groups:
            group["lr"] = rate
        loader = DataLoader(train_set, batch_size=-(-BATCH_SIZE // world), sampler=sampler)
        for xb, tb in loader:
            loss = train_step(model, net, optimizer, xb, tb)
            if distributed:
                dist.all_reduce(loss)
                loss /= world
            step += 1
            losses.append(float(loss))
            if not math.isfinite(losses[-1]):  # the same in every process: the loss is all-reduced
                failure = (f"the loss became {losses[-1]} at epoch {epoch + 1}, step {step}; "
                           "try a lower learning rate")
                break
            if rank == 0:
                print(json.dumps({"event": "step", "epoch": epoch + 1, "step": step, "loss": losses[-1]}),
                      flush=True)
            if args.steps is not None and len(losses) >= args.steps:
                reason = f"ran {args.steps} steps"
                break
        else:
            epoch += 1
            reason = end_of_epoch(net, epoch, data, rate, best) if rank == 0 else ""
            if distributed:  # process 0 decides; every process stops with it
                flag = torch.tensor([1.0 if reason else 0.0], device=device)
                dist.broadcast(flag, 0)
                reason = reason or ("stopped by process 0" if flag.item() else "")
    if rank == 0 and not failure:
        if args.save:
            torch.save(net.state_dict(), args.save)
        print(json.dumps({"event": "finished", "epochs": epoch, "steps": step,
                          "reason": reason or f"reached {args.epochs} epochs", "saved": args.save}),
              flush=True)
    if rank == 0 and failure:  # said once, as a JSON line and in words
        print(json.dumps({"event": "diverged", "epochs": epoch, "steps": step, "reason": failure}),
              flush=True)
        print(failure, file=sys.stderr, flush=True)
    if distributed:
        del model  # DistributedDataParallel holds the process group: it goes before the group
        leave_process_group(device)
    if failure:
        raise SystemExit(2)  # as Neural Canvas's own `train` (torchrun reports a failed job)
    return losses


def leave_process_group(device):
    """The end of a run under torchrun, in an order gloo and nccl always take: every process waits
    until all have finished (process 0 has saved and printed), the DistributedDataParallel wrapper
    the caller dropped is collected (it holds the group through its reducer), the group is
    destroyed, and the output is flushed before the process exits."""
    if device.type == "cuda":  # nccl: the barrier on this process's GPU
        dist.barrier(device_ids=[device.index])
    else:
        dist.barrier()
    gc.collect()
    dist.destroy_process_group()
    sys.stdout.flush()
    sys.stderr.flush()
'''
