#!/usr/bin/env bash
# The scenario of resumeFromAnOlderCheckpointEndsWithTheSameBytes, N times in a row (RELIABILITY.md,
# "A loaded machine"): the digits MLP with checkpoints every 3 epochs, the checkpoints after epoch 11
# deleted, --resume, and the two --save files compared byte for byte. Keeps any folder that differs.
# Usage: tools/resume_stress.sh [N] (BIN=path/to/dnnc, default .build/debug/dnnc)
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BIN:-$root/.build/debug/dnnc}
n=${1:-10}
same=0
for i in $(seq 1 "$n"); do
  d=$(mktemp -d)
  cp "$root/specs/digits/images.npy" "$root/specs/digits/labels.npy" "$d/"
  { cat "$root/specs/digits/mlp.yaml"; echo "  checkpoint: {every: 3, keep: 20, path: ckpt}"; } > "$d/spec.yaml"
  (cd "$d" && "$bin" run spec.yaml --save full.safetensors > full.out 2> full.err)
  rm -f "$d"/ckpt/epoch-0000{14,17,20,23,26,29}.safetensors
  (cd "$d" && "$bin" run spec.yaml --resume --save resumed.safetensors > resumed.out 2> resumed.err)
  if cmp -s "$d/full.safetensors" "$d/resumed.safetensors"; then rm -rf "$d"; same=$((same + 1)); else echo "run $i differs: $d"; fi
done
echo "$same of $n identical"
