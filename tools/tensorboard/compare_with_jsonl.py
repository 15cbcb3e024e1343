#!/usr/bin/env python3
"""Reads a run's TensorBoard event files with the tensorboard package's own reader and compares every
scalar with the run's jsonl log: each logged epoch's cost, lr, val_loss, metrics and per-layer health
(layers/<name>/dead, grad_norm, weight_norm, update_ratio) must be there, at that epoch, equal to the
log's value as float32 (TensorBoard's scalars are float32). Also checks the weight histograms and the
spec text. Exit 0 when all match, 1 with the differences.

    python compare_with_jsonl.py EVENTS_FOLDER RUN.jsonl
"""

import json
import sys

import numpy as np
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator


def main():
    folder, log = sys.argv[1], sys.argv[2]
    events = EventAccumulator(folder, size_guidance={"scalars": 0, "histograms": 0, "tensors": 0})
    events.Reload()
    tags = events.Tags()
    expected = {}
    for line in open(log, encoding="utf-8"):
        record = json.loads(line)
        if "epoch" not in record:
            continue
        step = record["epoch"]
        for key, value in record.items():
            if key == "layers":
                for layer in value:
                    for field in ("dead", "grad_norm", "weight_norm", "update_ratio"):
                        expected[(f"layers/{layer['name']}/{field}", step)] = layer[field]
            elif key != "epoch" and isinstance(value, (int, float)):
                expected[(key, step)] = value
    got = {(tag, e.step): e.value for tag in tags["scalars"] for e in events.Scalars(tag)}
    problems = []
    for key, value in sorted(expected.items()):
        if key not in got:
            problems.append(f"{key[0]} at epoch {key[1]} is in the log but not in the events")
        elif np.float32(value) != np.float32(got[key]):
            problems.append(f"{key[0]} at epoch {key[1]}: events {got[key]!r}, log {value!r}")
    for key in sorted(set(got) - set(expected)):
        problems.append(f"{key[0]} at epoch {key[1]} is in the events but not in the log")
    if not tags["histograms"]:
        problems.append("no weight histograms")
    for tag in tags["histograms"]:
        for h in events.Histograms(tag):
            if h.histogram_value.num <= 0 or sum(h.histogram_value.bucket) != h.histogram_value.num:
                problems.append(f"{tag} at step {h.step}: buckets do not add up to {h.histogram_value.num}")
    if "spec" not in tags["tensors"] or b"resolved by dnnc" not in events.Tensors("spec")[0].tensor_proto.string_val[0]:
        problems.append("the resolved spec is not in the events as text")
    for p in problems:
        print(p)
    print(f"{len(expected)} scalars of the log, {len(got)} in the events, {len(tags['histograms'])} histogram tags")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
