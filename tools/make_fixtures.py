#!/usr/bin/env python3
"""Makes the PyTorch reference fixtures in Tests/DNNCoreTests/Fixtures/ (needs torch; the tests do not).

Each fixture is a small dnnc spec, the initial parameters, and what PyTorch computes from them for a few
full-batch steps: the loss before each step, the gradients of the first step and the parameters after
the last. The Swift tests run the same spec from the same parameters and compare.

    python3 tools/make_fixtures.py
"""
import json
import os

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "DNNCoreTests", "Fixtures")

ACTIVATIONS = {
    "identity": lambda: torch.nn.Identity(),
    "relu": lambda: torch.nn.ReLU(),
    "tanh": lambda: torch.nn.Tanh(),
    "sigmoid": lambda: torch.nn.Sigmoid(),
    "leaky_relu": lambda: torch.nn.LeakyReLU(0.1),
}
LOSSES = {
    "mse": lambda: torch.nn.MSELoss(),
    "sse": lambda: torch.nn.MSELoss(reduction="sum"),
    "mae": lambda: torch.nn.L1Loss(),
    "huber": lambda: torch.nn.HuberLoss(delta=0.5),
}
SPEC_LOSS = {"mse": "mse", "sse": "sse", "mae": "mae", "huber": "{huber: {delta: 0.5}}"}
SPEC_ACTIVATION = {"identity": "identity", "relu": "relu", "tanh": "tanh", "sigmoid": "sigmoid",
                   "leaky_relu": "{leaky_relu: {alpha: 0.1}}", "prelu": "prelu"}


def case(name, widths, activations, loss, optimizer, spec_optimizer, steps=3, rows=5, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, widths[0])).astype(np.float32)
    y = rng.normal(size=(rows, widths[-1])).astype(np.float32)
    layers, names, modules = [], [], []
    for i, (fan_in, units, act) in enumerate(zip(widths, widths[1:], activations)):
        lin = torch.nn.Linear(fan_in, units)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(rng.normal(scale=0.7, size=(units, fan_in)), dtype=torch.float32))
            lin.bias.copy_(torch.tensor(rng.normal(scale=0.3, size=(units,)), dtype=torch.float32))
        act_module = torch.nn.PReLU(units, init=0.25) if act == "prelu" else ACTIVATIONS[act]()
        modules.append((f"fc{i + 1}", lin, act_module))
        layers.append(f"    - dense: {{units: {units}, activation: {SPEC_ACTIVATION[act]}, name: fc{i + 1}}}")
    params = {}
    for lname, lin, act_module in modules:
        params[f"{lname}.weight"] = lin.weight
        params[f"{lname}.bias"] = lin.bias
        if isinstance(act_module, torch.nn.PReLU):
            params[f"{lname}.prelu"] = act_module.weight

    def forward(inp):
        h = inp
        for _, lin, act_module in modules:
            h = act_module(lin(h))
        return h

    initial = {k: {"shape": list(v.shape), "values": v.detach().numpy().ravel().tolist()} for k, v in params.items()}
    opt = optimizer(list(params.values()))
    loss_fn = LOSSES[loss]()
    xt, yt = torch.tensor(x), torch.tensor(y)
    losses, first_grads = [], None
    for step in range(steps):
        opt.zero_grad()
        value = loss_fn(forward(xt), yt)
        value.backward()
        losses.append(float(value.detach()))
        if step == 0:
            first_grads = {k: v.grad.numpy().ravel().tolist() for k, v in params.items()}
        opt.step()
    final = {k: v.detach().numpy().ravel().tolist() for k, v in params.items()}
    matrix = lambda m: "[" + ", ".join("[" + ", ".join(repr(float(v)) for v in row) + "]" for row in m) + "]"
    spec = "\n".join([
        "dnnc: 1",
        f"name: {name}",
        "data:",
        "  train:",
        f"    inputs: {matrix(x)}",
        f"    targets: {matrix(y)}",
        "model:",
        f"  input: [{widths[0]}]",
        "  layers:",
        *layers,
        "train:",
        f"  loss: {SPEC_LOSS[loss]}",
        f"  optimizer: {spec_optimizer}",
        f"  epochs: {steps}",
        f"  batch_size: {rows}",
        "  shuffle: false",
        "",
    ])
    fixture = {"torch": torch.__version__, "spec": spec, "initial": initial, "losses": losses,
               "first_gradients": first_grads, "final": final}
    with open(os.path.join(OUT, f"{name}.json"), "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    torch.manual_seed(0)
    case("sgd-tanh-mse", [3, 4, 2], ["tanh", "identity"], "mse",
         lambda p: torch.optim.SGD(p, lr=0.1), "{sgd: {lr: 0.1}}")
    case("sgd-nesterov-prelu-huber", [3, 4, 3, 2], ["relu", "prelu", "identity"], "huber",
         lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
         "{sgd: {lr: 0.05, momentum: 0.9, nesterov: true}}", seed=1)
    case("sgd-momentum-sigmoid-sse", [2, 5, 1], ["sigmoid", "leaky_relu"], "sse",
         lambda p: torch.optim.SGD(p, lr=0.02, momentum=0.5), "{sgd: {lr: 0.02, momentum: 0.5}}", seed=2)
    case("adam-leaky-mae", [3, 4, 2], ["leaky_relu", "tanh"], "mae",
         lambda p: torch.optim.Adam(p, lr=0.01), "{adam: {lr: 0.01}}", steps=5, seed=3)
    case("adam-betas-relu-mse", [4, 6, 3], ["relu", "identity"], "mse",
         lambda p: torch.optim.Adam(p, lr=0.003, betas=(0.8, 0.99), eps=1e-6),
         "{adam: {lr: 0.003, beta1: 0.8, beta2: 0.99, eps: 0.000001}}", steps=4, seed=4)
