#!/usr/bin/env python3
"""Makes the generated data sets of specs/sequence/ (needs numpy only).

order_*.npy: which of two symbols comes first. Each sequence is 12 tokens from 0 to 5; tokens 1 and 2
each appear exactly once, at random places, among filler tokens 0, 3, 4 and 5; the class is 0 when 1
comes first, 1 when 2 does. A model that ignores order cannot beat 50%.

adding_*.npy: the adding problem (Hochreiter & Schmidhuber 1997) at length 50. Each step is a pair
(value uniform on [0, 1], marker); exactly two markers are 1, one in each half of the sequence, and the
target is the sum of the two marked values. Always answering 1 has a mean squared error of
Var(u1 + u2) = 2/12 = 0.167. Stored as float32 rows of 100 values, step after step.

arithmetic*.txt: lines "a+b=c" with a and b uniform from 0 to 999 (Python's random, seed 15): 6000
training lines and 300 test lines, for the character-level language model.

    python3 tools/make_sequence_data.py
"""
import os
import random

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "specs", "sequence")


def order(n, rng, length=12):
    x = rng.choice([0, 3, 4, 5], size=(n, length))
    labels = np.zeros(n, dtype=np.int64)
    for i in range(n):
        a, b = rng.choice(length, 2, replace=False)
        x[i, a], x[i, b] = 1, 2
        labels[i] = 0 if a < b else 1
    return x.astype(np.int64), labels


def sums(n, rng, digits=3):
    lines = []
    for _ in range(n):
        a, b = rng.randint(0, 10 ** digits - 1), rng.randint(0, 10 ** digits - 1)
        lines.append(f"{a}+{b}={a + b}")
    return "\n".join(lines) + "\n"


def adding(n, rng, length=50):
    values = rng.uniform(0, 1, size=(n, length)).astype(np.float32)
    markers = np.zeros((n, length), dtype=np.float32)
    first = rng.integers(0, length // 2, n)
    second = rng.integers(length // 2, length, n)
    markers[np.arange(n), first] = 1
    markers[np.arange(n), second] = 1
    x = np.stack([values, markers], axis=2).reshape(n, 2 * length)
    y = (values[np.arange(n), first] + values[np.arange(n), second]).reshape(n, 1)
    return x, y.astype(np.float32)


if __name__ == "__main__":
    rng = np.random.default_rng(15)
    for name, n in [("train", 2000), ("test", 500)]:
        x, y = order(n, rng)
        np.save(os.path.join(OUT, f"order_{name}_x.npy"), x)
        np.save(os.path.join(OUT, f"order_{name}_y.npy"), y)
    for name, n in [("train", 5000), ("test", 500)]:
        x, y = adding(n, rng)
        np.save(os.path.join(OUT, f"adding_{name}_x.npy"), x)
        np.save(os.path.join(OUT, f"adding_{name}_y.npy"), y)
    text = random.Random(15)
    for name, n in [("arithmetic.txt", 6000), ("arithmetic-test.txt", 300)]:
        with open(os.path.join(OUT, name), "w", encoding="utf-8", newline="") as f:
            f.write(sums(n, text))
