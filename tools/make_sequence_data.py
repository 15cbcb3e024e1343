#!/usr/bin/env python3
"""Makes the generated data sets of specs/sequence/ (needs numpy only).

order_*.npy: which of two symbols comes first. Each sequence is 12 tokens from 0 to 5; tokens 1 and 2
each appear exactly once, at random places, among filler tokens 0, 3, 4 and 5; the class is 0 when 1
comes first, 1 when 2 does. A model that ignores order cannot beat 50%.

    python3 tools/make_sequence_data.py
"""
import os

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


if __name__ == "__main__":
    rng = np.random.default_rng(15)
    for name, n in [("train", 2000), ("test", 500)]:
        x, y = order(n, rng)
        np.save(os.path.join(OUT, f"order_{name}_x.npy"), x)
        np.save(os.path.join(OUT, f"order_{name}_y.npy"), y)
