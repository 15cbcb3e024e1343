"""Writes the benchmark workloads' data and initial weights into bench/data/, the same for every framework.

W1: the study's four samples (inline in its spec); W2: 8,192 × 784 inputs in [0, 1) and labels 0..9;
W4: 8,192 MNIST-shaped 1×28×28 images and labels; W5: 2,048 sequences of 50 × 32 values with one target each;
W6: 2,048 windows of 64 tokens from 0 to 63, each with the next token of every position. Initial weights are drawn like PyTorch's defaults
(uniform ±1/√fan_in) from a fixed numpy seed and written as safetensors under dnnc's parameter names,
which are PyTorch's (fc1.weight is (out, in); conv weights are (F, C, KH, KW)).
"""
import os
import sys

import numpy as np
from safetensors.numpy import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
W5_LENGTH, W5_FEATURES, W5_UNITS = 50, 32, 128
W6_CONTEXT, W6_VOCAB, W6_WIDTH, W6_FFN = 64, 64, 128, 512


def uniform(rng, shape, fan_in):
    bound = 1 / np.sqrt(fan_in)
    return rng.uniform(-bound, bound, size=shape).astype(np.float32)


def dense(rng, name, n_in, n_out, weights):
    weights[f"{name}.weight"] = uniform(rng, (n_out, n_in), n_in)
    weights[f"{name}.bias"] = uniform(rng, (n_out,), n_in)


def conv(rng, name, c, f, k, weights):
    weights[f"{name}.weight"] = uniform(rng, (f, c, k, k), c * k * k)
    weights[f"{name}.bias"] = uniform(rng, (f,), c * k * k)


def main(rows=8192):
    os.makedirs(DATA, exist_ok=True)
    rng = np.random.default_rng(7)
    w1 = {}
    # The study's net; fc3's bias starts positive so that relu on the output does not start dead.
    dense(rng, "fc1", 2, 10, w1)
    dense(rng, "fc2", 10, 10, w1)
    dense(rng, "fc3", 10, 1, w1)
    w1["fc3.bias"] = np.abs(w1["fc3.bias"]) + 0.5
    save_file(w1, os.path.join(DATA, "w1_init.safetensors"))

    np.save(os.path.join(DATA, "w2_x.npy"), rng.random((rows, 784), dtype=np.float32))
    np.save(os.path.join(DATA, "w2_y.npy"), rng.integers(0, 10, size=(rows, 1)).astype(np.float32))
    w2 = {}
    dense(rng, "fc1", 784, 512, w2)
    dense(rng, "fc2", 512, 256, w2)
    dense(rng, "fc3", 256, 10, w2)
    save_file(w2, os.path.join(DATA, "w2_init.safetensors"))

    np.save(os.path.join(DATA, "w4_x.npy"), rng.random((rows, 1, 28, 28), dtype=np.float32))
    np.save(os.path.join(DATA, "w4_y.npy"), rng.integers(0, 10, size=(rows, 1)).astype(np.float32))
    w4 = {}
    conv(rng, "conv1", 1, 16, 3, w4)
    conv(rng, "conv2", 16, 32, 3, w4)
    dense(rng, "fc", 32 * 7 * 7, 10, w4)
    save_file(w4, os.path.join(DATA, "w4_init.safetensors"))

    # W5: sequences of 50 steps of 32 features; two LSTM layers of 128 units (PyTorch's uniform ±1/√U for
    # every tensor), the last step's state → one value.
    np.save(os.path.join(DATA, "w5_x.npy"), rng.normal(size=(rows // 4, W5_LENGTH * W5_FEATURES)).astype(np.float32))
    np.save(os.path.join(DATA, "w5_y.npy"), rng.normal(size=(rows // 4, 1)).astype(np.float32))
    w5 = {}
    for name, n_in in [("lstm1", W5_FEATURES), ("lstm2", W5_UNITS)]:
        for tensor, shape in [("weight_ih", (4 * W5_UNITS, n_in)), ("weight_hh", (4 * W5_UNITS, W5_UNITS)),
                              ("bias_ih", (4 * W5_UNITS,)), ("bias_hh", (4 * W5_UNITS,))]:
            w5[f"{name}.{tensor}"] = uniform(rng, shape, W5_UNITS)
    dense(rng, "fc", W5_UNITS, 1, w5)
    save_file(w5, os.path.join(DATA, "w5_init.safetensors"))

    # W6: a causal transformer language model, two blocks of width 128 (4 heads, a 512-unit feed-forward
    # layer), over windows of 64 tokens; every position's next token. Embeddings N(0, 1), attention's
    # in_proj Xavier-uniform and out_proj uniform ±1/√E with zero biases, layernorms 1 and 0, as PyTorch's.
    tokens = rng.integers(0, W6_VOCAB, size=(rows // 4, W6_CONTEXT + 1))
    np.save(os.path.join(DATA, "w6_x.npy"), tokens[:, :-1].astype(np.float32))
    np.save(os.path.join(DATA, "w6_y.npy"), tokens[:, 1:].astype(np.float32))
    w6 = {"emb.weight": rng.normal(size=(W6_VOCAB, W6_WIDTH)).astype(np.float32),
          "pos.weight": rng.normal(size=(W6_CONTEXT, W6_WIDTH)).astype(np.float32)}
    E = W6_WIDTH
    for b in ["b1", "b2"]:
        xavier = np.sqrt(6 / (E + 3 * E))
        w6[f"{b}.att.in_proj_weight"] = rng.uniform(-xavier, xavier, size=(3 * E, E)).astype(np.float32)
        w6[f"{b}.att.in_proj_bias"] = np.zeros(3 * E, dtype=np.float32)
        w6[f"{b}.att.out_proj.weight"] = uniform(rng, (E, E), E)
        w6[f"{b}.att.out_proj.bias"] = np.zeros(E, dtype=np.float32)
        for norm in ["n1", "n2"]:
            w6[f"{b}.{norm}.weight"] = np.ones(E, dtype=np.float32)
            w6[f"{b}.{norm}.bias"] = np.zeros(E, dtype=np.float32)
        dense(rng, f"{b}.ff", E, W6_FFN, w6)
        dense(rng, f"{b}.out", W6_FFN, E, w6)
    dense(rng, "head", E, W6_VOCAB, w6)
    save_file(w6, os.path.join(DATA, "w6_init.safetensors"))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 8192)
