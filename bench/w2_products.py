"""W2's step products in numpy: the time of each, and numpy's 512² rate, with the library numpy loads.

    OPENBLAS_NUM_THREADS=2 bench/.venv/bin/python bench/w2_products.py

Prints, for three passes, the median µs of 50 calls of each product (M N K as dnnc's gemm-bench
names them: fc1 forward, fc2 forward, fc2 weight gradient, fc2 input gradient, fc1 weight gradient,
then fc3's three; each a plain product of those sizes, without the transposes dense layers use), the
sum of the five large ones, and the 512² rate in GFLOP/s (median, best).
"""
import time

import numpy as np

SHAPES = [(128, 512, 784), (128, 256, 512), (256, 512, 128), (128, 512, 256), (512, 784, 128),
          (128, 10, 256), (10, 256, 128), (128, 256, 10)]


def median_seconds(a, b, c, calls=50):
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        np.matmul(a, b, out=c)
        times.append(time.perf_counter() - start)
    return float(np.median(times)), min(times)


def main():
    rng = np.random.default_rng(0)
    operands = [(rng.standard_normal((m, k), dtype=np.float32), rng.standard_normal((k, n), dtype=np.float32),
                 np.empty((m, n), np.float32)) for m, n, k in SHAPES]
    for _ in range(3):
        us = [median_seconds(*ops)[0] * 1e6 for ops in operands]
        print(" ".join(f"{t:.1f}" for t in us), f"five {sum(us[:5]):.0f} µs")
    n = 512
    a = rng.standard_normal((n, n), dtype=np.float32)
    median, best = median_seconds(a, a.copy(), np.empty_like(a))
    print(f"512²: {2 * n**3 / median / 1e9:.1f} GFLOP/s median, {2 * n**3 / best / 1e9:.1f} best")


if __name__ == "__main__":
    main()
