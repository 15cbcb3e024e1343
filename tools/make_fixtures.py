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


def train_steps(params, forward, loss_fn, opt, x, y, steps, after_step=None):
    """`steps` full-batch steps of `opt` on loss_fn(forward(x), y): the loss before each step, the first
    step's gradients and the parameters after the last (all as lists, by parameter name)."""
    losses, first_grads = [], None
    for step in range(steps):
        opt.zero_grad()
        value = loss_fn(forward(x), y)
        value.backward()
        losses.append(float(value.detach()))
        if step == 0:
            first_grads = {k: v.grad.numpy().ravel().tolist() for k, v in params.items()}
        opt.step()
        if after_step:
            after_step(losses[-1])
    final = {k: v.detach().numpy().ravel().tolist() for k, v in params.items()}
    return losses, first_grads, final


def case(name, widths, activations, loss, optimizer, spec_optimizer, steps=3, rows=5, seed=0,
         scheduler=None, spec_train=()):
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
    sched = scheduler(opt) if scheduler else None
    loss_fn = LOSSES[loss]()
    def after_step(loss):
        if isinstance(sched, torch.optim.lr_scheduler.ReduceLROnPlateau):
            sched.step(loss)
        elif sched:
            sched.step()

    losses, first_grads, final = train_steps(params, forward, loss_fn, opt, torch.tensor(x), torch.tensor(y), steps, after_step)
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
        *spec_train,
        "",
    ])
    fixture = {"torch": torch.__version__, "spec": spec, "initial": initial, "losses": losses,
               "first_gradients": first_grads, "final": final}
    with open(os.path.join(OUT, f"{name}.json"), "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")


def tensor(t):
    return {"shape": list(t.shape), "values": t.detach().numpy().ravel().astype(float).tolist()}


def op_cases():
    """Forward values of every layer kind and activation on fixed inputs and parameters."""
    rng = np.random.default_rng(42)
    cases = []

    def add(name, input_shape, layers, module, params, rows=3, training=False, integer_inputs=None):
        if integer_inputs is not None:
            x = torch.tensor(integer_inputs, dtype=torch.int64)
            xin = x
        else:
            x = torch.tensor(rng.normal(size=(rows, *input_shape)).astype(np.float32))
            xin = x
        with torch.no_grad():
            for key, value in params.items():
                if "running" in key:  # statistics keep the values set above
                    continue
                value.copy_(torch.tensor(rng.normal(scale=0.5, size=tuple(value.shape)).astype(np.float32)))
            if isinstance(module, torch.nn.Module):
                module.train(training)
            y = module(xin)
        cases.append({"name": name, "input_shape": list(input_shape), "layers": layers, "training": training,
                      "tensors": {k: tensor(v) for k, v in params.items()},
                      "inputs": x.reshape(x.shape[0], -1).float().numpy().astype(float).tolist(),
                      "outputs": y.reshape(y.shape[0], -1).detach().numpy().astype(float).tolist()})

    for name, spec, module in [
        ("relu", "relu", torch.nn.ReLU()), ("relu6", "relu6", torch.nn.ReLU6()),
        ("leaky_relu", "{leaky_relu: {alpha: 0.2}}", torch.nn.LeakyReLU(0.2)),
        ("elu", "{elu: {alpha: 0.7}}", torch.nn.ELU(0.7)), ("selu", "selu", torch.nn.SELU()),
        ("gelu", "gelu", torch.nn.GELU()), ("gelu_tanh", "{gelu: {approximate: tanh}}", torch.nn.GELU(approximate="tanh")),
        ("sigmoid", "sigmoid", torch.nn.Sigmoid()), ("hard_sigmoid", "hard_sigmoid", torch.nn.Hardsigmoid()),
        ("tanh", "tanh", torch.nn.Tanh()), ("softplus", "softplus", torch.nn.Softplus()),
        ("softsign", "softsign", torch.nn.Softsign()), ("silu", "silu", torch.nn.SiLU()), ("mish", "mish", torch.nn.Mish()),
        ("softmax", "softmax", torch.nn.Softmax(dim=-1)), ("softmax_axis0", "{softmax: {axis: 0}}", torch.nn.Softmax(dim=1)),
        ("log_softmax", "log_softmax", torch.nn.LogSoftmax(dim=-1)),
    ]:
        x = rng.normal(scale=2.0, size=(3, 2, 4)).astype(np.float32)
        with torch.no_grad():
            y = module(torch.tensor(x))
        cases.append({"name": name, "input_shape": [2, 4], "layers": [f"- activation: {{fn: {spec}}}"], "training": False,
                      "tensors": {}, "inputs": x.reshape(3, -1).astype(float).tolist(),
                      "outputs": y.reshape(3, -1).numpy().astype(float).tolist()})
    prelu = torch.nn.PReLU(2)
    add("prelu_per_channel", (2, 4), ["- activation: {fn: prelu, name: act}"],
        lambda x: prelu(x), {"act.prelu": prelu.weight})

    conv = torch.nn.Conv2d(4, 6, kernel_size=(2, 3), stride=(2, 1), padding=1, dilation=(1, 2), groups=2)
    add("conv2d", (4, 6, 7), ["- conv2d: {filters: 6, kernel: [2, 3], stride: [2, 1], padding: 1, dilation: [1, 2], groups: 2, name: c}"],
        conv, {"c.weight": conv.weight, "c.bias": conv.bias})
    same = torch.nn.Conv2d(2, 3, kernel_size=4, padding="same", bias=False)
    add("conv2d_same_even_kernel", (2, 5, 5), ["- conv2d: {filters: 3, kernel: 4, padding: same, bias: false, name: c}"],
        same, {"c.weight": same.weight})
    conv1 = torch.nn.Conv1d(3, 4, kernel_size=3, stride=2, padding=1)
    add("conv1d", (3, 9), ["- conv1d: {filters: 4, kernel: 3, stride: 2, padding: 1, name: c}"],
        conv1, {"c.weight": conv1.weight, "c.bias": conv1.bias})
    add("maxpool2d", (2, 5, 5), ["- maxpool2d: {size: 3, stride: 2, padding: 1}"], torch.nn.MaxPool2d(3, 2, 1), {})
    add("avgpool2d", (2, 5, 5), ["- avgpool2d: {size: 2, stride: 1, padding: 1}"], torch.nn.AvgPool2d(2, 1, 1), {})
    add("global_avgpool", (3, 4, 4), ["- global_avgpool"], lambda x: x.mean(dim=(2, 3)), {})
    bn = torch.nn.BatchNorm2d(3, momentum=0.2, eps=1e-3)
    add("batchnorm_training", (3, 2, 2), ["- batchnorm: {momentum: 0.2, eps: 0.001, name: bn}"], bn,
        {"bn.weight": bn.weight, "bn.bias": bn.bias}, rows=4, training=True)
    bn1 = torch.nn.BatchNorm1d(4)
    with torch.no_grad():
        bn1.running_mean.copy_(torch.tensor([0.5, -0.2, 0.1, 0.3]))
        bn1.running_var.copy_(torch.tensor([1.5, 0.7, 2.0, 0.9]))
    add("batchnorm_evaluation", (4,), ["- batchnorm: {name: bn}"], bn1,
        {"bn.weight": bn1.weight, "bn.bias": bn1.bias, "bn.running_mean": bn1.running_mean, "bn.running_var": bn1.running_var})
    ln = torch.nn.LayerNorm(5)
    add("layernorm", (2, 5), ["- layernorm: {name: ln}"], ln, {"ln.weight": ln.weight, "ln.bias": ln.bias})
    emb = torch.nn.Embedding(6, 3)
    add("embedding", (4,), ["- embedding: {vocab: 6, dim: 3, name: e}"], emb, {"e.weight": emb.weight},
        integer_inputs=[[0, 5, 2, 2], [1, 3, 4, 0], [5, 5, 1, 2]])
    add("flatten", (2, 3, 2), ["- flatten"], torch.nn.Flatten(), {})
    add("reshape", (6,), ["- reshape: {shape: [3, 2]}"], lambda x: x.reshape(x.shape[0], 3, 2), {})
    add("dropout_evaluation", (5,), ["- dropout: {rate: 0.4}"], torch.nn.Dropout(0.4), {})
    lin = torch.nn.Linear(3, 4, bias=False)
    add("dense_without_bias", (3,), ["- dense: {units: 4, bias: false, name: d}"], lin, {"d.weight": lin.weight})
    a, b = torch.nn.Linear(3, 2), torch.nn.Linear(3, 2)

    def joined(x):
        ya, yb = a(x), b(x)
        return torch.cat([ya + yb, ya * yb, x], dim=1)
    add("add_multiply_concat", (3,), ["- dense: {units: 2, name: a}", "- dense: {units: 2, name: b, inputs: [input]}",
                                      "- add: {inputs: [a, b], name: s}", "- multiply: {inputs: [a, b], name: m}",
                                      "- concat: {inputs: [s, m, input]}"],
        joined, {"a.weight": a.weight, "a.bias": a.bias, "b.weight": b.weight, "b.bias": b.bias})
    # Issue 14's ops, appended so that the cases above keep their random draws.
    add("permute", (2, 3, 4), ["- permute: {dims: [2, 0, 1]}"], lambda x: x.permute(0, 3, 1, 2), {})
    add("maxpool1d", (2, 7), ["- maxpool1d: {size: 3, stride: 2, padding: 1}"], torch.nn.MaxPool1d(3, 2, 1), {})
    add("avgpool1d", (2, 7), ["- avgpool1d: {size: 2, padding: 1}"], torch.nn.AvgPool1d(2, padding=1), {})
    add("global_maxpool", (3, 4, 4), ["- global_maxpool"], lambda x: x.amax(dim=(2, 3)), {})
    add("upsample_nearest", (2, 3, 2), ["- upsample: {scale: [2, 3]}"], torch.nn.Upsample(scale_factor=(2, 3)), {})
    add("upsample_bilinear", (2, 3, 4), ["- upsample: {scale: 2, mode: bilinear}"],
        torch.nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False), {})
    tconv = torch.nn.ConvTranspose2d(4, 6, kernel_size=(3, 2), stride=(2, 3), padding=(1, 0), output_padding=(1, 2), groups=2)
    add("conv_transpose2d", (4, 3, 4),
        ["- conv_transpose2d: {filters: 6, kernel: [3, 2], stride: [2, 3], padding: [1, 0], output_padding: [1, 2], groups: 2, name: t}"],
        tconv, {"t.weight": tconv.weight, "t.bias": tconv.bias})
    gn = torch.nn.GroupNorm(2, 4, eps=1e-3)
    add("groupnorm", (4, 3, 2), ["- groupnorm: {groups: 2, eps: 0.001, name: g}"], gn, {"g.weight": gn.weight, "g.bias": gn.bias})
    rms = torch.nn.RMSNorm(5)
    add("rmsnorm", (2, 5), ["- rmsnorm: {name: r}"], rms, {"r.weight": rms.weight})
    # Issue 15's layers.
    for name, layer, bidirectional, sequences in [
        ("lstm_last", "- lstm: {units: 4, name: l}", False, False),
        ("lstm_sequences", "- lstm: {units: 3, return_sequences: true, name: l}", False, True),
        ("lstm_bidirectional_last", "- lstm: {units: 3, bidirectional: true, name: l}", True, False),
        ("lstm_bidirectional_sequences", "- lstm: {units: 2, bidirectional: true, return_sequences: true, name: l}", True, True),
    ]:
        units = int(layer.split("units: ")[1].split(",")[0])
        lstm = torch.nn.LSTM(3, units, batch_first=True, bidirectional=bidirectional)
        add(name, (5, 3), [layer], lambda x, m=lstm, s=sequences: recurrent_output(m, x, s), recurrent_parameters("l", lstm))
    for name, layer, module, sequences in [
        ("gru_last", "- gru: {units: 4, name: l}", torch.nn.GRU(3, 4, batch_first=True), False),
        ("gru_bidirectional_sequences", "- gru: {units: 2, bidirectional: true, return_sequences: true, name: l}",
         torch.nn.GRU(3, 2, batch_first=True, bidirectional=True), True),
        ("rnn_tanh_sequences", "- rnn: {units: 3, return_sequences: true, name: l}", torch.nn.RNN(3, 3, batch_first=True), True),
        ("rnn_relu_bidirectional_last", "- rnn: {units: 3, activation: relu, bidirectional: true, name: l}",
         torch.nn.RNN(3, 3, batch_first=True, nonlinearity="relu", bidirectional=True), False),
    ]:
        add(name, (5, 3), [layer], lambda x, m=module, s=sequences: recurrent_output(m, x, s), recurrent_parameters("l", module))
    for name, layer, heads, causal in [
        ("attention_one_head", "- attention: {heads: 1, name: a}", 1, False),
        ("attention_causal_two_heads", "- attention: {heads: 2, causal: true, name: a}", 2, True),
    ]:
        mha = torch.nn.MultiheadAttention(4, heads, batch_first=True)
        add(name, (5, 4), [layer], lambda x, m=mha, c=causal: attend(m, x, x, c), prefixed("a", mha))
    cross = torch.nn.MultiheadAttention(4, 2, batch_first=True)
    norm = torch.nn.LayerNorm(4)
    add("attention_cross", (5, 4), ["- layernorm: {name: n}", "- attention: {heads: 2, inputs: [input, n], name: a}"],
        lambda x: attend(cross, x, norm(x), False), {**prefixed("n", norm), **prefixed("a", cross)})
    table = torch.nn.Embedding(7, 4)
    add("position_embedding", (5, 4), ["- position_embedding: {max_length: 7, name: p}"], lambda x: x + table.weight[:5],
        {"p.weight": table.weight})
    p, k = np.arange(6, dtype=np.float64)[:, None], np.arange(4)
    angle = p / np.power(10000.0, (k - k % 2) / 4)
    sinusoid = torch.tensor(np.where(k % 2 == 0, np.sin(angle), np.cos(angle)).astype(np.float32))
    add("sinusoidal_position", (6, 4), ["- sinusoidal_position"], lambda x: x + sinusoid, {})
    return cases


def prefixed(name, module):
    """A module's parameters under dnnc's names: `<name>.<PyTorch's name>`."""
    return {f"{name}.{key}": value for key, value in module.named_parameters()}


def attend(mha, queries, values, causal):
    mask = torch.triu(torch.full((queries.shape[1], values.shape[1]), float("-inf")), 1) if causal else None
    return mha(queries, values, values, attn_mask=mask, need_weights=False)[0]


def attention_case(name, length, width, heads, causal, optimizer, spec_optimizer, steps=4, rows=3, seed=0):
    """A training fixture like `case`, for self-attention followed by a dense layer."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, length * width)).astype(np.float32)
    y = rng.normal(size=(rows, 2)).astype(np.float32)
    mha = torch.nn.MultiheadAttention(width, heads, batch_first=True)
    lin = torch.nn.Linear(length * width, 2)
    params = {**prefixed("att", mha), "out.weight": lin.weight, "out.bias": lin.bias}
    with torch.no_grad():
        for value in params.values():
            # Smaller than the others' 0.5: at 0.5 the causal case's rounding noise reached 1e-6, the tests' atol
            # (a key bias's gradient, exactly 0, came out 9e-7 in PyTorch and -5e-7 in dnnc).
            value.copy_(torch.tensor(rng.normal(scale=0.3, size=tuple(value.shape)), dtype=torch.float32))

    def forward(inp):
        seq = inp.reshape(rows, length, width)
        return lin(attend(mha, seq, seq, causal).reshape(rows, -1))

    layer = f"attention: {{heads: {heads}, causal: {str(causal).lower()}, name: att}}"
    sequence_fixture(name, x, y, length, width, layer, params, forward, optimizer, spec_optimizer, steps)


def sequence_fixture(name, x, y, length, features, layer, params, forward, optimizer, spec_optimizer, steps):
    """Trains `forward` (a reshape to [length, features], `layer`, a flatten and a dense layer `out` of two
    units) for `steps` full-batch steps of MSE and writes the fixture: spec, initial parameters, losses,
    the first step's gradients and the final parameters."""
    initial = {k: {"shape": list(v.shape), "values": v.detach().numpy().ravel().tolist()} for k, v in params.items()}
    opt = optimizer(list(params.values()))
    losses, first_grads, final = train_steps(params, forward, torch.nn.MSELoss(), opt, torch.tensor(x), torch.tensor(y), steps)
    matrix = lambda m: "[" + ", ".join("[" + ", ".join(repr(float(v)) for v in row) + "]" for row in m) + "]"
    spec = "\n".join([
        "dnnc: 1", f"name: {name}", "data:", "  train:", f"    inputs: {matrix(x)}", f"    targets: {matrix(y)}",
        "model:", f"  input: [{length * features}]", "  layers:",
        f"    - reshape: {{shape: [{length}, {features}]}}",
        f"    - {layer}",
        "    - flatten",
        "    - dense: {units: 2, name: out}",
        "train:", "  loss: mse", f"  optimizer: {spec_optimizer}", f"  epochs: {steps}", f"  batch_size: {len(x)}", "  shuffle: false", "",
    ])
    fixture = {"torch": torch.__version__, "spec": spec, "initial": initial, "losses": losses,
               "first_gradients": first_grads, "final": final}
    with open(os.path.join(OUT, f"{name}.json"), "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")


def recurrent_parameters(name, module):
    """dnnc's names for a torch.nn.LSTM's, GRU's or RNN's tensors: `<name>.weight_ih`, ..., `<name>.weight_ih_reverse`."""
    return {f"{name}.{key.replace('_l0', '')}": value for key, value in module.named_parameters()}


def recurrent_output(module, x, sequences):
    """Every step's output, or the last step's per direction (h_n: the reverse direction's at position 0)."""
    y, h = module(x)
    h = h[0] if isinstance(h, tuple) else h
    return y if sequences else torch.cat(list(h), dim=1)


def sequence_case(name, length, features, units, bidirectional, sequences, optimizer, spec_optimizer, steps=4, rows=4, seed=0,
                  kind="lstm", spec_options=""):
    """A training fixture like `case`, for a recurrent layer followed by a dense layer: loss, gradients, parameters."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, length * features)).astype(np.float32)
    y = rng.normal(size=(rows, 2)).astype(np.float32)
    make = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[kind]
    extra = {"nonlinearity": "relu"} if "relu" in spec_options else {}
    lstm = make(features, units, batch_first=True, bidirectional=bidirectional, **extra)
    width = (2 if bidirectional else 1) * units * (length if sequences else 1)
    lin = torch.nn.Linear(width, 2)
    params = {**recurrent_parameters("rnn", lstm), "out.weight": lin.weight, "out.bias": lin.bias}
    with torch.no_grad():
        for value in params.values():
            value.copy_(torch.tensor(rng.normal(scale=0.5, size=tuple(value.shape)), dtype=torch.float32))

    def forward(inp):
        return lin(recurrent_output(lstm, inp.reshape(rows, length, features), sequences).reshape(rows, -1))

    layer = (f"{kind}: {{units: {units}, bidirectional: {str(bidirectional).lower()}, "
             f"return_sequences: {str(sequences).lower()}{spec_options}, name: rnn}}")
    sequence_fixture(name, x, y, length, features, layer, params, forward, optimizer, spec_optimizer, steps)


def token_fixture(name, x, y, layer_lines, params, forward, loss_fn, spec_loss, optimizer, spec_optimizer, steps):
    """A training fixture on integer token inputs (x [rows, L]) with class targets (y): spec, initial
    parameters, losses, the first step's gradients and the final parameters."""
    initial = {k: {"shape": list(v.shape), "values": v.detach().numpy().ravel().tolist()} for k, v in params.items()}
    opt = optimizer(list(params.values()))
    losses, first_grads, final = train_steps(params, forward, loss_fn, opt, torch.tensor(x), torch.tensor(y), steps)
    matrix = lambda m: "[" + ", ".join("[" + ", ".join(str(int(v)) for v in np.atleast_1d(row)) + "]" for row in m) + "]"
    spec = "\n".join([
        "dnnc: 1", f"name: {name}", "data:", "  train:", f"    inputs: {matrix(x)}", f"    targets: {matrix(y)}",
        "model:", f"  input: [{x.shape[1]}]", "  layers:", *[f"    - {line}" for line in layer_lines],
        "train:", f"  loss: {spec_loss}", f"  optimizer: {spec_optimizer}", f"  epochs: {steps}", f"  batch_size: {len(x)}",
        "  shuffle: false", "",
    ])
    fixture = {"torch": torch.__version__, "spec": spec, "initial": initial, "losses": losses,
               "first_gradients": first_grads, "final": final}
    with open(os.path.join(OUT, f"{name}.json"), "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")


def padded_tokens(rng, rows, length, vocab):
    """Tokens 1 to vocab − 1, each row ending in 0 to length − 2 padding tokens (0)."""
    x = rng.integers(1, vocab, size=(rows, length))
    for r in range(rows):
        pad = int(rng.integers(0, length - 1))
        if pad:
            x[r, length - pad:] = 0
    return x


def next_token_case(name, seed, steps=4):
    """embedding (padding_index 0) → GRU over every position → dense per position, cross_entropy against the
    next token at every position, padded targets ignored (-100), with label smoothing; Adam."""
    rng = np.random.default_rng(seed)
    rows, length, vocab, dim, units = 4, 6, 7, 4, 5
    x = padded_tokens(rng, rows, length, vocab)
    y = np.where(x == 0, -100, np.roll(x, -1, axis=1) % vocab)
    emb = torch.nn.Embedding(vocab, dim, padding_idx=0)
    gru = torch.nn.GRU(dim, units, batch_first=True)
    lin = torch.nn.Linear(units, vocab)
    params = {"emb.weight": emb.weight, **recurrent_parameters("gru", gru), "out.weight": lin.weight, "out.bias": lin.bias}
    with torch.no_grad():
        for value in params.values():
            value.copy_(torch.tensor(rng.normal(scale=0.5, size=tuple(value.shape)), dtype=torch.float32))
        emb.weight[0].zero_()
    loss = torch.nn.CrossEntropyLoss(ignore_index=-100, label_smoothing=0.1)

    def forward(inp):
        return gru(emb(inp))[0] @ lin.weight.T + lin.bias

    token_fixture(name, x, y, ["embedding: {vocab: 7, dim: 4, padding_index: 0, name: emb}",
                               "gru: {units: 5, return_sequences: true, name: gru}", "dense: {units: 7, name: out}"],
                  params, forward, lambda out, t: loss(out.reshape(-1, vocab), t.reshape(-1)),
                  "{cross_entropy: {ignore_index: -100, label_smoothing: 0.1}}",
                  lambda p: torch.optim.Adam(p, lr=0.01), "{adam: {lr: 0.01}}", steps)


def padded_attention_case(name, seed, steps=4):
    """embedding (padding_index 0) → attention with padded keys masked → the mean over unpadded positions →
    dense, cross_entropy per sequence; SGD."""
    rng = np.random.default_rng(seed)
    rows, length, vocab, dim, heads = 5, 6, 6, 6, 2
    x = padded_tokens(rng, rows, length, vocab)
    y = rng.integers(0, 3, size=(rows, 1))
    emb = torch.nn.Embedding(vocab, dim, padding_idx=0)
    mha = torch.nn.MultiheadAttention(dim, heads, batch_first=True)
    lin = torch.nn.Linear(dim, 3)
    params = {"emb.weight": emb.weight, **prefixed("att", mha), "out.weight": lin.weight, "out.bias": lin.bias}
    with torch.no_grad():
        for value in params.values():
            value.copy_(torch.tensor(rng.normal(scale=0.3, size=tuple(value.shape)), dtype=torch.float32))
        emb.weight[0].zero_()

    def forward(inp):
        padding = inp == 0
        h = mha(emb(inp), emb(inp), emb(inp), key_padding_mask=padding, need_weights=False)[0]
        keep = (~padding).float().unsqueeze(2)
        return lin((h * keep).sum(1) / keep.sum(1))

    token_fixture(name, x, y, ["embedding: {vocab: 6, dim: 6, padding_index: 0, name: emb}", "attention: {heads: 2, name: att}",
                               "permute: {dims: [1, 0]}", "global_avgpool", "dense: {units: 3, name: out}"],
                  params, forward, lambda out, t: torch.nn.functional.cross_entropy(out, t[:, 0]), "cross_entropy",
                  lambda p: torch.optim.SGD(p, lr=0.1), "{sgd: {lr: 0.1}}", steps)


def loss_cases():
    """Each loss's value and gradient with respect to the predictions."""
    rng = np.random.default_rng(7)
    cases = []
    for name, spec, fn, kind in [
        ("mse_sum", "{mse: {reduction: sum}}", torch.nn.MSELoss(reduction="sum"), "regression"),
        ("mae", "mae", torch.nn.L1Loss(), "regression"),
        ("huber", "{huber: {delta: 0.4}}", torch.nn.HuberLoss(delta=0.4), "regression"),
        ("smooth_l1", "{smooth_l1: {beta: 0.3}}", torch.nn.SmoothL1Loss(beta=0.3), "regression"),
        ("bce", "bce", torch.nn.BCELoss(), "probability"),
        ("bce_with_logits", "bce_with_logits", torch.nn.BCEWithLogitsLoss(), "binary"),
        ("cross_entropy", "cross_entropy", torch.nn.CrossEntropyLoss(), "indices"),
        ("cross_entropy_smoothing", "{cross_entropy: {label_smoothing: 0.1}}", torch.nn.CrossEntropyLoss(label_smoothing=0.1), "indices"),
        ("cross_entropy_probabilities", "cross_entropy", torch.nn.CrossEntropyLoss(), "probabilities"),
        ("nll_sum", "{nll: {reduction: sum}}", torch.nn.NLLLoss(reduction="sum"), "log_probabilities"),
    ]:
        p = rng.normal(size=(4, 3)).astype(np.float32)
        if kind == "probability":
            p = 1 / (1 + np.exp(-p))
            t = rng.uniform(size=(4, 3)).astype(np.float32)
        elif kind == "binary":
            t = (rng.uniform(size=(4, 3)) > 0.5).astype(np.float32)
        elif kind in ("indices", "log_probabilities"):
            t = np.array([2, 0, 1, 2], dtype=np.int64)
            if kind == "log_probabilities":
                p = (p - np.log(np.exp(p).sum(axis=1, keepdims=True))).astype(np.float32)
        elif kind == "probabilities":
            t = rng.uniform(size=(4, 3)).astype(np.float32)
            t = t / t.sum(axis=1, keepdims=True)
        else:
            t = rng.normal(size=(4, 3)).astype(np.float32)
        pt = torch.tensor(p, requires_grad=True)
        value = fn(pt, torch.tensor(t))
        value.backward()
        targets = t.reshape(4, -1).astype(float).tolist() if t.ndim == 2 else [[float(v)] for v in t]
        cases.append({"name": name, "loss": spec, "predictions": p.astype(float).tolist(), "targets": targets,
                      "value": float(value), "gradient": pt.grad.numpy().astype(float).tolist()})
    return cases


def token_cases():
    next_token_case("next-token-gru-padding-adam-ce", seed=30)
    padded_attention_case("attention-padding-sgd-ce", seed=31)


if __name__ == "__main__":
    if os.environ.get("ONLY") == "tokens":
        token_cases()
        raise SystemExit
    torch.manual_seed(0)
    with open(os.path.join(OUT, "ops.json"), "w") as f:
        json.dump({"torch": torch.__version__, "ops": op_cases(), "losses": loss_cases()}, f, indent=1)
        f.write("\n")
    sequence_case("lstm-last-sgd-mse", 5, 3, 4, False, False, lambda p: torch.optim.SGD(p, lr=0.1), "{sgd: {lr: 0.1}}", seed=20)
    sequence_case("lstm-bidirectional-sequences-adam-mse", 4, 2, 3, True, True, lambda p: torch.optim.Adam(p, lr=0.01),
                  "{adam: {lr: 0.01}}", steps=5, seed=21)
    sequence_case("gru-bidirectional-last-sgd-mse", 5, 3, 3, True, False, lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
                  "{sgd: {lr: 0.1, momentum: 0.9}}", seed=22, kind="gru")
    sequence_case("gru-sequences-adam-mse", 4, 2, 3, False, True, lambda p: torch.optim.Adam(p, lr=0.01),
                  "{adam: {lr: 0.01}}", steps=5, seed=23, kind="gru")
    sequence_case("rnn-tanh-bidirectional-sequences-sgd-mse", 4, 3, 3, True, True, lambda p: torch.optim.SGD(p, lr=0.05),
                  "{sgd: {lr: 0.05}}", seed=24, kind="rnn")
    sequence_case("rnn-relu-last-adam-mse", 5, 2, 4, False, False, lambda p: torch.optim.Adam(p, lr=0.01),
                  "{adam: {lr: 0.01}}", steps=5, seed=25, kind="rnn", spec_options=", activation: relu")
    attention_case("attention-two-heads-sgd-mse", 4, 6, 2, False, lambda p: torch.optim.SGD(p, lr=0.05), "{sgd: {lr: 0.05}}", seed=27)
    # Not Adam: the key bias's gradient is 0 in exact arithmetic (a constant added to every key leaves the
    # softmax unchanged), so Adam would scale both frameworks' rounding noise up to full steps.
    attention_case("attention-causal-three-heads-sgd-mse", 5, 6, 3, True, lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9),
                   "{sgd: {lr: 0.05, momentum: 0.9}}", steps=5, seed=28)
    sequence_case("rnn-relu-bidirectional-sequences-sgd-mse", 4, 3, 3, True, True, lambda p: torch.optim.SGD(p, lr=0.05),
                  "{sgd: {lr: 0.05}}", seed=26, kind="rnn", spec_options=", activation: relu")
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
    case("sgd-dampening-decay-tanh-mse", [3, 4, 2], ["tanh", "identity"], "mse",
         lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.8, dampening=0.3, weight_decay=0.05),
         "{sgd: {lr: 0.1, momentum: 0.8, dampening: 0.3, weight_decay: 0.05}}", steps=4, seed=5)
    case("adamw-relu-mse", [3, 5, 2], ["relu", "identity"], "mse",
         lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1), "{adamw: {lr: 0.01, weight_decay: 0.1}}", steps=4, seed=6)
    case("adam-decay-tanh-mae", [3, 4, 2], ["tanh", "identity"], "mae",
         lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.2), "{adam: {lr: 0.01, weight_decay: 0.2}}", steps=4, seed=7)
    case("rmsprop-centered-momentum-mse", [3, 4, 2], ["tanh", "identity"], "mse",
         lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.01),
         "{rmsprop: {lr: 0.01, alpha: 0.9, momentum: 0.5, centered: true, weight_decay: 0.01}}", steps=4, seed=8)
    case("rmsprop-plain-huber", [3, 4, 2], ["sigmoid", "identity"], "huber",
         lambda p: torch.optim.RMSprop(p, lr=0.02), "{rmsprop: {lr: 0.02}}", steps=4, seed=9)
    case("adagrad-decay-mse", [3, 4, 2], ["tanh", "identity"], "mse",
         lambda p: torch.optim.Adagrad(p, lr=0.1, lr_decay=0.05, weight_decay=0.01),
         "{adagrad: {lr: 0.1, lr_decay: 0.05, weight_decay: 0.01}}", steps=4, seed=10)
    for name, scheduler, spec_train in [
        ("step", lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5), ["  schedule: {step: {every: 2, gamma: 0.5}}"]),
        ("multistep", lambda o: torch.optim.lr_scheduler.MultiStepLR(o, milestones=[1, 3], gamma=0.3),
         ["  schedule: {multistep: {milestones: [1, 3], gamma: 0.3}}"]),
        ("exponential", lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.7), ["  schedule: {exponential: {gamma: 0.7}}"]),
        ("cosine", lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=4, eta_min=0.01),
         ["  schedule: {cosine: {t_max: 4, min_lr: 0.01}}"]),
        ("one-cycle", lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.3, total_steps=6, pct_start=0.4, cycle_momentum=False),
         ["  schedule: {one_cycle: {max_lr: 0.3, pct_start: 0.4}}"]),
        ("plateau", lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(o, factor=0.5, patience=0, threshold=0.5),
         ["  schedule: {reduce_on_plateau: {factor: 0.5, patience: 0, threshold: 0.5}}"]),
        ("warmup", lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=1 / 3, end_factor=1.0, total_iters=2),
         ["  warmup: 3"]),
    ]:
        case(f"schedule-{name}-sgd-mse", [3, 4, 2], ["tanh", "identity"], "mse",
             lambda p: torch.optim.SGD(p, lr=0.2), "{sgd: {lr: 0.2}}", steps=6, seed=11,
             scheduler=scheduler, spec_train=spec_train)
    token_cases()
