#!/usr/bin/env bash
# Issue 7's benchmarks, start to finish: builds dnnc and the GEMM microbenchmark in release mode, makes a
# virtual environment under bench/.venv with the frameworks to compare against, writes the shared data
# and initial weights, runs every workload alternately and writes the results into BENCHMARKS.md.
#
#   bench/run.sh [--rounds N] [--quick]
#
# BENCH_FRAMEWORKS picks the frameworks (default "torch,jax,numpy"). PyPI's torch pulls about 4 GB of
# CUDA wheels; leave it out with BENCH_FRAMEWORKS=jax,numpy if the disk or the time is short.
set -euo pipefail
cd "$(dirname "$0")/.."
frameworks="${BENCH_FRAMEWORKS:-torch,jax,numpy}"
dpkg -s libopenblas0-pthread >/dev/null 2>&1 || (apt-get update && apt-get install -y libopenblas0-pthread)
swift build -c release --product dnnc
swift build -c release --product dnnc --static-swift-stdlib --scratch-path .build-static
swift build -c release --package-path bench
[ -x bench/.venv/bin/python ] || python3 -m venv bench/.venv
bench/.venv/bin/pip install --quiet numpy safetensors
case ",$frameworks," in *,torch,*) bench/.venv/bin/pip install --quiet torch ;; esac
case ",$frameworks," in *,jax,*) bench/.venv/bin/pip install --quiet jax jaxlib ;; esac
bench/.venv/bin/python bench/make_data.py
bench/.venv/bin/python bench/run.py --frameworks "$frameworks" "$@"
