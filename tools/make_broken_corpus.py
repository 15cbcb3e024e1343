"""Makes the corpus of broken inputs in Tests/dnncTests/Corpus/: specs, CSV, .npy and checkpoints,
each with the command to run on it, the exit code and the diagnostic it must give (manifest.tsv).
The test runs every case in a copy of the folder and checks that no file was created or changed.

    python3 tools/make_broken_corpus.py
"""
import os
import struct

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "dnncTests", "Corpus")
os.makedirs(OUT, exist_ok=True)
for name in os.listdir(OUT):
    os.remove(os.path.join(OUT, name))

BASE = """dnnc: 1
data:
  train:
    inputs: [[0, 0], [0, 1], [1, 0], [1, 1]]
    targets: [[0], [1], [1], [2]]
model:
  input: [2]
  layers:
    - dense: {units: 8, activation: tanh, name: hidden}
    - dense: {units: 1, name: out}
train:
  loss: mse
  optimizer: {sgd: {lr: 0.1}}
  epochs: 5
"""

manifest = []


def spec(name, text, expected, command="check", code=1, extra=""):
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        f.write(text if isinstance(text, bytes) else text.encode())
    manifest.append((name, command, extra, str(code), expected))


def edit(*pairs):
    text = BASE
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


# YAML
spec("tab-indent.yaml", BASE.replace("  loss: mse", "\tloss: mse"), "tab-indent.yaml:12:1: error[E0101]")
spec("unclosed.yaml", edit(("[[0], [1], [1], [2]]", "[[0], [1], [1], [2]")), "unclosed.yaml:6:1: error[E0101]")
spec("duplicate-key.yaml", edit(("  epochs: 5", "  epochs: 5\n  epochs: 6")), "duplicate-key.yaml:15:3: error[E0102]")
spec("undefined-alias.yaml", edit(("units: 8,", "units: *w,")), "undefined-alias.yaml:9:22: error[E0103]")
bomb = "".join(f"a{k}: &a{k} [" + ", ".join([f"*a{k-1}"] * 10 if k else ["0"] * 10) + "]\n" for k in range(8))
spec("alias-bomb.yaml", bomb, "error[E0104]")
spec("custom-tag.yaml", edit(("  epochs: 5", "  epochs: !big 5")), "custom-tag.yaml:14:11: error[E0105]")
spec("two-documents.yaml", BASE + "---\ndnnc: 1\n", "two-documents.yaml:15:1: error[E0106]")
spec("empty.yaml", "", "empty.yaml:1:1: error[E0107]")
spec("deep.yaml", "x: " + "[" * 200 + "]" * 200 + "\n", "deep.yaml:1:67: error[E0108]")
spec("utf16.yaml", b"\xff\xfe" + BASE.encode("utf-16-le"), "utf16.yaml:1:1: error[E0110]")
spec("nul.yaml", edit(("  epochs: 5", "  epochs: 5\x00")).encode(), "nul.yaml:14:12: error[E0110]")
spec("bad-utf8.yaml", edit(("name: out", "name: o\xffut")).encode("latin-1"), "bad-utf8.yaml:10:32: error[E0110]")
spec("merge-key.yaml", edit(("{units: 1, name: out}", "{<<: {units: 1}, name: out}")), "merge-key.yaml:10:15: error[E0112]")
spec("too-large.yaml", BASE, "too-large.yaml:1:1: error[E0109]", extra="--max-spec-size 100")
# Numbers and values
spec("leading-zero.yaml", edit(("  epochs: 5", "  epochs: 05")), "leading-zero.yaml:14:11: error[E0209]")
spec("overflow.yaml", edit(("lr: 0.1", "lr: 1e999")), "overflow.yaml:13:25: error[E0209]")
spec("nan-data.yaml", edit(("[1, 1]]", "[1, .nan]]")), "nan-data.yaml:4:42: error[E0209]")
spec("yes-boolean.yaml", BASE + "  shuffle: yes\n", "yes-boolean.yaml:15:12: error[E0201]")
spec("unknown-key.yaml", edit(("name: out}", "name: out, activaton: relu}")), "unknown-key.yaml:10:36: error[E0202]")
spec("unknown-activation.yaml", edit(("tanh", "tahn")), "unknown-activation.yaml:9:37: error[E0203]")
spec("missing-train.yaml", BASE.split("train:")[0], "error[E0204]")
spec("negative-lr.yaml", edit(("lr: 0.1", "lr: -0.1")), "negative-lr.yaml:13:25: error[E0205]")
spec("zero-units.yaml", edit(("units: 8", "units: 0")), "zero-units.yaml:9:22: error[E0205]")
spec("huge-units.yaml", edit(("units: 8", "units: 99999999999999")), "huge-units.yaml:9:22: error[E0205]")
spec("version-2.yaml", edit(("dnnc: 1", "dnnc: 2")), "version-2.yaml:1:7: error[E0206]")
spec("malformed-choice.yaml", edit(("{sgd: {lr: 0.1}}", "{name: sgd, lr: 0.1}")), "malformed-choice.yaml:13:14: error[E0207]")
spec("duplicate-name.yaml", edit(("name: out", "name: hidden")), "duplicate-name.yaml:10:31: error[E0208]")
# Shapes and data
spec("input-width.yaml", edit(("input: [2]", "input: [3]")), "input-width.yaml:4:14: error[E0301]")
spec("row-count.yaml", edit(("[[0], [1], [1], [2]]", "[[0], [1], [1]]")), "row-count.yaml:5:14: error[E0302]")
spec("output-width.yaml", edit(("{units: 1, name: out}", "{units: 2, name: out}")), "output-width.yaml:10:22: error[E0303]")
spec("ragged.yaml", edit(("[1, 0], [1, 1]]", "[1], [1, 1]]")), "ragged.yaml:4:30: error[E0304]")
spec("empty-data.yaml", edit(("[[0], [1], [1], [2]]", "[]")), "empty-data.yaml:5:14: error[E0305]")
spec("huge-input.yaml", edit(("input: [2]", "input: [16777216, 16777216]")), "huge-input.yaml:7:10: error[E0306]")
with open(os.path.join(OUT, "ragged.csv"), "w") as f:
    f.write("1,2\n3\n")
with open(os.path.join(OUT, "badcell.csv"), "w") as f:
    f.write("1,2\n3,x\n")
np.save(os.path.join(OUT, "full.npy"), np.ones((4, 2), dtype=np.float32))
with open(os.path.join(OUT, "full.npy"), "rb") as f:
    whole = f.read()
with open(os.path.join(OUT, "short.npy"), "wb") as f:
    f.write(whole[:-8])
os.remove(os.path.join(OUT, "full.npy"))
spec("missing-file.yaml", edit(("[[0, 0], [0, 1], [1, 0], [1, 1]]", "{file: nowhere.csv}")), "missing-file.yaml:4:20: error[E0307]")
spec("ragged-csv.yaml", edit(("[[0, 0], [0, 1], [1, 0], [1, 1]]", "{file: ragged.csv}")), "ragged-csv.yaml:4:20: error[E0307]")
spec("bad-cell-csv.yaml", edit(("[[0, 0], [0, 1], [1, 0], [1, 1]]", "{file: badcell.csv}")), "bad-cell-csv.yaml:4:20: error[E0307]")
spec("short-npy.yaml", edit(("[[0, 0], [0, 1], [1, 0], [1, 1]]", "{file: short.npy}")), "short-npy.yaml:4:20: error[E0307]")
spec("absolute-path.yaml", edit(("[[0, 0], [0, 1], [1, 0], [1, 1]]", "{file: /etc/passwd}")), "absolute-path.yaml:4:20: error[E0307]")
spec("escaping-path.yaml", edit(("[[0, 0], [0, 1], [1, 0], [1, 1]]", "{file: ../../../../../../etc/hostname}")), "escaping-path.yaml:4:20: error[E0307]")
spec("class-out-of-range.yaml", edit(("  loss: mse", "  loss: cross_entropy"), ("{units: 1, name: out}", "{units: 2, name: out}")),
     "class-out-of-range.yaml:5:30: error[E0308]")
spec("bad-reference.yaml", edit(("name: out}", "name: out, inputs: [hiden]}")), "bad-reference.yaml:10:45: error[E0309]")
spec("branch-mismatch.yaml", edit(("    - dense: {units: 1, name: out}", "    - add: {inputs: [hidden, input]}\n    - dense: {units: 1, name: out}")),
     "branch-mismatch.yaml:10:30: error[E0310]")
spec("conv-on-flat.yaml", edit(("    - dense: {units: 8, activation: tanh, name: hidden}", "    - conv2d: {filters: 2, kernel: 3}")),
     "conv-on-flat.yaml:9:7: error[E0311]")
spec("nesterov.yaml", edit(("{sgd: {lr: 0.1}}", "{sgd: {lr: 0.1, nesterov: true}}")), "nesterov.yaml:13:40: error[E0401]")
spec("big-batch.yaml", BASE + "  batch_size: 9\n", "big-batch.yaml:15:15: error[E0402]")
# Runs that must fail before or while training, writing nothing.
spec("good.yaml", BASE, "", command="none")
with open(os.path.join(OUT, "truncated.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", 200) + b'{"hidden.weight":')
manifest.append(("good.yaml", "run", "--init-from truncated.safetensors --save out.safetensors", "2", "is not a usable checkpoint"))
header = b'{"hidden.weight":{"dtype":"F32","shape":[8,2],"data_offsets":[0,64]}}'
header += b" " * ((8 - len(header) % 8) % 8)
with open(os.path.join(OUT, "nan.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(header)) + header + struct.pack("<16f", *([float("nan")] * 16)))
manifest.append(("good.yaml", "run", "--init-from nan.safetensors --save out.safetensors", "2", "cannot start from nan.safetensors"))
spec("diverging.yaml", edit(("lr: 0.1", "lr: 1e25")), "training diverged", command="run", code=3)
manifest.append(("good.yaml", "run", "--save good.yaml", "2", "would overwrite an input of this command"))
manifest.append(("good.yaml", "run", "--max-memory 10 --save out.safetensors", "1", "error[E0306]: the model needs"))
manifest.append(("missing.yaml", "check", "", "2", "cannot read missing.yaml: no such file"))

# Issue 13, hostile input round two: one case per class the adversarial pass found.
def npy(name, header_text, payload=b""):
    header = header_text.encode()
    pad = (64 - (10 + len(header) + 1) % 64) % 64
    header += b" " * pad + b"\n"
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + payload)


npy("negative-dim.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (-3, 2), }", b"\0" * 24)
spec("negative-dim.yaml", edit(("[[0, 0], [0, 1], [1, 0], [1, 1]]", "{file: negative-dim.npy}")), "negative dimension")
npy("paren-order.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': )3, 2(, }", b"\0" * 24)
spec("paren-order.yaml", edit(("[[0, 0], [0, 1], [1, 0], [1, 1]]", "{file: paren-order.npy}")), "paren-order.yaml:4:20: error[E0307]")
npy("long-dim.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 2L), }", b"\0" * 32)
spec("long-dim.yaml", edit(("[[0, 0], [0, 1], [1, 0], [1, 1]]", "{file: long-dim.npy}")), "after dimension 1")
spec("huge-class.yaml", edit(("  loss: mse", "  loss: cross_entropy"), ("{units: 1, name: out}", "{units: 3, name: out}"),
                             ("[[0], [1], [1], [2]]", "[[0], [1], [1e30], [9223372036854775807]]")), "huge-class.yaml:5:25: error[E0308]")
spec("huge-epochs.yaml", edit(("epochs: 5", "epochs: 9223372036854775807")), "huge-epochs.yaml:14:11: error[E0205]")
spec("checkpoint-outside.yaml", BASE + "  checkpoint: {every: 1, path: ../victim}\n", "checkpoint-outside.yaml:15:32: error[E0312]")
spec("checkpoint-root.yaml", BASE + "  checkpoint: {every: 1, path: /}\n", "checkpoint-root.yaml:15:32: error[E0312]")
spec("name-escape.yaml", "name: ../../../x\n" + BASE + "  checkpoint: {every: 1}\n", "name-escape.yaml:1:7: error[E0312]")
spec("name-nul.yaml", 'name: "run\\0x"\n' + BASE + "  checkpoint: {every: 1}\n", "name-nul.yaml:1:7: error[E0201]")
spec("terminal-escape.yaml", BASE + '  "\\e]0;pwned\\a\\e[2J": 1\n', "\\u{1B}]0;pwned\\u{7}\\u{1B}[2J")
spec("line-separator.yaml", ("dnnc: 1 # a\u2028b\n" + BASE[len("dnnc: 1\n"):]).encode(), "line-separator.yaml:1:12: error[E0110]")
spec("alias-location.yaml", edit(("inputs: [[0, 0], [0, 1], [1, 0], [1, 1]]", "inputs: &rows [[0, 0], [0, 1], [1, 0], [1, 1]]"),
                                  ("epochs: 5", "epochs: *rows")), "alias-location.yaml:14:11: error[E0201]")
spec("duplicate-block.yaml", edit(("  layers:\n", "  blocks:\n    - {name: b, layers: [dense: {units: 2}]}\n    - {name: b, layers: [dense: {units: 3}]}\n  layers:\n")),
     "duplicate-block.yaml:10:14: error[E0208]")
with open(os.path.join(OUT, "named.csv"), "w") as f:
    f.write("a,b,t\n0,0,0\n0,1,1\n1,0,1\n1,1,2\n")
spec("duplicate-column.yaml", edit(("[[0, 0], [0, 1], [1, 0], [1, 1]]", "{file: named.csv, columns: [a, a]}"),
                                   ("[[0], [1], [1], [2]]", "{file: named.csv, columns: [t]}")), "`columns` names `a` twice")
with open(os.path.join(OUT, "first-row.csv"), "w") as f:
    f.write("1,\n0,1\n1,0\n1,1\n")
spec("first-row-csv.yaml", edit(("[[0, 0], [0, 1], [1, 0], [1, 1]]", "{file: first-row.csv}")), "first-row.csv:1:2: an empty field is not a number")
manifest.append(("good.yaml", "run", "--save /dev/null", "2", "replaces only regular files"))
manifest.append(("good.yaml", "run", "--epochs 9223372036854775807", "2", "--epochs must be from 1 to 2147483647"))
manifest.append(("good.yaml", "check", "--max-spec-size 9223372036854775807", "2", "--max-spec-size must be from 1 to"))
# A checkpoint whose tensors fit but whose metadata (checksums valid) declares an empty target normalization.
tensors = [("hidden.weight", [8, 2]), ("hidden.bias", [8]), ("out.weight", [1, 8]), ("out.bias", [1])]
meta = {"dnnc_model_hash": "0000000000000000", "dnnc_version": "crafted",
        "dnnc_input_normalization": '{"kind":"none","shift":[],"scale":[]}',
        "dnnc_target_normalization": '{"kind":"standard","shift":[],"scale":[]}'}
entries, offset = {}, 0
for name, shape in tensors:
    size = 4 * int(np.prod(shape))
    entries[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + size]}
    offset += size
import json
entries["__metadata__"] = meta
header = json.dumps(entries, separators=(",", ":")).encode()
header += b" " * ((8 - len(header) % 8) % 8)
with open(os.path.join(OUT, "crafted-normalization.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(header)) + header + b"\0" * offset)
with open(os.path.join(OUT, "rows.csv"), "w") as f:
    f.write("0,1\n")
manifest.append(("good.yaml", "predict", "--weights crafted-normalization.safetensors --force --input rows.csv --output out.csv", "2",
                 "its target normalization is `standard`, but the spec's is `none`"))
manifest = [m for m in manifest if m[1] != "none"]

with open(os.path.join(OUT, "manifest.tsv"), "w") as f:
    f.write("# file\tcommand\textra arguments\texit code\texpected output (stdout + stderr)\n")
    for row in manifest:
        f.write("\t".join(row) + "\n")
print(len(manifest), "cases")
