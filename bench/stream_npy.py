"""W9 and W10: a .npy training set four times the page cache it is given, streamed from disk (`stream: true`).

W9 (`--workload w9`, the default): W2's network (784 → 512 → 256 → 10) trains one shuffled epoch on
float32 rows that this script writes into bench/data/stream-npy (1,400,000 rows, 4.4 GB, by default;
and a quarter of that to show that the peak RSS does not grow with the set).

W10 (`--workload w10 --rows 350000 --budget-mib 256`): W7's CNN trains one shuffled epoch on uint8
images of 3×32×32 (3,072 bytes each: 350,000 are 1.08 GB, four times 256 MiB) that this script draws
into bench/data/stream-img: a bright square, a horizontal bar or a vertical bar (the class) at a random
place on noise.

Each set trains twice:

- "cached": every page of the file read into the page cache first, with no limit on it;
- "cold, 1 GiB": the file dropped from the page cache first (posix_fadvise DONTNEED) and dnnc run in a
  memory cgroup (v1) limited to 1 GiB, which the page cache counts against, so the 4.4 GB set is four
  times what it may cache and every row comes from the disk.

The cgroup needs root and the v1 memory controller at /sys/fs/cgroup/memory; without them the cold
runs are left out and the script says so.

    python bench/stream_npy.py [--workload w9|w10] [--rows 1400000] [--budget-mib 1024] [--threads 2] [--sizes quarter,full]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import DNNC, HERE, ROOT  # noqa: E402

CGROUP = "/sys/fs/cgroup/memory/dnnc-w9"
WIDTH = 784


def folder(workload):
    return os.path.join(HERE, "data", {"w9": "stream-npy", "w10": "stream-img"}[workload])


def make(workload, rows):
    """The workload's x-<rows>.npy and y-<rows>.npy, written unless they are there: x a chunk of rows at
    a time into a memory-mapped .part file, renamed when complete."""
    DATA = folder(workload)
    x_path, y_path = os.path.join(DATA, f"x-{rows}.npy"), os.path.join(DATA, f"y-{rows}.npy")
    if os.path.exists(x_path) and os.path.exists(y_path):
        return x_path
    os.makedirs(DATA, exist_ok=True)
    import numpy as np
    from numpy.lib.format import open_memmap
    rng = np.random.default_rng(0)
    dtype, shape, chunk, draw = {"w9": (np.float32, (WIDTH,), 50_000, row_drawer),
                                 "w10": (np.uint8, (3, 32, 32), 20_000, image_drawer)}[workload]
    draw = draw(rng)
    x = open_memmap(x_path + ".part", mode="w+", dtype=dtype, shape=(rows, *shape))
    y = np.empty(rows, dtype=np.int64)
    for start in range(0, rows, chunk):
        end = min(rows, start + chunk)
        x[start:end], y[start:end] = draw(end - start)
    x.flush()
    del x
    os.replace(x_path + ".part", x_path)
    np.save(y_path, y)
    return x_path


def row_drawer(rng):
    """W9: n rows of uniform floats, and the argmax of a fixed random projection of each (learnable)."""
    import numpy as np
    projection = rng.standard_normal((WIDTH, 10)).astype(np.float32)

    def draw(n):
        rows = rng.random((n, WIDTH), dtype=np.float32)
        return rows, np.argmax((rows - 0.5) @ projection, axis=1)
    return draw


def image_drawer(rng):
    """W10: n uint8 images of 3×32×32, noise (0–95) with one shape in a random color (128–255) at a random
    place: class 0 a 10×10 square, 1 a 4×20 horizontal bar, 2 a 20×4 vertical bar."""
    import numpy as np
    sizes = np.array([[10, 10], [4, 20], [20, 4]])  # (height, width) per class
    grid = np.arange(32)

    def draw(n):
        classes = rng.integers(0, 3, n)
        h, w = sizes[classes, 0], sizes[classes, 1]
        top, left = rng.integers(0, 33 - h), rng.integers(0, 33 - w)
        inside = (((grid[None, :] >= top[:, None]) & (grid[None, :] < (top + h)[:, None]))[:, :, None]
                  & ((grid[None, :] >= left[:, None]) & (grid[None, :] < (left + w)[:, None]))[:, None, :])
        images = rng.integers(0, 96, (n, 3, 32, 32), dtype=np.uint8)
        color = rng.integers(128, 256, (n, 3), dtype=np.uint8)
        return np.where(inside[:, None, :, :], color[:, :, None, None], images), classes
    return draw


def evict(path):
    fd = os.open(path, os.O_RDONLY)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)


def warm(path):
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


def cgroup(budget):
    """The memory cgroup limited to `budget` bytes, or None where it cannot be made."""
    try:
        os.makedirs(CGROUP, exist_ok=True)
        with open(os.path.join(CGROUP, "memory.limit_in_bytes"), "w") as f:
            f.write(str(budget))
        return CGROUP
    except OSError as error:
        print(f"(no memory cgroup: {error}; the cold runs are left out)", file=sys.stderr)
        return None


def run(spec, group, threads):
    """One run; returns (wall s, peak RSS MB, training loop s, steps, evaluation s, MB read from disk, cost line,
    s the steps waited for the loader)."""
    command = [DNNC, "run", spec, "--threads", str(threads), "--no-progress", "--log-format", "jsonl"]
    if group:
        command = ["sh", "-c", f'echo $$ > {group}/cgroup.procs && exec "$@"', "sh"] + command
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=out, stderr=err, env={**os.environ, "DNNC_TIMING": "1"}, cwd=ROOT)
    # The process's bytes fetched from storage (/proc/PID/io read_bytes) and its peak RSS (VmHWM in
    # /proc/PID/status), sampled until it ends (sh execs dnnc: the same PID).
    read_bytes = peak = 0
    while process.poll() is None:
        try:
            with open(f"/proc/{process.pid}/io") as f:
                read_bytes = max(read_bytes, int(re.search(r"read_bytes: (\d+)", f.read()).group(1)))
            with open(f"/proc/{process.pid}/status") as f:
                peak = max(peak, int(re.search(r"VmHWM:\s+(\d+) kB", f.read()).group(1)))
        except (OSError, AttributeError):
            pass
        time.sleep(0.1)
    wall = time.perf_counter() - start
    out.seek(0)
    err.seek(0)
    stdout, stderr = out.read(), err.read()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{stderr.decode()[-2000:]}")
    stderr = stderr.decode()
    timing = re.search(r"training ([0-9.]+) s, (\d+) steps, evaluation passes ([0-9.]+) s", stderr)
    waited = re.search(r"waiting for the loader ([0-9.]+) s", stderr)
    record = json.loads([line for line in stdout.decode().splitlines() if line.startswith("{") and '"cost"' in line][-1])
    last = f"cost {record['cost']}, accuracy {record['accuracy']:.4f}"
    return (wall, peak / 1024, float(timing.group(1)), int(timing.group(2)),
            float(timing.group(3)), read_bytes / 2**20, last, float(waited.group(1)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--workload", choices=["w9", "w10"], default="w9")
    parser.add_argument("--rows", type=int, default=1_400_000)
    parser.add_argument("--budget-mib", type=int, default=1024)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sizes", default="quarter,full", help="which sets: quarter, full or both")
    args = parser.parse_args()
    group = cgroup(args.budget_mib << 20)
    print(f"| training rows | data on disk | run | peak RSS | training loop | per step (evaluation left out) | waiting for the loader | read from disk | the epoch |")
    print("|---|---|---|---|---|---|---|---|---|")
    for rows in [{"quarter": args.rows // 4, "full": args.rows}[k] for k in args.sizes.split(",")]:
        x_path = make(args.workload, rows)
        size = os.path.getsize(x_path)
        spec = os.path.join(HERE, "specs", f"{args.workload}-{rows}.yaml")
        with open(os.path.join(HERE, "specs", f"{args.workload}.yaml")) as f:
            text = f.read().replace("ROWS", str(rows))
        with open(spec, "w") as f:
            f.write(text)
        cases = [("cached", None)] + ([(f"cold, {args.budget_mib} MiB", group)] if group else [])
        for label, limit in cases:
            if limit:
                evict(x_path)
            else:
                warm(x_path)
            wall, rss, loop, steps, evaluation, read, last, waited = run(spec, limit, args.threads)
            print(f"| {rows:,} | {size / 1e9:.2f} GB | {label} | {rss:.0f} MB | {loop:.1f} s | {1000 * (loop - evaluation) / steps:.2f} ms "
                  f"| {waited:.2f} s | {read / 1024:.2f} GiB | {last} |", flush=True)
        os.remove(spec)
    if group:
        try:
            os.rmdir(group)  # empty once its processes have ended
        except OSError:
            pass


if __name__ == "__main__":
    main()
