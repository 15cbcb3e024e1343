"""W8: a training set of images streamed from disk (`stream: true`) against the same set held in
memory, at growing sizes: peak RSS and the training loop's time per step. bench/specs/w7.yaml's
network, 2 epochs, 32×32 RGB images drawn by tools/make_images.py into bench/data/stream-N.

    python bench/stream.py [--sizes 3000,12000,24000]

"cold" runs the streamed set with its files dropped from the page cache first (posix_fadvise
DONTNEED on every file, which needs no privileges), so every image is read from the disk.
"""
import argparse
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import run, DNNC, HERE, ROOT  # noqa: E402

SPEC = open(os.path.join(HERE, "specs", "w7.yaml")).read()


def spec(folder, stream):
    text = SPEC.replace("../data/shapes/train}", f"../data/{folder}/train" + (", stream: true}" if stream else "}"))
    text = text.replace("../data/shapes/validation", f"../data/{folder}/validation").replace("epochs: 5", "epochs: 2")
    path = os.path.join(HERE, "specs", f"w8-{folder}-{'stream' if stream else 'memory'}.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


def evict(folder):
    for root, _, files in os.walk(folder):
        for name in files:
            fd = os.open(os.path.join(root, name), os.O_RDONLY)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            os.close(fd)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="3000,12000,24000")
    args = parser.parse_args()
    print("| training images | data on disk | run | peak RSS | training loop | per step |")
    print("|---|---|---|---|---|---|")
    for n in [int(s) for s in args.sizes.split(",")]:
        folder = f"stream-{n}"
        data = os.path.join(HERE, "data", folder)
        if not os.path.isdir(data):
            subprocess.run([sys.executable, os.path.join(ROOT, "tools", "make_images.py"), data, "--train", str(n), "--validation", "300"],
                           check=True, stdout=subprocess.DEVNULL)
        disk = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(data) for f in fs)
        for label, stream, cold in [("in memory", False, False), ("streamed", True, False), ("streamed, cold cache", True, True)]:
            path = spec(folder, stream)
            if cold:
                evict(data)
            wall, rss, _, stderr = run([DNNC, "run", path, "--threads", "2", "--no-progress", "--log-format", "jsonl"], {"DNNC_TIMING": "1"})
            timing = re.search(r"training ([0-9.]+) s, (\d+) steps, evaluation passes ([0-9.]+) s", stderr)
            loop, steps, evaluation = float(timing.group(1)), int(timing.group(2)), float(timing.group(3))
            print(f"| {n:,} | {disk / 2**20:.1f} MB | {label} | {rss:.0f} MB | {loop:.2f} s | {1000 * (loop - evaluation) / steps:.2f} ms |", flush=True)
            os.remove(path)


if __name__ == "__main__":
    main()
