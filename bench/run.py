"""Runs issue 7's benchmarks and writes their section of BENCHMARKS.md. bench/run.sh sets up what it needs.

Every workload runs in every framework once per round, frameworks one after another within a round, so
that all of them see the same machine load; figures are medians over the rounds with min–max. Before
any time is compared, the epoch costs each framework logged are checked against dnnc's: a workload whose
costs disagree is reported as such and its ratios are left out.

    python bench/run.py [--rounds 5] [--frameworks torch,jax,numpy] [--quick]

--quick runs one round of W1 and the GEMM microbenchmark on small sizes only: a smoke test.
"""
import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DNNC = os.path.join(ROOT, ".build", "release", "dnnc")
# The same program linked with --static-swift-stdlib: one file to ship, and no shared Swift runtime to load.
DNNC_STATIC = os.path.join(ROOT, ".build-static", "release", "dnnc")
GEMM_BENCH = os.path.join(HERE, ".build", "release", "gemm-bench")
PYTHON = os.path.join(HERE, ".venv", "bin", "python")
FRAMEWORKS_PY = os.path.join(HERE, "frameworks.py")
BEGIN, END = "<!-- bench/run.py: begin -->", "<!-- bench/run.py: end -->"

# Epochs and steps per workload, as the specs in bench/specs say.
STEPS = {"w1": 20000, "w2": 3 * 64, "w4": 128, "w5": 64, "w6": 64}


def run(command, env=None):
    """Runs a command; returns (wall seconds, peak RSS in MB, stdout without its lines of 1 MB or more, stderr)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env={**os.environ, **(env or {})}, cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = short_lines(out), err.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed ({status}):\n{stderr[-2000:]}")
    return wall, usage.ru_maxrss / 1024, stdout, stderr


def short_lines(file, limit=1 << 20):
    """The file's lines shorter than `limit` bytes, read a piece at a time. A long line (W6's jsonl
    predictions record, 94 MB) must never sit in this process's memory: Python starts children with
    vfork, and a child's ru_maxrss then starts from this process's peak RSS, so every later run
    reported at least that peak."""
    lines, current, skipping = [], b"", False
    while piece := file.read(1 << 16):
        parts = piece.split(b"\n")
        for i, part in enumerate(parts):
            if not skipping:
                current += part
                if len(current) >= limit:
                    skipping, current = True, b""
            if i < len(parts) - 1:   # the line ends here
                if not skipping:
                    lines.append(current.decode())
                current, skipping = b"", False
    if current and not skipping:
        lines.append(current.decode())
    return "\n".join(lines)


def dnnc(workload, threads=2, env=None):
    command = [DNNC, "run", f"bench/specs/{workload}.yaml", "--init-from", f"bench/data/{workload}_init.safetensors",
               "--log-format", "jsonl", "--no-progress", "--threads", str(threads)]
    wall, rss, stdout, stderr = run(command, {"DNNC_TIMING": "1", **(env or {})})
    timing = re.search(r"dnnc-timing: training ([0-9.]+) s, \d+ steps, evaluation passes ([0-9.]+) s", stderr)
    loop, evaluation = float(timing.group(1)), float(timing.group(2))
    records = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    costs = {r["epoch"]: r["cost"] for r in records if "epoch" in r and "cost" in r}
    return {"process": wall, "loop": loop, "steps": loop - evaluation, "rss": rss, "costs": costs}


def framework(name, workload, threads=2):
    wall, rss, stdout, _ = run([PYTHON, FRAMEWORKS_PY, name, workload, "--threads", str(threads)])
    result = json.loads(stdout.strip().splitlines()[-1])
    out = {"process": wall, "loop": result["loop_seconds"], "rss": rss,
           "costs": {int(k): v for k, v in result["costs"].items()}}
    if "compile_seconds" in result:
        out["compile"] = result["compile_seconds"]
    return out


def agree(a, b):
    """Costs agree when every epoch both logged is within 1e-3 relative, or both are below 1e-6 (a fit
    to rounding error, where float32 noise is all that is left)."""
    shared = sorted(set(a) & set(b))
    if not shared:
        return False, "no epoch in common"
    for e in shared:
        x, y = a[e], b[e]
        if not (abs(x - y) <= 1e-3 * max(abs(x), abs(y)) or max(abs(x), abs(y)) < 1e-6):
            return False, f"epoch {e}: {x:.6g} vs {y:.6g}"
    return True, ", ".join(f"epoch {e}: {b[e]:.6g}" for e in shared[:3])


def median(values):
    return statistics.median(values)


def spread(values, unit="s", scale=1.0, digits=3):
    values = [v * scale for v in values]
    return f"{median(values):.{digits}g} {unit} ({min(values):.{digits}g}–{max(values):.{digits}g})"


def busy_core():
    """A process that keeps one core busy until killed."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def check_times(rounds):
    """`dnnc check` on the study's spec, as a process: the default build and the static one, alternately."""
    times = {"default": [], "static": []}
    for _ in range(rounds):
        for build, binary in [("default", DNNC), ("static", DNNC_STATIC)]:
            wall, _, _, _ = run([binary, "check", "specs/seed/relu.yaml", "--quiet"])
            times[build].append(wall)
    return times


def numpy_gemm(sizes, threads, runs):
    code = f"""
import numpy as np, time, json
out = {{}}
for n in {sizes}:
    a = np.random.rand(n, n).astype(np.float32); b = np.random.rand(n, n).astype(np.float32)
    a @ b
    rates = []
    for _ in range({runs}):
        t = time.perf_counter(); a @ b; rates.append(2 * n**3 / (time.perf_counter() - t) / 1e9)
    rates.sort(); out[n] = rates[len(rates) // 2]
print(json.dumps(out))
"""
    _, _, stdout, _ = run([PYTHON, "-c", code], {"OPENBLAS_NUM_THREADS": str(threads)})
    return {int(k): v for k, v in json.loads(stdout).items()}


def dnnc_gemm(sizes, runs):
    _, _, stdout, _ = run([GEMM_BENCH, str(runs)] + [str(s) for s in sizes])
    rates = {}
    for line in stdout.splitlines()[1:]:
        size, threads, backend, rate = line.split()[:4]
        rates[(int(size), int(threads), backend)] = float(rate)
    return rates


def memory_floor_mb(workload):
    """Parameters, gradients and optimizer state, one batch's activations and their gradients, and the
    data set, in MB: the figure issue 7 bounds peak RSS by (×1.5 + 30 MB)."""
    if workload == "w1":
        params, state, activations, data = 151, 0, 1 * (10 + 10 + 1) * 2, 4 * 3
    elif workload == "w2":
        params = 784 * 512 + 512 + 512 * 256 + 256 + 256 * 10 + 10
        state, activations, data = params, 128 * (512 + 256 + 10) * 2, 8192 * 785
    elif workload == "w4":
        params = 16 * 9 + 16 + 32 * 16 * 9 + 32 + 1568 * 10 + 10
        per_sample = 16 * 28 * 28 * 2 + 16 * 14 * 14 + 32 * 14 * 14 * 2 + 32 * 7 * 7 * 2 + 10
        state, activations, data = params, 64 * per_sample * 2, 8192 * (784 + 1)
    elif workload == "w5":
        # Two LSTM layers (4 gates, a cell and a state per unit and step kept for backward), SGD without momentum.
        params = 4 * 128 * (32 + 128 + 2) + 4 * 128 * (128 + 128 + 2) + 128 + 1
        per_sample = 2 * 50 * 128 * 6 + 50 * 128 * 2
        state, activations, data = 0, 32 * per_sample, 2048 * (50 * 32 + 1)
    else:
        return None   # W6: no formula (it took W5's, an LSTM's, and compared a transformer against it)
    return (2 * params + state + activations + data) * 4 / 1e6


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--frameworks", default="torch,jax,numpy")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    frameworks = [f for f in args.frameworks.split(",") if f]
    rounds = 1 if args.quick else args.rounds
    workloads = ["w1"] if args.quick else ["w1", "w2", "w4", "w5", "w6"]
    lines = []
    say = lines.append

    # --- the workloads, alternating frameworks within each round
    results = {}
    for r in range(rounds):
        for w in workloads:
            for name in ["dnnc"] + frameworks:
                if (name == "numpy" and w == "w4") or (name in ("numpy", "jax") and w in ("w5", "w6")):
                    continue
                print(f"round {r + 1}/{rounds}: {w} {name}", file=sys.stderr, flush=True)
                result = dnnc(w) if name == "dnnc" else framework(name, w)
                results.setdefault((w, name), []).append(result)
            if w == "w2" and not args.quick:
                for name, threads in [("dnnc", 1), ("torch", 1), ("numpy", 1)]:
                    if name != "dnnc" and name not in frameworks:
                        continue
                    result = dnnc(w, threads=1) if name == "dnnc" else framework(name, w, threads=1)
                    results.setdefault((w, f"{name} 1 thread"), []).append(result)
                # The other core busy: dnnc on 2 threads against its own 1-thread time, both under load.
                hog = busy_core()
                try:
                    results.setdefault((w, "dnnc busy 2"), []).append(dnnc(w, threads=2))
                    results.setdefault((w, "dnnc busy 1"), []).append(dnnc(w, threads=1))
                finally:
                    hog.kill()
                    hog.wait()

    say(f"Made by `bench/run.sh` ({'quick' if args.quick else f'{rounds} rounds'}) on {time.strftime('%Y-%m-%d')}: "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"{open('/proc/cpuinfo').read().split('model name')[1].split(':')[1].splitlines()[0].strip()}. "
        "Medians of the rounds, min–max in brackets. Frameworks ran alternately within each round.")
    say("")
    for w in workloads:
        base = results[(w, "dnnc")]
        say(f"### {w.upper()}")
        say("")
        say("| run | training loop | whole process | peak RSS | costs agree with dnnc |")
        say("|---|---|---|---|---|")
        for (workload, name), runs in results.items():
            if workload != w:
                continue
            ok, detail = agree(base[0]["costs"], runs[0]["costs"])
            loop = spread([x["loop"] for x in runs])
            if "steps" in runs[0]:
                loop += f"; steps alone {spread([x['steps'] for x in runs])}"
            if "compile" in runs[0]:
                loop += f" + {spread([x['compile'] for x in runs])} compile"
            say(f"| {name} | {loop} | {spread([x['process'] for x in runs])} | "
                f"{median([x['rss'] for x in runs]):.0f} MB | {'yes' if ok else 'NO'}: {detail} |")
        say("")
        # Like for like: the frameworks' loops only step; dnnc's loop also runs the evaluation passes behind
        # its log lines (accuracy, dead units), so its steps alone are what their loops are compared with.
        dnnc_loop, dnnc_process = median([x["steps"] for x in base]), median([x["process"] for x in base])
        for name in frameworks:
            if (w, name) not in results:
                continue
            runs = results[(w, name)]
            if not agree(base[0]["costs"], runs[0]["costs"])[0]:
                say(f"- {name}: costs disagree, no ratio.")
                continue
            loop = median([x["loop"] for x in runs])
            process = median([x["process"] for x in runs])
            extra = ""
            if "compile" in runs[0]:
                extra = f"; with its compile {dnnc_process and (loop + median([x['compile'] for x in runs])) / dnnc_process:.2f}× dnnc's process"
            say(f"- {name}: loop {loop / dnnc_loop:.2f}× dnnc's steps, process {process / dnnc_process:.2f}× dnnc's process{extra}")
        if w == "w1":
            whole = median([x["loop"] for x in base])
            say(f"- dnnc's training loop per step: {whole / STEPS['w1'] * 1e6:.2f} µs "
                f"(the loop's time over {STEPS['w1']} steps, logging and its evaluation passes included)")
        if w == "w2" and (w, "dnnc busy 2") in results:
            busy2 = median([x["steps"] for x in results[(w, "dnnc busy 2")]])
            busy1 = median([x["steps"] for x in results[(w, "dnnc busy 1")]])
            say(f"- the other core busy (a Python busy loop): dnnc on 2 threads {busy2:.3f} s, on 1 thread "
                f"{busy1:.3f} s: {busy2 / busy1:.2f}× its own 1-thread time")
        floor = memory_floor_mb(w)
        rss = median([x["rss"] for x in base])
        if floor is None:
            say(f"- memory: dnnc's peak RSS {rss:.0f} MB (no bound: issue 7's formula covers W1, W2, W4 and W5)")
        else:
            say(f"- memory: dnnc's peak RSS {rss:.0f} MB; parameters + gradients + optimizer state + one batch's "
                f"activations + the data set = {floor:.3g} MB, so the bound is {1.5 * floor + 30:.0f} MB "
                f"({'met' if rss <= 1.5 * floor + 30 else 'missed'})")
        say("")

    # --- dnnc check as a process
    checks = check_times(5 if args.quick else 21)
    say("### `dnnc check specs/seed/relu.yaml`")
    say("")
    say(f"As a whole process, {len(checks['default'])} runs of each build alternately: "
        f"{spread(checks['default'], 'ms', 1000)} built by `swift build -c release`, "
        f"{spread(checks['static'], 'ms', 1000)} built with `--static-swift-stdlib`.")
    say("")

    # --- the GEMM microbenchmark
    sizes = [256, 512] if args.quick else [256, 512, 1024, 2048]
    runs = 3 if args.quick else 7
    # Alternately, three times; the median of the three medians.
    samples_ours, samples_theirs = [], {1: [], 2: []}
    for _ in range(1 if args.quick else 3):
        samples_ours.append(dnnc_gemm(sizes, runs))
        for t in (1, 2):
            samples_theirs[t].append(numpy_gemm(sizes, t, runs))
    ours = {key: median([sample[key] for sample in samples_ours]) for key in samples_ours[0]}
    theirs = {t: {n: median([sample[n] for sample in samples_theirs[t]]) for n in sizes} for t in (1, 2)}
    say("### Matrix multiply (square sgemm, GFLOP/s)")
    say("")
    say("| size | threads | dnnc (OpenBLAS) | dnnc (blocked Swift) | numpy's OpenBLAS | dnnc ÷ numpy |")
    say("|---|---|---|---|---|---|")
    for n in sizes:
        for t in (1, 2):
            fast = ours.get((n, t, "openblas"))
            blocked = ours.get((n, t, "blocked"))
            best = fast or blocked
            say(f"| {n} | {t} | {fast or '—'} | {blocked or '—'} | {theirs[t][n]:.1f} | {best / theirs[t][n]:.0%} |")
    say("")

    text = "\n".join(lines)
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", "latest.md"), "w") as f:
        f.write(text + "\n")
    if not args.quick:
        path = os.path.join(ROOT, "BENCHMARKS.md")
        document = open(path).read()
        if BEGIN in document:
            head, rest = document.split(BEGIN, 1)
            document = head + BEGIN + "\n" + text + "\n" + END + rest.split(END, 1)[1]
        else:
            document += f"\n{BEGIN}\n{text}\n{END}\n"
        with open(path, "w") as f:
            f.write(document)
    print(text)


if __name__ == "__main__":
    main()
