#!/usr/bin/env bash
# Runs each fuzz target for the given seconds (default 600) on one core, new inputs in a scratch folder,
# then merges what adds coverage into corpus/ (kept small) and keeps any crash in crashes/.
# Usage: fuzz/run.sh [seconds] [target...]   (targets: FuzzTargets.all; default all of them)
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-600}
shift || true
targets=${*:-spec csv checkpoint npy metadata state set image}
export LSAN_OPTIONS="suppressions=$PWD/lsan.supp"
# -sanitize=fuzzer alone no longer instruments the library targets for coverage (Swift 6.3: no
# __sancov_cntrs in DNNCore's objects, "no interesting inputs" from libFuzzer); name the coverage
# libFuzzer reads (inline 8-bit counters and the PC table) and comparison tracing explicitly.
swift build -c debug --sanitize=fuzzer --sanitize=address -Xswiftc -DFUZZING \
    -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp >/dev/null
mkdir -p crashes  # libFuzzer writes a crash there and refuses to start without it
for target in $targets; do
  export FUZZ_TARGET=$target
  scratch=$(mktemp -d)
  start=$(date +%s)
  .build/debug/Fuzz "$scratch" "corpus/$target" -max_total_time="$seconds" -max_len=16384 -timeout=10 \
      -rss_limit_mb=2048 -artifact_prefix="crashes/$target-" -print_final_stats=1 2>"$scratch.log" || true
  end=$(date +%s)
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb|SUMMARY|ERROR|NEW_FUNC" "$scratch.log" | grep -v NEW_FUNC | sed "s/^/$target: /" || true
  echo "$target: $((end - start)) s"
  mkdir -p "corpus/$target"
  .build/debug/Fuzz -merge=1 "corpus/$target" "$scratch" 2>/dev/null >/dev/null || true
  rm -rf "$scratch" "$scratch.log"
done
mkdir -p crashes && ls crashes
