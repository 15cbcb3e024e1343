#!/usr/bin/env python3
"""Checks dnnc's ONNX export against ONNX Runtime (run by .ci/run; needs onnx, onnxruntime, numpy).

For every spec given (default: every spec under specs/, and one small spec per layer kind and per
activation of the catalog, written to a temporary folder), it trains the spec briefly with
`dnnc run --save`, exports it with `dnnc export --to onnx`, runs onnx.checker with full_check, and
compares ONNX Runtime's outputs on 100 random inputs with `dnnc predict --raw` (and, for a
classifier, `probabilities` with `--proba` and `class` with the predicted class) to a relative
tolerance of 1e-5 (plus 1e-6 of the output's largest magnitude, for values near 0; probabilities also
get what that tolerance on the outputs they are a softmax of allows them to move). A spec whose
export fails must fail with an error naming the op, never write a graph.
With --pytorch PYTHON it also exports each spec as a PyTorch program and compares the program's
outputs (`--init-from` the same checkpoint, `--predict` the same rows) with dnnc's, to the same
tolerance. Usage: tools/export_check.py DNNC [--pytorch PYTHON] [SPEC...]
"""
import csv
import json, os, struct, subprocess, sys, tempfile, zlib
import numpy as np
import onnx
import onnxruntime as ort

ACTIVATIONS = ["identity", "relu", "relu6", "{leaky_relu: {alpha: 0.1}}", "prelu", "{elu: {alpha: 0.7}}", "selu",
               "gelu", "{gelu: {approximate: tanh}}", "sigmoid", "hard_sigmoid", "tanh", "softplus", "softsign",
               "silu", "mish", "softmax", "log_softmax"]

CATALOG = {
    "dense-standard": """
data: {train: {inputs: {file: x.npy}, targets: {file: y.npy}}, normalize: {inputs: standard, targets: standard}}
model:
  input: [6]
  layers:
    - dense: {units: 8, activation: tanh}
    - dropout: {rate: 0.2}
    - batchnorm: {}
    - layernorm: {}
    - dense: {units: 3}
""",
    "dense-minmax": """
data: {train: {inputs: {file: x.npy}, targets: {file: y.npy}}, normalize: {inputs: minmax, targets: minmax}}
model:
  input: [6]
  layers:
    - dense: {units: 5, activation: relu, name: a}
    - dense: {units: 5, activation: sigmoid, name: b, inputs: [a]}
    - dense: {units: 5, name: c, inputs: [a]}
    - add: {inputs: [b, c]}
    - multiply: {inputs: [b, c], name: m}
    - concat: {inputs: [m, a]}
    - activation: {fn: softplus}
    - dense: {units: 3, bias: false}
""",
    "conv2d": """
data: {train: {inputs: {file: img.npy}, targets: {file: y.npy}}, normalize: {inputs: standard}}
model:
  input: [2, 9, 9]
  layers:
    - conv2d: {filters: 4, kernel: 3, padding: same, activation: prelu}
    - batchnorm: {}
    - maxpool2d: {size: 2}
    - conv2d: {filters: 4, kernel: [2, 3], stride: [1, 2], padding: 1, dilation: 1, groups: 2, activation: relu6}
    - avgpool2d: {size: 2, padding: 1, stride: 1}
    - conv2d: {filters: 3, kernel: 2, dilation: 2, bias: false}
    - global_avgpool: {}
    - dense: {units: 3}
""",
    "conv1d": """
data: {train: {inputs: {file: seq.npy}, targets: {file: y.npy}}}
model:
  input: [3, 12]
  layers:
    - conv1d: {filters: 4, kernel: 3, padding: same, activation: elu}
    - conv1d: {filters: 2, kernel: 3, stride: 2}
    - flatten: {}
    - reshape: {shape: [2, 5]}
    - flatten: {}
    - dense: {units: 3}
""",
    "sequence-ops": """
data: {train: {inputs: {file: seq.npy}, targets: {file: y.npy}}}
model:
  input: [3, 12]
  layers:
    - permute: {dims: [1, 0]}
    - rmsnorm: {}
    - permute: {dims: [1, 0], name: back}
    - conv1d: {filters: 4, kernel: 3, activation: tanh}
    - maxpool1d: {size: 3, stride: 2, padding: 1}
    - avgpool1d: {size: 2, padding: 1}
    - global_maxpool: {}
    - dense: {units: 3}
""",
    "image-ops": """
data: {train: {inputs: {file: img.npy}, targets: {file: y.npy}}, normalize: {inputs: standard}}
model:
  input: [2, 9, 9]
  layers:
    - conv_transpose2d: {filters: 4, kernel: 3, stride: 2, padding: 1, output_padding: 1, groups: 2, activation: relu}
    - groupnorm: {groups: 2}
    - maxpool2d: {size: 3}
    - upsample: {scale: 2, mode: bilinear}
    - upsample: {scale: [1, 2]}
    - conv_transpose2d: {filters: 2, kernel: [2, 3], bias: false}
    - global_avgpool: {}
    - dense: {units: 3}
""",
    "embedding": """
data: {train: {inputs: {file: idx.npy}, targets: {file: y.npy}}}
model:
  input: [4]
  layers:
    - embedding: {vocab: 7, dim: 3}
    - flatten: {}
    - dense: {units: 3}
""",
    "embedding-one-index": """
data: {train: {inputs: {file: idx.npy, columns: [0]}, targets: {file: y.npy}}}
model:
  input: [1]
  layers:
    - embedding: {vocab: 7, dim: 3}
    - dense: {units: 3}
""",
    "lstm": """
data: {train: {inputs: {file: idx.npy}, targets: {file: y.npy}}}
model:
  input: [4]
  layers:
    - embedding: {vocab: 7, dim: 3}
    - lstm: {units: 4, return_sequences: true}
    - layernorm: {}
    - lstm: {units: 3, bidirectional: true, return_sequences: true}
    - lstm: {units: 2, bidirectional: true}
    - dense: {units: 3}
""",
    "gru-rnn": """
data: {train: {inputs: {file: idx.npy}, targets: {file: y.npy}}}
model:
  input: [4]
  layers:
    - embedding: {vocab: 7, dim: 3}
    - gru: {units: 4, bidirectional: true, return_sequences: true}
    - rnn: {units: 3, return_sequences: true}
    - rnn: {units: 3, activation: relu, bidirectional: true, return_sequences: true}
    - gru: {units: 2}
    - dense: {units: 3}
""",
    "rnn-last": """
data: {train: {inputs: {file: seq.npy}, targets: {file: y.npy}}}
model:
  input: [36]
  layers:
    - reshape: {shape: [6, 6]}
    - rnn: {units: 5, bidirectional: true}
    - dense: {units: 3}
""",
    "attention": """
data: {train: {inputs: {file: idx.npy}, targets: {file: y.npy}}}
model:
  input: [4]
  layers:
    - embedding: {vocab: 7, dim: 6}
    - position_embedding: {max_length: 8}
    - sinusoidal_position: {}
    - attention: {heads: 2, causal: true, name: self}
    - layernorm: {name: normed}
    - permute: {dims: [1, 0]}
    - conv1d: {filters: 6, kernel: 2}
    - permute: {dims: [1, 0], name: memory}
    - attention: {heads: 3, inputs: [normed, memory], dropout: 0.1}
    - flatten: {}
    - dense: {units: 3}
""",
    "next-token": """
data: {train: {inputs: {file: pidx.npy}, targets: {file: next.npy}}}
model:
  input: [4]
  layers:
    - embedding: {vocab: 7, dim: 6, padding_index: 0}
    - gru: {units: 6, return_sequences: true}
    - attention: {heads: 2, causal: true}
    - dense: {units: 7}
train_loss: {cross_entropy: {ignore_index: -100}}
""",
    "padding-mean": """
data: {train: {inputs: {file: pidx.npy}, targets: {file: y.npy}}}
model:
  input: [4]
  layers:
    - embedding: {vocab: 7, dim: 6, padding_index: 0}
    - attention: {heads: 3}
    - permute: {dims: [1, 0]}
    - global_avgpool: {}
    - dense: {units: 3}
""",
    "series": """
data: {train: {series: {file: x.npy, columns: [0, 1]}, window: 4, horizon: 2}, validation: {split: 0.25}}
model:
  input: [4, 2]
  layers:
    - gru: {units: 3}
    - dense: {units: 2}
""",
    "lstm-last": """
data: {train: {inputs: {file: seq.npy}, targets: {file: y.npy}}}
model:
  input: [36]
  layers:
    - reshape: {shape: [6, 6]}
    - lstm: {units: 5}
    - dense: {units: 3}
""",
    "classifier-logits": """
data: {train: {inputs: {file: x.npy}, targets: {file: labels.npy}}, normalize: {inputs: standard}}
model:
  input: [6]
  layers:
    - dense: {units: 8, activation: relu}
    - dense: {units: 4}
train_loss: cross_entropy
""",
    "classifier-logsoftmax": """
data: {train: {inputs: {file: x.npy}, targets: {file: labels.npy}}}
model:
  input: [6]
  layers:
    - dense: {units: 4, activation: log_softmax}
train_loss: nll
""",
    # A table with an embedded and a one-hot categorical, a yes/no and an often empty numeric column;
    # class names as targets.
    "tabular-classes": """
data:
  train: {inputs: {file: table.csv}, targets: {column: kind}}
  types: {size: categorical, city: {categorical: {embedding: 3}}}
  missing: {strategy: mean, columns: {size: {constant: 2}}, indicator: true}
  normalize: {inputs: standard}
model:
  input: [11]
  layers:
    - dense: {units: 6, activation: tanh}
    - dense: {units: 3}
train_loss: cross_entropy
""",
    # Images listed by a CSV: gray and RGB PNGs of other sizes than the model's (converted and resized
    # by dnnc and by the PyTorch program's PIL path), streamed, augmented, with class names.
    "images-list": """
data:
  train: {images: images.csv, path: file, target: kind, stream: true}
  augment: [{random_crop: {size: 6, padding: 1}}, {flip: horizontal}, {rotate: 30}, {brightness: 0.3}]
  normalize: {inputs: standard}
model:
  input: [3, 6, 6]
  layers:
    - conv2d: {filters: 3, kernel: 3, padding: same, activation: relu}
    - flatten
    - dense: {units: 3}
train_loss: cross_entropy
""",
}
for k, act in enumerate(ACTIVATIONS):
    CATALOG[f"activation-{k:02d}"] = f"""
data: {{train: {{inputs: {{file: x.npy}}, targets: {{file: y.npy}}}}}}
model:
  input: [6]
  layers:
    - dense: {{units: 5, activation: {act}}}
    - dense: {{units: 3}}
"""


def write_catalog(folder):
    rng = np.random.default_rng(0)
    np.save(os.path.join(folder, "x.npy"), rng.normal(3, 2, (40, 6)).astype(np.float32))
    np.save(os.path.join(folder, "y.npy"), rng.normal(5, 3, (40, 3)).astype(np.float32))
    np.save(os.path.join(folder, "img.npy"), rng.normal(0, 1, (40, 2 * 81)).astype(np.float32))
    np.save(os.path.join(folder, "seq.npy"), rng.normal(0, 1, (40, 36)).astype(np.float32))
    np.save(os.path.join(folder, "idx.npy"), rng.integers(0, 7, (40, 4)).astype(np.float32))
    np.save(os.path.join(folder, "labels.npy"), rng.integers(0, 4, (40,)).astype(np.float32))
    # Tokens 1 to 6 ending in 0 to 2 padding tokens (0), and each position's next token (-100 after the end).
    tokens = rng.integers(1, 7, (40, 4))
    for r, pad in enumerate(rng.integers(0, 3, 40)):
        tokens[r, 4 - pad:] = 0
    following = np.where(np.roll(tokens, -1, axis=1) == 0, -100, np.roll(tokens, -1, axis=1))
    following[:, -1] = -100
    np.save(os.path.join(folder, "pidx.npy"), tokens.astype(np.float32))
    np.save(os.path.join(folder, "next.npy"), following.astype(np.float32))
    with open(os.path.join(folder, "table.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["city", "flag", "x", "size", "kind"])
        for r in range(40):
            x = "" if r % 5 == 0 else repr(float(np.float32(rng.normal(1, 2))))
            size = "" if r % 7 == 3 else str(int(rng.integers(1, 4)))
            w.writerow([["Paris", "Lyon", "Nice"][r % 3], ["yes", "no"][r % 2], x, size, ["a", "b", "c"][int(rng.integers(0, 3))]])
    # 24 small PNGs, written by hand (zlib and struct): 8×7 RGB and 5×5 gray, listed with class names.
    def png(width, height, channels, pixels):
        def chunk(kind, data):
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        rows = b"".join(b"\x00" + bytes(pixels[y * width * channels:(y + 1) * width * channels]) for y in range(height))
        header = struct.pack(">IIBBBBB", width, height, 8, 2 if channels == 3 else 0, 0, 0, 0)
        return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    os.makedirs(os.path.join(folder, "pictures"), exist_ok=True)
    with open(os.path.join(folder, "images.csv"), "w", newline="") as f:
        f.write("file,kind\n")
        for r in range(24):
            width, height, channels = (8, 7, 3) if r % 2 else (5, 5, 1)
            with open(os.path.join(folder, "pictures", f"{r}.png"), "wb") as image:
                image.write(png(width, height, channels, rng.integers(0, 256, width * height * channels).tolist()))
            f.write(f"pictures/{r}.png,{['a', 'b', 'c'][r % 3]}\n")
    specs = []
    for name, body in CATALOG.items():
        loss = "mse"
        if "train_loss:" in body:
            body, loss = body.split("train_loss:")
            loss = loss.strip()
        path = os.path.join(folder, name + ".yaml")
        with open(path, "w") as f:
            f.write(f"dnnc: 1\nname: {name}\nseed: 1\n{body.strip()}\n"
                    f"train: {{loss: {loss}, optimizer: {{sgd: {{lr: 0.01}}}}, epochs: 2, batch_size: 8}}\n")
        specs.append(path)
    return specs


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def check(dnnc, spec, work):
    name = os.path.splitext(os.path.basename(spec))[0]
    weights = os.path.join(work, name + ".safetensors")
    model_path = os.path.join(work, name + ".onnx")
    global DEPTH
    summary = run([dnnc, "summary", spec]).stdout
    DEPTH = int(summary.split(" layers")[0].rsplit(" ", 1)[-1]) if " layers" in summary else 1
    r = run([dnnc, "run", spec, "--epochs", "1", "--save", weights, "--log-format", "jsonl"])
    if r.returncode != 0:
        return f"dnnc run failed ({r.returncode}): {r.stderr.strip()[-400:]}"
    r = run([dnnc, "export", spec, "--to", "onnx", "--weights", weights, "-o", model_path])
    if r.returncode != 0:
        return f"dnnc export failed ({r.returncode}): {r.stderr.strip()}"
    model = onnx.load(model_path)
    onnx.checker.check_model(model, full_check=True)
    session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim[1:]]
    rng = np.random.default_rng(7)
    metadata = {p.key: p.value for p in model.metadata_props}
    if "dnnc_input_encoding" in metadata:
        # Raw columns: a CSV in another column order with an extra column, and one input per column.
        inputs, feed = raw_rows(json.loads(metadata["dnnc_input_encoding"]), rng, os.path.join(work, name + ".inputs.csv"))
        outputs = {o.name: v for o, v in zip(session.get_outputs(), session.run(None, feed))}
        return compare(dnnc, spec, weights, inputs, outputs, model, name, work)
    has_embedding = any(n.op_type == "Gather" for n in model.graph.node)
    if has_embedding:
        vocab = next(i for i in model.graph.initializer if i.name.endswith(".weight") and len(i.dims) == 2).dims[0]
        x = rng.integers(0, vocab, (100, *shape)).astype(np.float32)
        if any(n.op_type == "Equal" for n in model.graph.node):
            # A row of padding only attends to nothing: dnnc gives 0 where ONNX and PyTorch give nan.
            x[:, 0] = np.maximum(x[:, 0], 1)
    else:
        x = rng.normal(0, 2, (100, *shape)).astype(np.float32)
    inputs = os.path.join(work, name + ".inputs.npy")
    np.save(inputs, x.reshape(100, -1))
    outputs = {o.name: v for o, v in zip(session.get_outputs(), session.run(None, {"input": x}))}
    return compare(dnnc, spec, weights, inputs, outputs, model, name, work)


def raw_rows(encoding, rng, path):
    """100 raw rows for an encoded model: numbers near 0 (spread 2), categories of the training rows and
    one they never held, both values of a binary column, and empty cells where a column has a fill.
    Written as a CSV with the columns reversed and an `id` column first; returned with the ONNX feed."""
    columns = {}
    for c in encoding:
        if c["kind"] == "numeric":
            values = [repr(float(v)) for v in rng.normal(0, 2, 100).astype(np.float32)]
        else:
            pool = c["categories"] + (["never_seen"] if c["kind"] == "categorical" else [])
            values = [pool[k] for k in rng.integers(0, len(pool), 100)]
        if c["fill"] is not None:
            values = ["" if rng.random() < 0.15 else v for v in values]
        columns[c["name"]] = values
    order = list(reversed(list(columns)))
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id"] + order)
        for r in range(100):
            w.writerow([str(r + 1)] + [columns[c][r] for c in order])
    feed = {}
    for c in encoding:
        if c["kind"] == "numeric":
            feed[c["name"]] = np.array([[float(v) if v != "" else np.nan] for v in columns[c["name"]]], dtype=np.float32)
        else:
            feed[c["name"]] = np.array([[v] for v in columns[c["name"]]], dtype=object)
    return path, feed


def compare(dnnc, spec, weights, inputs, outputs, model, name, work):
    """dnnc predict (and the PyTorch program) on `inputs` against the ONNX graph's outputs."""
    raw_path = os.path.join(work, name + ".raw.npy")
    r = run([dnnc, "predict", spec, "--weights", weights, "--input", inputs, "--raw", "--output", raw_path])
    if r.returncode != 0:
        return f"dnnc predict failed: {r.stderr.strip()}"
    expected = np.load(raw_path)
    got = outputs["output"].reshape(100, -1)
    worst = check_close(got, expected)
    if worst is not None:
        return f"output differs: {worst}"
    if "probabilities" in outputs:
        proba_path = os.path.join(work, name + ".proba.npy")
        r = run([dnnc, "predict", spec, "--weights", weights, "--input", inputs, "--proba", "--output", proba_path])
        if r.returncode != 0:
            return f"dnnc predict --proba failed: {r.stderr.strip()}"
        table, scores = np.load(proba_path), expected
        if outputs["class"].ndim == 2:
            # A class per position: each position's class and probabilities, position after position.
            positions = outputs["class"].shape[1]
            grouped = table.reshape(100, positions, -1)
            table = np.concatenate([grouped[:, :, :1].reshape(100 * positions, 1), grouped[:, :, 1:].reshape(100 * positions, -1)], axis=1)
            scores = expected.reshape(100 * positions, -1)
            outputs = {**outputs, "probabilities": outputs["probabilities"].reshape(100 * positions, -1),
                       "class": outputs["class"].reshape(-1)}
        # Probabilities are a softmax of the outputs: within tolerance t_j of each other, the outputs
        # move p_i by at most p_i·(t_i + Σ_j p_j·t_j) ≤ 2·p_i·max_j t_j, which the comparison allows
        # beside its own tolerance (logits near 60 differ by 4e-5 within tolerance, and then so do
        # probabilities near 0.14 by 6e-6).
        expected_p = table[:, 1:]
        spread = 2 * expected_p * tolerance_of(scores).max(axis=1, keepdims=True)
        worst = check_close(outputs["probabilities"].reshape(len(expected_p), -1), expected_p, extra=spread)
        if worst is not None:
            return f"probabilities differ: {worst}"
        if not np.array_equal(outputs["class"], table[:, 0].astype(np.int64)):
            return "classes differ"
        # The string output and the metadata name each class as the checkpoint does.
        names = json.loads({p.key: p.value for p in model.metadata_props}["dnnc_classes"])
        names += [str(k) for k in range(len(names), int(outputs["class"].max()) + 1)]
        if [str(label) for label in outputs["label"].reshape(-1)] != [names[k] for k in outputs["class"].reshape(-1)]:
            return "labels differ from the class names"
    if PYTORCH:
        # The exported PyTorch program, loaded with the same checkpoint, on the same rows.
        program = os.path.join(work, name + ".py")
        r = run([dnnc, "export", spec, "--to", "pytorch", "-o", program])
        if r.returncode != 0:
            return f"dnnc export --to pytorch failed ({r.returncode}): {r.stderr.strip()}"
        torch_path = os.path.join(work, name + ".torch.npy")
        r = run([PYTORCH, program, "--init-from", weights, "--predict", inputs, "--output", torch_path],
                cwd=os.path.dirname(spec))
        if r.returncode != 0:
            return f"the PyTorch program failed: {r.stderr.strip()[-600:]}"
        worst = check_close(np.load(torch_path), expected, "pytorch")
        if worst is not None:
            return f"the PyTorch program's output differs: {worst}"
    return None


# Layers of the spec being checked (from `dnnc summary`): float32 rounding grows with depth.
DEPTH = 1


def tolerance_of(expected):
    """Relative 1e-5, plus 1e-6 of the largest output for values near cancellation, that absolute part
    scaled by depth / 8 past 8 layers. Measured on specs/sequence/arithmetic-lm.yaml (17 layers, two
    transformer blocks) against a float64 evaluation of the same weights: dnnc's largest error 1.8e-5 and
    ONNX Runtime's 1.5e-5 at outputs up to 11 (means 4.43e-7 and 4.43e-7), so the two float32 engines
    may differ by their sum, 3.3e-5 = 2.9e-6 of the largest output; rounding, not a fault of either."""
    return 1e-5 * np.abs(expected) + 1e-6 * max(1, DEPTH / 8) * max(np.abs(expected).max(), 1e-30)


def check_close(got, expected, engine="onnxruntime", extra=0):
    if got.shape != expected.shape:
        return f"shape {got.shape} against dnnc's {expected.shape}"
    tolerance = tolerance_of(expected) + extra
    bad = np.abs(got - expected) > tolerance
    if bad.any():
        i = np.unravel_index(np.argmax(np.abs(got - expected) / (tolerance + 1e-30)), got.shape)
        return f"at {i}: {engine} {got[i]!r}, dnnc {expected[i]!r} ({bad.sum()} values out of tolerance)"
    return None


PYTORCH = None


def main():
    global PYTORCH
    arguments = sys.argv[1:]
    if "--pytorch" in arguments:
        # Also run every spec's exported PyTorch program with this Python (it needs torch and numpy).
        k = arguments.index("--pytorch")
        PYTORCH = arguments[k + 1]
        del arguments[k:k + 2]
    sys.argv[1:] = arguments
    dnnc = os.path.abspath(sys.argv[1])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    failures = 0
    with tempfile.TemporaryDirectory() as work:
        specs = sys.argv[2:]
        if not specs:
            for top, _, files in os.walk(os.path.join(root, "specs")):
                specs += [os.path.join(top, f) for f in sorted(files) if f.endswith(".yaml")]
            specs = sorted(specs) + write_catalog(work)
        for spec in specs:
            try:
                problem = check(dnnc, spec, work)
            except Exception as error:  # onnx.checker and onnxruntime raise their own types
                problem = type(error).__name__ + ": " + str(error)
            label = os.path.relpath(spec, root) if spec.startswith(root) else os.path.basename(spec)
            print(f"{'ok  ' if problem is None else 'FAIL'} {label}" + ("" if problem is None else f": {problem}"))
            failures += problem is not None
    print(f"export check: {len(specs) - failures} of {len(specs)} specs match onnxruntime" + (" and the PyTorch program" if PYTORCH else ""))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
