#!/usr/bin/env bash
# Benchmark: `dnnc check` over a tree of 1,000 specs (goal: under 2 s in a release build).
# The tree: 10 folders of 100 specs each, copies of the four seed specs, every tenth one broken
# (a misspelt activation), so both the clean and the error paths run. Prints each run's wall time
# and the median. Usage: bench/check-tree.sh [runs]   (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
swift build -c release --product dnnc >/dev/null
dnnc=.build/release/dnnc
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
seeds=(specs/seed/linear.yaml specs/seed/relu.yaml specs/seed/relu-dead.yaml specs/seed/prelu.yaml)
for i in $(seq 0 999); do
  folder="$tree/group$((i / 100))"
  mkdir -p "$folder"
  if (( i % 10 == 9 )); then
    sed 's/activation: relu/activation: rleu/; s/activation: identity/activation: identiy/' "${seeds[i % 4]}" > "$folder/spec$i.yaml"
  else
    cp "${seeds[i % 4]}" "$folder/spec$i.yaml"
  fi
done
times=()
for r in $(seq 1 "$runs"); do
  start=$(date +%s%N)
  "$dnnc" check "$tree" --quiet 2>/tmp/dnnc-bench-summary || true
  end=$(date +%s%N)
  ms=$(( (end - start) / 1000000 ))
  times+=("$ms")
  echo "run $r: $ms ms ($(cat /tmp/dnnc-bench-summary))"
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
echo "median of $runs runs: $median ms for 1000 specs"
