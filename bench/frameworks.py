"""The benchmark workloads written by hand in PyTorch, JAX and numpy, from the same data and initial weights
as dnnc's specs in bench/specs (bench/make_data.py writes both).

    python frameworks.py FRAMEWORK WORKLOAD [--threads N]

FRAMEWORK is torch, jax or numpy; WORKLOAD is w1, w2, w4, w5 or w6 (numpy has no w4; only torch has w5 and w6). Prints one JSON line:
the training loop's seconds (JAX: with and without its compile) and the epoch costs at the epochs dnnc
logs, each the sum of the batch losses, so that bench/run.py can check every framework computed the
same thing before it compares times.
"""
import argparse
import json
import os
import sys
import time

# OpenBLAS (numpy's, and the one inside PyTorch's wheels) reads its thread count when it loads.
if "--threads" in sys.argv:
    os.environ["OPENBLAS_NUM_THREADS"] = sys.argv[sys.argv.index("--threads") + 1]

import numpy as np  # noqa: E402
from safetensors.numpy import load_file  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")

# W1: the study, as bench/specs/w1.yaml.
W1_X = np.array([[0, 1], [2, 3], [4, 5], [6, 7]], dtype=np.float32)
W1_Y = np.array([[1.6666667], [3.6666667], [1.0], [1.6666667]], dtype=np.float32)
W1_EPOCHS, W1_LR, W1_LOGGED = 5000, 0.01, [0, 1000, 2000, 3000, 4000, 4999]
W2_EPOCHS, W2_BATCH, W2_LR, W2_MOMENTUM = 3, 128, 0.01, 0.9
W4_EPOCHS, W4_BATCH, W4_LR, W4_MOMENTUM = 1, 64, 0.01, 0.9
W5_EPOCHS, W5_BATCH, W5_LR, W5_LENGTH, W5_FEATURES, W5_UNITS = 1, 32, 0.01, 50, 32, 128
W6_BATCH, W6_LR = 32, 0.01


def weights(workload):
    return load_file(os.path.join(DATA, f"{workload}_init.safetensors"))


def data(workload):
    x = np.load(os.path.join(DATA, f"{workload}_x.npy"))
    y = np.load(os.path.join(DATA, f"{workload}_y.npy")).astype(np.int64).reshape(-1)
    return x, y


# ---------------------------------------------------------------------------------------------- torch

def run_torch(workload, threads):
    import torch
    from torch import nn

    torch.set_num_threads(threads)
    w = {k: torch.from_numpy(v.copy()) for k, v in weights(workload).items()}
    if workload == "w5":
        return run_torch_w5(w)
    if workload == "w6":
        return run_torch_w6(w)
    if workload == "w1":
        model = nn.Sequential(nn.Linear(2, 10), nn.ReLU(), nn.Linear(10, 10), nn.ReLU(), nn.Linear(10, 1), nn.ReLU())
        names = ["fc1", "fc2", "fc3"]
        linears = [m for m in model if isinstance(m, nn.Linear)]
        epochs, batch, lr, momentum, logged = W1_EPOCHS, 1, W1_LR, 0.0, W1_LOGGED
        x, y = torch.from_numpy(W1_X), torch.from_numpy(W1_Y)
        loss_fn = nn.MSELoss()
    elif workload == "w2":
        model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
        names = ["fc1", "fc2", "fc3"]
        linears = [m for m in model if isinstance(m, nn.Linear)]
        epochs, batch, lr, momentum, logged = W2_EPOCHS, W2_BATCH, W2_LR, W2_MOMENTUM, list(range(W2_EPOCHS))
        xs, ys = data("w2")
        x, y = torch.from_numpy(xs), torch.from_numpy(ys)
        loss_fn = nn.CrossEntropyLoss()
    else:
        model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(32 * 7 * 7, 10))
        names = ["conv1", "conv2", "fc"]
        linears = [m for m in model if isinstance(m, (nn.Linear, nn.Conv2d))]
        epochs, batch, lr, momentum, logged = W4_EPOCHS, W4_BATCH, W4_LR, W4_MOMENTUM, list(range(W4_EPOCHS))
        xs, ys = data("w4")
        x, y = torch.from_numpy(xs), torch.from_numpy(ys)
        loss_fn = nn.CrossEntropyLoss()
    with torch.no_grad():
        for name, layer in zip(names, linears):
            layer.weight.copy_(w[f"{name}.weight"])
            layer.bias.copy_(w[f"{name}.bias"])
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    rows = x.shape[0]
    costs = {}
    start = time.perf_counter()
    for epoch in range(epochs):
        cost = 0.0
        for first in range(0, rows, batch):
            xb, yb = x[first:first + batch], y[first:first + batch]
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            cost += loss.item()
        if epoch in logged:
            costs[epoch] = cost
    return {"loop_seconds": time.perf_counter() - start, "costs": costs}


def run_torch_w5(w):
    """W5: nn.LSTM with two layers, dnnc's `lstm1.weight_ih` as its `weight_ih_l0`, and so on."""
    import torch
    from torch import nn

    lstm = nn.LSTM(W5_FEATURES, W5_UNITS, num_layers=2, batch_first=True)
    fc = nn.Linear(W5_UNITS, 1)
    with torch.no_grad():
        for layer, name in [(0, "lstm1"), (1, "lstm2")]:
            for tensor in ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]:
                getattr(lstm, f"{tensor}_l{layer}").copy_(w[f"{name}.{tensor}"])
        fc.weight.copy_(w["fc.weight"])
        fc.bias.copy_(w["fc.bias"])
    xs = np.load(os.path.join(DATA, "w5_x.npy"))
    ys = np.load(os.path.join(DATA, "w5_y.npy"))
    x = torch.from_numpy(xs).reshape(-1, W5_LENGTH, W5_FEATURES)
    y = torch.from_numpy(ys)
    parameters = list(lstm.parameters()) + list(fc.parameters())
    optimizer = torch.optim.SGD(parameters, lr=W5_LR)
    loss_fn = nn.MSELoss()
    costs = {}
    start = time.perf_counter()
    for epoch in range(W5_EPOCHS):
        cost = 0.0
        for first in range(0, x.shape[0], W5_BATCH):
            xb, yb = x[first:first + W5_BATCH], y[first:first + W5_BATCH]
            optimizer.zero_grad()
            loss = loss_fn(fc(lstm(xb)[1][0][-1]), yb)
            loss.backward()
            optimizer.step()
            cost += loss.item()
        costs[epoch] = cost
    return {"loop_seconds": time.perf_counter() - start, "costs": costs}


def run_torch_w6(w):
    """W6: two post-norm transformer blocks (nn.MultiheadAttention with a causal mask, nn.LayerNorm,
    nn.Linear and exact GELU), dnnc's tensors under their names; cross-entropy over every position."""
    import torch
    from torch import nn
    import torch.nn.functional as F

    E, H, L, V = 128, 4, 64, 64

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.att = nn.MultiheadAttention(E, H, batch_first=True)
            self.n1, self.n2 = nn.LayerNorm(E), nn.LayerNorm(E)
            self.ff, self.out = nn.Linear(E, 4 * E), nn.Linear(4 * E, E)

        def forward(self, x, mask):
            h = self.n1(self.att(x, x, x, attn_mask=mask, need_weights=False)[0] + x)
            return self.n2(self.out(F.gelu(self.ff(h))) + h)

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(V, E)
            self.pos = nn.Parameter(torch.zeros(L, E))
            self.b1, self.b2 = Block(), Block()
            self.head = nn.Linear(E, V)

        def forward(self, tokens, mask):
            h = self.emb(tokens) + self.pos
            return self.head(self.b2(self.b1(h, mask), mask))

    model = Model()
    state = {("pos" if k == "pos.weight" else k): v for k, v in w.items()}
    model.load_state_dict(state)
    x = torch.from_numpy(np.load(os.path.join(DATA, "w6_x.npy"))).long()
    y = torch.from_numpy(np.load(os.path.join(DATA, "w6_y.npy"))).long()
    mask = torch.triu(torch.full((L, L), float("-inf")), 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=W6_LR)
    costs = {}
    start = time.perf_counter()
    cost = 0.0
    for first in range(0, x.shape[0], W6_BATCH):
        xb, yb = x[first:first + W6_BATCH], y[first:first + W6_BATCH]
        optimizer.zero_grad()
        loss = F.cross_entropy(model(xb, mask).reshape(-1, V), yb.reshape(-1))
        loss.backward()
        optimizer.step()
        cost += loss.item()
    costs[0] = cost
    return {"loop_seconds": time.perf_counter() - start, "costs": costs}


# ------------------------------------------------------------------------------------------------ jax

def run_jax(workload, threads):
    os.environ.setdefault("XLA_FLAGS", f"--xla_cpu_multi_thread_eigen={'true' if threads > 1 else 'false'} "
                                       f"intra_op_parallelism_threads={threads}")
    import jax
    import jax.numpy as jnp
    from jax import lax

    w = {k: jnp.asarray(v) for k, v in weights(workload).items()}

    def dense(p, name, h):
        return h @ p[f"{name}.weight"].T + p[f"{name}.bias"]

    def cross_entropy(logits, labels):
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), labels[:, None], axis=1))

    if workload == "w1":
        def loss_fn(p, xb, yb):
            h = jax.nn.relu(dense(p, "fc1", xb))
            h = jax.nn.relu(dense(p, "fc2", h))
            out = jax.nn.relu(dense(p, "fc3", h))
            return jnp.mean((out - yb) ** 2)
        epochs, lr, momentum, logged = W1_EPOCHS, W1_LR, 0.0, W1_LOGGED
        xs = jnp.asarray(np.tile(W1_X, (W1_EPOCHS, 1)).reshape(-1, 1, 2))
        ys = jnp.asarray(np.tile(W1_Y, (W1_EPOCHS, 1)).reshape(-1, 1, 1))
        steps_per_epoch = 4
    elif workload == "w2":
        def loss_fn(p, xb, yb):
            h = jax.nn.relu(dense(p, "fc1", xb))
            h = jax.nn.relu(dense(p, "fc2", h))
            return cross_entropy(dense(p, "fc3", h), yb)
        x, y = data("w2")
        epochs, lr, momentum, logged = W2_EPOCHS, W2_LR, W2_MOMENTUM, list(range(W2_EPOCHS))
        steps_per_epoch = x.shape[0] // W2_BATCH
        xs = jnp.asarray(np.tile(x.reshape(steps_per_epoch, W2_BATCH, 784), (epochs, 1, 1)))
        ys = jnp.asarray(np.tile(y.reshape(steps_per_epoch, W2_BATCH), (epochs, 1)))
    else:
        def conv(p, name, h):
            out = lax.conv_general_dilated(h, p[f"{name}.weight"], (1, 1), "SAME",
                                           dimension_numbers=("NCHW", "OIHW", "NCHW"))
            return out + p[f"{name}.bias"][None, :, None, None]

        def pool(h):
            return lax.reduce_window(h, -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")

        def loss_fn(p, xb, yb):
            h = pool(jax.nn.relu(conv(p, "conv1", xb)))
            h = pool(jax.nn.relu(conv(p, "conv2", h)))
            return cross_entropy(dense(p, "fc", h.reshape(h.shape[0], -1)), yb)
        x, y = data("w4")
        epochs, lr, momentum, logged = W4_EPOCHS, W4_LR, W4_MOMENTUM, list(range(W4_EPOCHS))
        steps_per_epoch = x.shape[0] // W4_BATCH
        xs = jnp.asarray(x.reshape(steps_per_epoch, W4_BATCH, 1, 28, 28))
        ys = jnp.asarray(y.reshape(steps_per_epoch, W4_BATCH))

    grad = jax.value_and_grad(loss_fn)

    # torch.optim.SGD: v = μ·v + g; p = p − lr·v (v = g on the first step, as v starts at 0).
    def step(carry, batch):
        p, v = carry
        loss, g = grad(p, *batch)
        v = jax.tree_util.tree_map(lambda a, b: momentum * a + b, v, g)
        p = jax.tree_util.tree_map(lambda a, b: a - lr * b, p, v)
        return (p, v), loss

    @jax.jit
    def train(p, xs, ys):
        v = jax.tree_util.tree_map(jnp.zeros_like, p)
        _, losses = lax.scan(step, (p, v), (xs, ys))
        return losses

    start = time.perf_counter()
    compiled = train.lower(w, xs, ys).compile()
    compiled_at = time.perf_counter()
    losses = np.asarray(compiled(w, xs, ys))
    end = time.perf_counter()
    per_epoch = losses.astype(np.float64).reshape(epochs, steps_per_epoch).sum(axis=1)
    return {"loop_seconds": end - compiled_at, "compile_seconds": compiled_at - start,
            "costs": {e: float(per_epoch[e]) for e in logged}}


# ---------------------------------------------------------------------------------------------- numpy

def run_numpy(workload, threads):
    w = {k: v.astype(np.float32).copy() for k, v in weights(workload).items()}
    names = ["fc1", "fc2", "fc3"]
    if workload == "w1":
        x, y, epochs, batch, lr, momentum, logged = W1_X, W1_Y, W1_EPOCHS, 1, W1_LR, 0.0, W1_LOGGED
    elif workload == "w2":
        (x, y), epochs, batch, lr, momentum, logged = data("w2"), W2_EPOCHS, W2_BATCH, W2_LR, W2_MOMENTUM, list(range(W2_EPOCHS))
    else:
        raise SystemExit("numpy: no w4")
    velocity = {k: np.zeros_like(v) for k, v in w.items()}
    costs = {}
    start = time.perf_counter()
    for epoch in range(epochs):
        cost = 0.0
        for first in range(0, x.shape[0], batch):
            xb, yb = x[first:first + batch], y[first:first + batch]
            n = xb.shape[0]
            inputs, pre = [xb], []
            h = xb
            for i, name in enumerate(names):
                z = h @ w[f"{name}.weight"].T + w[f"{name}.bias"]
                pre.append(z)
                h = np.maximum(z, 0) if (i < 2 or workload == "w1") else z
                inputs.append(h)
            if workload == "w1":
                diff = h - yb
                cost += float(np.mean(diff * diff))
                dz = 2 * diff / diff.size * (pre[-1] > 0)
            else:
                shifted = h - h.max(axis=1, keepdims=True)
                logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
                cost += float(-logp[np.arange(n), yb].mean())
                dz = np.exp(logp)
                dz[np.arange(n), yb] -= 1
                dz /= n
            grads = {}
            for i in reversed(range(3)):
                name = names[i]
                grads[f"{name}.weight"] = dz.T @ inputs[i]
                grads[f"{name}.bias"] = dz.sum(axis=0)
                if i > 0:
                    dz = (dz @ w[f"{name}.weight"]) * (pre[i - 1] > 0)
            for k in w:
                velocity[k] = momentum * velocity[k] + grads[k]
                w[k] -= lr * velocity[k]
        if epoch in logged:
            costs[epoch] = cost
    return {"loop_seconds": time.perf_counter() - start, "costs": costs}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("framework", choices=["torch", "jax", "numpy"])
    parser.add_argument("workload", choices=["w1", "w2", "w4", "w5", "w6"])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    result = {"torch": run_torch, "jax": run_jax, "numpy": run_numpy}[args.framework](args.workload, args.threads)
    result.update(framework=args.framework, workload=args.workload, threads=args.threads)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
