// The fixed part of every exported PyTorch program: layers, dnnc's random streams and initializers,
// data loading, normalization, loss, learning rate, and the training loop. Each piece mirrors the
// Swift code it names, so that a run from the same parameters logs the same costs as `dnnc run`.

import DNNCore

enum PyTorchRuntime {
    static let source: String = #"""

# ---- Layers: PyTorch's layouts under dnnc's names ------------------------------------------------

def place(root, name, module):
    """Adds `module` at a dotted name (a block's layers are `block.layer`), making the parents."""
    *parents, leaf = name.split(".")
    for part in parents:
        if not hasattr(root, part):
            root.add_module(part, nn.Module())
        root = getattr(root, part)
    root.add_module(leaf, module)


class Layer(nn.Module):
    """A layer's own op followed by its activation; prelu's slopes are the parameter `prelu`."""

    def __init__(self, activation):
        super().__init__()
        self.activation = activation
        kind = activation[0]
"""# + Ops.activations.map { $0.pythonSetup }.filter { !$0.isEmpty }.map { "\n" + $0 }.joined() + "\n" + #"""

    def activate(self, z):
        kind = self.activation[0]
"""# + Ops.activations.map { "\n" + $0.pythonBranch }.joined() + "\n" + #"""
        raise ValueError(f"unknown activation {kind}")



"""# + Ops.layers.map { $0.pythonClass + "\n\n" }.joined(separator: "\n") + #"""

# ---- dnnc's random streams (Kernels/Random.swift): xoshiro256** seeded by SplitMix64 ------------

MASK = (1 << 64) - 1


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


class RandomStream:
    INITIALIZATION, SHUFFLING, DROPOUT, VALIDATION_SPLIT, AUGMENTATION = 0, 1, 2, 3, 5

    def __init__(self, seed, stream):
        x = (seed ^ ((stream * 0xD1B54A32D192ED03) & MASK)) & MASK
        self.s = []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & MASK
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
            self.s.append(z ^ (z >> 31))

    def next(self):
        s0, s1, s2, s3 = self.s
        result = (rotl((s1 * 5) & MASK, 7) * 9) & MASK
        t = (s1 << 17) & MASK
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        self.s = [s0, s1, s2, s3]
        return result

    def uniform(self):
        return (self.next() >> 11) * 2.0 ** -53

    def normal(self):
        u1 = 1.0 - self.uniform()
        u2 = self.uniform()
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)

    def index_below(self, bound):
        """Lemire's multiply-and-reject."""
        m = self.next() * bound
        if (m & MASK) < bound:
            threshold = ((-bound) & MASK) % bound
            while (m & MASK) < threshold:
                m = self.next() * bound
        return m >> 64


class DnncOrder(torch.utils.data.Sampler):
    """dnnc's order of the samples (Trainer.shuffle): before every epoch, when the spec shuffles, a
    Fisher–Yates pass over the previous epoch's order drawn from dnnc's shuffling stream."""

    def __init__(self, n, shuffle):
        self.order = list(range(n))
        self.shuffle = shuffle
        self.rng = RandomStream(SEED, RandomStream.SHUFFLING)

    def __len__(self):
        return len(self.order)

    def __iter__(self):
        if self.shuffle:
            for i in range(len(self.order) - 1, 0, -1):
                j = self.rng.index_below(i + 1)
                self.order[i], self.order[j] = self.order[j], self.order[i]
        return iter(list(self.order))

    def set_epoch(self, epoch):
        pass


def initialize(model):
    """dnnc's initial parameters for the spec's seed (Kernels/Initializers.swift), in dnnc's order."""
    rng = RandomStream(SEED, RandomStream.INITIALIZATION)
    state = model.state_dict()
    with torch.no_grad():
        for name, shape, init, fan_in, fan_out in PARAMETERS:
            n = math.prod(shape)
            kind = init[0]
            if kind in ("zeros", "ones", "constant"):
                values = np.full(n, {"zeros": 0.0, "ones": 1.0}.get(kind, init[-1]), dtype=np.float32)
            else:
                if kind == "uniform":
                    draw = lambda: init[1] + (init[2] - init[1]) * rng.uniform()
                elif kind == "normal":
                    draw = lambda: init[1] + init[2] * rng.normal()
                elif kind == "truncated_normal":
                    def draw():
                        z = rng.normal()
                        while abs(z) > 2:
                            z = rng.normal()
                        return init[1] + init[2] * z
                elif kind in ("glorot_uniform", "he_uniform"):
                    limit = math.sqrt(6.0 / (fan_in + fan_out if kind == "glorot_uniform" else fan_in))
                    draw = lambda: -limit + 2 * limit * rng.uniform()
                else:
                    stddev = math.sqrt(2.0 / (fan_in + fan_out if kind == "glorot_normal" else fan_in))
                    draw = lambda: stddev * rng.normal()
                values = np.array([draw() for _ in range(n)], dtype=np.float64).astype(np.float32)
            state[name].copy_(torch.from_numpy(values.reshape(shape)))


# ---- safetensors, read and written without the safetensors package ------------------------------

def load_safetensors(path):
    with open(path, "rb") as f:
        length = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(length))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise SystemExit(f"{path}: tensor {name} is {info['dtype']}; only F32 is read")
        start, end = info["data_offsets"]
        tensors[name] = torch.from_numpy(np.frombuffer(data[start:end], dtype="<f4").copy().reshape(info["shape"]))
    return tensors


def save_safetensors(tensors, path):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        blob = t.detach().cpu().contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    temporary = path + ".tmp"
    with open(temporary, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    os.replace(temporary, path)


def load_parameters(model, path):
    """A dnnc checkpoint (or one of these programs'): the model's tensors; training state is ignored."""
    tensors = {k: v for k, v in load_safetensors(path).items() if not k.startswith("dnnc_state.")}
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise SystemExit(f"{path} does not fit the model: missing {missing}, unexpected {unexpected}")


# ---- Data (Data/DataFiles.swift, IR/IRBuilder.swift) --------------------------------------------

def is_number(cell):
    try:
        return math.isfinite(float(cell))
    except ValueError:
        return False


def column_indices(columns, header, width):
    """Written columns (names, indices, `a..b` ranges of either, both ends included) as indices."""
    def one(c):
        return header.index(c) if isinstance(c, str) and not c.isdigit() else int(c)
    out = []
    for c in columns:
        if isinstance(c, str) and ".." in c and not (header and c in header):
            first, last = c.split("..")
            out += list(range(one(first), one(last) + 1))
        else:
            out.append(one(c))
    return out


def read_table(source, folder):
    """Rows of cells (numbers or class names) from inline rows or {file, columns}."""
    return read_columns(source, folder)[1]


def read_columns(source, folder):
    """The header of the columns read (None without one) and their rows, from inline rows or {file,
    columns}; `columns` may be a list or {exclude: [...]}."""
    if isinstance(source, list):
        return None, [row if isinstance(row, list) else [row] for row in source]
    path = os.path.join(folder, source["file"])
    columns = source.get("columns")
    if path.lower().endswith(".npy"):
        a = np.load(path)
        a = a.reshape(a.shape[0], -1)
        header, body = None, a.tolist()
    else:
        with open(path, newline="", encoding="utf-8") as f:
            records = [[c.strip() for c in row] for row in csv.reader(f) if any(c.strip() for c in row)]
        header = records[0] if any(not is_number(c) for c in records[0]) else None
        body = records[1:] if header else records
    if columns is not None:
        width = len(body[0]) if body else 0
        if isinstance(columns, dict):
            left = column_indices(columns["exclude"], header, width)
            index = [i for i in range(width) if i not in left]
        else:
            index = column_indices(columns, header, width)
        body = [[row[i] for i in index] for row in body]
        header = [header[i] for i in index] if header else None
    return header, body


def as_inputs(rows):
    return np.array([[np.float32(float(c)) for c in row] for row in rows], dtype=np.float32)


def category(cell):
    """A cell as a category: a number as dnnc's Format.number writes it (`3`, not `3.0`)."""
    if not is_number(cell):
        return cell
    x = float(cell)
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)


def encode(header, rows):
    """Input columns through dnnc's fitted encoding (Data/TabularEncoder.swift), read by header name:
    numeric as is, binary 0 or 1, categorical one-hot with a last slot for an unseen category, an empty
    cell filled, and a 0/1 indicator after a column that had empty cells in training; an embedded
    categorical column is its slot, which the model's ColumnEmbedding looks up."""
    if ENCODING is None:
        return as_inputs(rows)
    index = [header.index(c["name"]) for c in ENCODING]
    out = []
    for row in rows:
        values = []
        for c, k in zip(ENCODING, index):
            cell, slots = row[k], len(c["categories"]) + 1
            one_hot = c["kind"] == "categorical" and c.get("embedding") is None
            if cell == "":
                if c["fill"] is None:
                    raise ValueError(f"the `{c['name']}` cell is empty")
                values += [float(s == int(c["fill"])) for s in range(slots)] if one_hot else [c["fill"]]
            elif c["kind"] == "numeric":
                values.append(float(cell))
            elif c["kind"] == "binary":
                values.append(float(c["categories"].index(category(cell))))
            else:
                text = category(cell)
                slot = c["categories"].index(text) if text in c["categories"] else slots - 1
                values += [float(s == slot) for s in range(slots)] if one_hot else [float(slot)]
            if c["indicator"]:
                values.append(float(cell == ""))
        out.append(values)
    return np.array(out, dtype=np.float32).reshape((len(rows),) + INPUT_SHAPE)


def as_targets(rows):
    if CLASSES is not None and len(rows[0]) == 1:
        return np.array([[CLASSES.index(r[0]) if not is_number(r[0]) else float(r[0])] for r in rows], dtype=np.float32)
    return as_inputs(rows)


def text_windows(record, folder):
    """A text's windows of `context` characters every `stride` (TextCorpus.swift): the characters as
    indices into CLASSES (the training text's), with the next character of every position when the
    output is [context, classes], else the window's next one."""
    with open(os.path.join(folder, record["text"]), encoding="utf-8", newline="") as f:
        text = f.read()
    index = {c: k for k, c in enumerate(CLASSES)}
    missing = next((c for c in text if c not in index), None)
    if missing is not None:
        raise ValueError(f"{record['text']}: {missing!r} is not a character of the training text")
    ids = [index[c] for c in text]
    context, stride = record["context"], record.get("stride", 1)
    per_position = len(OUTPUT_SHAPE) >= 2 and math.prod(OUTPUT_SHAPE[:-1]) == context
    starts = range(0, max(len(ids) - context, 0), stride)
    x = np.array([ids[s:s + context] for s in starts], dtype=np.float32)
    y = np.array([ids[s + 1:s + context + 1] if per_position else [ids[s + context]] for s in starts], dtype=np.float32)
    return x, y


def series_windows(record, folder):
    """A series' windows of `window` rows every `stride`, each with its target columns `horizon` rows after
    the window's last (IRBuilder.series)."""
    header, table = read_columns(record["series"], folder)
    rows = as_inputs(table)
    window, horizon, stride = record["window"], record.get("horizon", 1), record.get("stride", 1)
    targets = record.get("targets")
    columns = list(range(rows.shape[1])) if targets is None else column_indices(targets, header, rows.shape[1])
    starts = range(0, len(rows) - window - horizon + 1, stride)
    x = np.array([rows[s:s + window].reshape(-1) for s in starts], dtype=np.float32)
    y = np.array([rows[s + window + horizon - 1, columns] for s in starts], dtype=np.float32)
    return x, y


IMAGE_ENDINGS = (".png", ".jpg", ".jpeg")


def image_rows(paths):
    """Images as dnnc reads them (Data/ImageFiles.swift): PIL's convert("L") or convert("RGB"), v / 255,
    resized as torch's bilinear interpolate (align_corners=False) when not the model's H × W."""
    from PIL import Image
    c, h, w = INPUT_SHAPE
    rows = np.zeros((len(paths), c * h * w), dtype=np.float32)
    for i, path in enumerate(paths):
        with Image.open(path) as image:
            array = np.asarray(image.convert("L" if c == 1 else "RGB"), dtype=np.float32) / 255
        x = torch.from_numpy(array.reshape(array.shape[0], array.shape[1], -1)).permute(2, 0, 1)[None]
        if x.shape[2:] != (h, w):
            x = F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False)
        rows[i] = x.reshape(-1).numpy()
    return rows


def image_set(record, folder):
    """`{images: folder}`: class subfolders, sorted, their images at any depth sorted by path (hidden
    files skipped); or `{images: list.csv, path, target}` (Data/ImageSet.swift)."""
    where = os.path.join(folder, record["images"])
    if record["images"].lower().endswith(".csv"):
        with open(where, newline="", encoding="utf-8-sig") as f:
            table = [row for row in csv.reader(f) if any(c.strip() for c in row)]
        header, body = table[0], table[1:]
        path = column_indices([record.get("path", 0)], header, len(header))[0]
        target = column_indices([record.get("target", 1)], header, len(header))[0]
        paths = [os.path.join(os.path.dirname(where), row[path]) for row in body]
        labels = [row[target] for row in body]
        y = [[float(v)] if is_number(v) else [CLASSES.index(v)] for v in labels]
    else:
        paths, y = [], []
        classes = sorted(d for d in os.listdir(where) if not d.startswith(".") and os.path.isdir(os.path.join(where, d)))
        for name in classes:
            found = []
            for root, dirs, files in os.walk(os.path.join(where, name)):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                relative = os.path.relpath(root, os.path.join(where, name))
                for f in files:
                    if not f.startswith(".") and f.lower().endswith(IMAGE_ENDINGS):
                        found.append(f if relative == "." else relative + "/" + f)
            paths += [os.path.join(where, name, f) for f in sorted(found)]
            y += [[CLASSES.index(name)]] * len(found)
    return image_rows(paths), np.array(y, dtype=np.float32)


def augment_sample(x, rng):
    """One sample [C, H, W] changed as dnnc's Augmentation.draw and .transform change it, in float32."""
    c, h, w = x.shape
    for kind, *args in AUGMENT:
        if kind == "random_crop":
            ch, cw, p = args
            top = rng.index_below(h + 2 * p - ch + 1)
            left = rng.index_below(w + 2 * p - cw + 1)
            padded = np.zeros((c, h + 2 * p, w + 2 * p), dtype=np.float32)
            padded[:, p:p + h, p:p + w] = x
            x = padded[:, top:top + ch, left:left + cw].copy()
        elif kind == "flip":
            if rng.uniform() < 0.5:
                x = x[:, :, ::-1].copy() if args[0] else x[:, ::-1, :].copy()
        elif kind == "rotate":
            angle = (rng.uniform() * 2 - 1) * args[0] * math.pi / 180
            cosine, sine = np.float32(math.cos(angle)), np.float32(math.sin(angle))
            cx, cy = np.float32(w - 1) / np.float32(2), np.float32(h - 1) / np.float32(2)
            dy, dx = np.meshgrid(np.arange(h, dtype=np.float32) - cy, np.arange(w, dtype=np.float32) - cx, indexing="ij")
            sx = np.rint(cosine * dx - sine * dy + cx).astype(np.int64)
            sy = np.rint(sine * dx + cosine * dy + cy).astype(np.int64)
            inside = (sx >= 0) & (sx < w) & (sy >= 0) & (sy < h)
            x = np.where(inside[None], x[:, np.clip(sy, 0, h - 1), np.clip(sx, 0, w - 1)], np.float32(0))
        elif kind == "brightness":
            low = max(0.0, 1 - args[0])
            factor = np.float32(low + rng.uniform() * (1 + args[0] - low))
            x = np.clip(x * factor, 0, np.float32(PIXEL_MAX) if PIXEL_MAX is not None else np.inf).astype(np.float32)
    return x


def pixel_max(record, folder):
    """The largest value a set's pixels are read as (DataTable.pixelMax): 1 for image files, 255 for a
    uint8 .npy, None for other data."""
    if "images" in record:
        return 1
    inputs = record.get("inputs")
    if isinstance(inputs, dict) and inputs.get("file", "").lower().endswith(".npy"):
        return 255 if np.load(os.path.join(folder, inputs["file"]), mmap_mode="r").dtype == np.uint8 else None
    return None


def at_pixel_scale(x, source, target):
    """DataTable.rescalePixels: pixels read at one scale (1: image files, v / 255; 255: a uint8 .npy, v)
    brought to another; other data as it is."""
    if source is None or target is None or source == target:
        return x
    x = np.asarray(x, dtype=np.float32)
    return x / np.float32(source / target) if target < source else x * np.float32(target / source)


def load_data(folder):
    """The training and validation sets as dnnc builds them, the split drawn by dnnc's stream 3."""
    def load(record):
        if isinstance(record.get("targets"), dict) and "column" in record["targets"]:
            # One column of the inputs' file; the inputs read the others unless they say.
            inputs = dict(record["inputs"])
            inputs.setdefault("columns", {"exclude": [record["targets"]["column"]]})
            targets = {"file": inputs["file"], "columns": [record["targets"]["column"]]}
            record = {"inputs": inputs, "targets": targets}
        if "text" in record:
            return text_windows(record, folder)
        if "series" in record:
            return series_windows(record, folder)
        if "images" in record:
            return image_set(record, folder)
        return encode(*read_columns(record["inputs"], folder)), as_targets(read_table(record["targets"], folder))

    train = load(DATA["train"])
    validation = DATA.get("validation")
    if validation is None:
        return train, None
    if "split" not in validation:
        # Pixels of the other kind than the training set's are read at its scale, as dnnc reads them.
        x, y = load(validation)
        return train, (at_pixel_scale(x, pixel_max(validation, folder), PIXEL_MAX), y)
    n = len(train[0])
    held = int(math.floor(n * validation["split"] + 0.5))
    order = list(range(n))
    if "series" in DATA["train"]:
        # A series holds out its last windows, in time order.
        order = order[n - held:] + order[:n - held]
    else:
        rng = RandomStream(SEED, RandomStream.VALIDATION_SPLIT)
        for i in range(n - 1, 0, -1):
            j = rng.index_below(i + 1)
            order[i], order[j] = order[j], order[i]
    kept, out = sorted(order[held:]), sorted(order[:held])
    return (train[0][kept], train[1][kept]), (train[0][out], train[1][out])


class Normalizer:
    """Per column, fitted on the training set in float64 (Data/Normalizer.swift)."""

    def __init__(self, kind, data, scaled=None):
        self.kind = kind
        columns = data.reshape(len(data), -1).astype(np.float64).T
        self.shift = np.zeros(len(columns))
        self.scale = np.ones(len(columns))
        for j, column in enumerate(columns):
            if scaled is not None and not scaled[j]:
                continue  # an encoded one-hot or 0/1 value
            values = column.tolist()
            if kind == "standard":
                mean = sum(values) / len(values)
                variance = sum((v - mean) * (v - mean) for v in values) / len(values)
                self.shift[j], self.scale[j] = mean, (math.sqrt(variance) if variance > 0 else 1.0)
            elif kind == "minmax":
                lo, hi = min(values), max(values)
                self.shift[j], self.scale[j] = lo, (hi - lo if hi > lo else 1.0)

    def apply(self, data):
        if self.kind == "none":
            return data
        flat = data.reshape(len(data), -1).astype(np.float64)
        return ((flat - self.shift) / self.scale).astype(np.float32).reshape(data.shape)


# ---- Loss (Ops/Losses), optimizer (Ops/Optimizers) and learning rate (Ops/Schedules, LearningRate.swift)

def loss_function(out, target):
    kind, reduction = LOSS["kind"], LOSS["reduction"]
"""# + Ops.losses.map { "\n" + $0.pythonBranch }.joined() + "\n" + #"""
    raise ValueError(f"unknown loss {kind}")


def penalty(model):
    """l1·Σ|w| + l2·Σw² of the layers that declare them (none unless the spec sets l1 or l2)."""
    total = 0.0
    for name, l1, l2 in PENALTIES:
        w = model.get_parameter(name + ".weight")
        total = total + l1 * w.abs().sum() + l2 * (w * w).sum()
    return total


def make_optimizer(spec, parameters):
    kind = spec["kind"]
"""# + Ops.optimizers.map { "\n" + $0.pythonBranch }.joined() + "\n" + #"""
    raise ValueError(f"unknown optimizer {kind}")


class LearningRate:
    """The lr of every batch as dnnc computes it: the phase's lr times the schedule's factor of the spec
    optimizer's lr (closed forms of torch.optim.lr_scheduler's schedules), times a linear warmup."""

    def __init__(self, base, schedule, warmup, total_steps):
        self.base, self.schedule, self.warmup, self.total_steps = base, schedule, warmup, total_steps
        self.plateau, self.best, self.bad_epochs = 1.0, math.inf, 0

    def factor(self, epoch, step):
        s, base = self.schedule, self.base
        kind = s[0]
"""# + Ops.schedules.map { "\n" + $0.pythonBranch }.joined() + "\n" + #"""
        raise ValueError(f"unknown schedule {kind}")

    def rate(self, lr, epoch, step):
        rate = lr * self.factor(epoch, step)
        if self.warmup > 0 and step < self.warmup:
            rate *= (step + 1) / self.warmup
        return rate

    def observe(self, value):
        if self.schedule[0] != "reduce_on_plateau" or not math.isfinite(value):
            return
        _, _, factor, patience, threshold, min_lr = self.schedule
        if value < self.best * (1 - threshold):
            self.best, self.bad_epochs = value, 0
        else:
            self.bad_epochs += 1
            if self.bad_epochs > patience:
                self.plateau = max(self.plateau * factor, min_lr / self.base)
                self.bad_epochs = 0


# ---- Training ------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=f"Train {NAME} as its dnnc spec says.")
    parser.add_argument("--init-from", help="start from these parameters (.safetensors) instead of dnnc's initializers")
    parser.add_argument("--save", help="write the trained parameters to this .safetensors file (rank 0)")
    parser.add_argument("--max-epochs", type=int, help="stop after this many epochs (the schedule still spans the spec's)")
    parser.add_argument("--log-every", type=int, default=SCHEDULE["log_every"], help="log the cost every N epochs")
    parser.add_argument("--log-format", choices=["text", "jsonl"], default="text")
    parser.add_argument("--predict", metavar="INPUTS",
                        help="instead of training: write the model's outputs for these input rows (.npy, or .csv read by header name) with --init-from's parameters to --output")
    parser.add_argument("--output", help="the .npy file --predict writes: the targets' units, or a classifier's scores")
    parser.add_argument("--torch-random", action="store_true",
                        help="shuffle and draw dropout masks with torch's generators (faster; the costs then differ from dnnc's)")
    parser.add_argument("--data-folder", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), DATA_FOLDER),
                        help="the folder the spec's data files are relative to")
    parser.add_argument("--device", default="auto", help="auto (a GPU when there is one, else the CPU), cpu, cuda or cuda:N")
    parser.add_argument("--accumulate", type=int, default=1, metavar="N",
                        help="accumulate the gradients of N batches before each step: the same updates as a batch N times larger")
    parser.add_argument("--amp", choices=["bf16", "fp16"],
                        help="mixed precision: the forward pass in bfloat16, or float16 with a gradient scaler (the costs then differ from dnnc's)")
    args = parser.parse_args()
    if args.accumulate < 1:
        parser.error("--accumulate takes a count of at least 1")

    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if distributed:
        dist.init_process_group(backend="nccl" if torch.cuda.is_available() else "gloo")
        rank, world = dist.get_rank(), dist.get_world_size()
        local = int(os.environ.get("LOCAL_RANK", "0"))
        device = torch.device("cuda", local) if torch.cuda.is_available() else torch.device("cpu")
        if device.type == "cuda":
            torch.cuda.set_device(device)
    else:
        rank, world = 0, 1
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else torch.device(args.device)
    if rank == 0:
        name = f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else ""
        print(f"device: {device}{name}" + (f", {world} processes" if distributed else ""), file=sys.stderr, flush=True)
    torch.manual_seed(SEED)
    dnnc_random = not distributed and not args.torch_random
    if dnnc_random:
        Dropout.stream = RandomStream(SEED, RandomStream.DROPOUT)

    (x, y), validation = load_data(args.data_folder)
    inputs = Normalizer(NORMALIZE["inputs"], x, INPUT_SCALED)
    targets = Normalizer(NORMALIZE["targets"], y)
    # With data.augment the samples stay as read: each batch is augmented, then normalized.
    x = torch.from_numpy((x if AUGMENT else inputs.apply(x)).reshape((len(x),) + INPUT_SHAPE))
    augmenter = RandomStream(SEED, RandomStream.AUGMENTATION)
    y = torch.from_numpy(targets.apply(y))
    if validation is not None:
        vx = torch.from_numpy(inputs.apply(validation[0]).reshape((len(validation[0]),) + INPUT_SHAPE)).to(device)
        vy = torch.from_numpy(targets.apply(validation[1])).to(device)

    model = Model()
    if args.init_from:
        load_parameters(model, args.init_from)
    else:
        initialize(model)
    if args.predict:
        # Inference as `dnnc predict --raw`: normalized inputs in, outputs in the targets' units.
        # A .npy of the model's input values, or a CSV of raw columns read by header name (encoded as dnnc does).
        if args.predict.lower().endswith(".csv"):
            header, body = read_columns({"file": os.path.abspath(args.predict)}, "")
            rows = encode(header, body) if ENCODING is not None else as_inputs(body)
        else:
            array = np.load(args.predict)
            # A uint8 .npy holds pixels 0 to 255: at the training set's scale, as `dnnc predict` reads them.
            rows = at_pixel_scale(array.astype(np.float32), 255 if array.dtype == np.uint8 else None, PIXEL_MAX)
        model.eval()
        with torch.no_grad():
            out = model(torch.from_numpy(inputs.apply(rows).reshape((len(rows),) + INPUT_SHAPE))).numpy()
        out = out.reshape(len(rows), -1).astype(np.float64)
        if targets.kind != "none":
            out = out * targets.scale + targets.shift
        np.save(args.output or "predictions.npy", out.astype(np.float32))
        return
    model.to(device)
    net = nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None) if distributed else model

    dataset = torch.utils.data.TensorDataset(x, y)
    if dnnc_random:
        sampler = DnncOrder(len(dataset), SCHEDULE["shuffle"])
    else:
        sampler = torch.utils.data.distributed.DistributedSampler(dataset, num_replicas=world, rank=rank,
                                                                  shuffle=SCHEDULE["shuffle"], seed=SEED)
    batch = max(1, -(-SCHEDULE["batch_size"] // world))
    # --accumulate N: batches of the spec's size, N of them to a step, as one batch N times larger
    # would be cut (and counted by the schedule: a step is an update).
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch, sampler=sampler)
    epochs = SCHEDULE["epochs"]
    steps_per_epoch = -(-len(loader) // args.accumulate)
    amp = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(args.amp)
    scaler = torch.cuda.amp.GradScaler() if args.amp == "fp16" and device.type == "cuda" else None
    rate = LearningRate(OPTIMIZER["lr"], SCHEDULE["learning_rate"], SCHEDULE["warmup"], steps_per_epoch * epochs)
    phases = SCHEDULE["phases"] or [{"epochs": epochs, "optimizer": OPTIMIZER, "frozen": []}]
    early = SCHEDULE["early_stopping"]
    best_value, best_state, waited = math.inf, None, 0
    phase_end, phase_index, step = 0, -1, 0
    width = len(str(max(epochs - 1, 0)))

    def evaluate():
        model.eval()
        with torch.no_grad():
            total = 0.0
            size = SCHEDULE["batch_size"]  # dnnc evaluates in batches of the training batch's size
            # A mean weighs each batch by its rows, or by its targets counted when the loss ignores some.
            counted = lambda y: float((y != LOSS["ignore_index"]).sum()) if "ignore_index" in LOSS else len(y)
            whole = counted(vy)
            for start in range(0, len(vx), size):
                loss = loss_function(model(vx[start:start + size]), vy[start:start + size]) + penalty(model)
                total += float(loss) * (1 if LOSS["reduction"] == "sum" else counted(vy[start:start + size]) / whole)
        model.train()
        return total

    last = min(epochs, args.max_epochs or epochs)
    for epoch in range(last):
        while epoch >= phase_end and phase_index + 1 < len(phases):
            phase_index += 1
            phase = phases[phase_index]
            phase_end += phase["epochs"]
            optimizer = make_optimizer(phase["optimizer"], net.parameters())
            frozen = [p for name, p in model.named_parameters() if name.rsplit(".", 1)[0] in phase["frozen"]]
        sampler.set_epoch(epoch)
        model.train()
        cost = torch.zeros((), dtype=torch.float64, device=device)
        batches = iter(loader)
        while True:
            group = [b for _, b in zip(range(args.accumulate), batches)]
            if not group:
                break
            lr = rate.rate(phase["optimizer"]["lr"], epoch, step)
            for parameters in optimizer.param_groups:
                parameters["lr"] = lr
            optimizer.zero_grad()
            # Each batch's mean loss weighs by its share of the group's rows (a sum loss adds up), so the
            # gradient is the larger batch's; the penalty counts once per step.
            # The last batch's backward carries the penalty: with one batch, the step is the loss and penalty's.
            rows = sum(len(yb) for _, yb in group)
            loss = 0.0
            for k, (xb, yb) in enumerate(group):
                if AUGMENT:
                    xb = np.stack([augment_sample(sample, augmenter) for sample in xb.numpy()])
                    xb = torch.from_numpy(inputs.apply(xb))
                xb, yb = xb.to(device), yb.to(device)
                with torch.autocast(device_type=device.type, dtype=amp, enabled=amp is not None):
                    part = loss_function(net(xb).float(), yb) * (1 if LOSS["reduction"] == "sum" else len(yb) / rows)
                if k == len(group) - 1:
                    part = part + penalty(model)
                (scaler.scale(part) if scaler else part).backward()
                loss = loss + part.detach()
            if scaler:
                scaler.unscale_(optimizer)
            if SCHEDULE["clip"] is not None:
                kind, limit = SCHEDULE["clip"]
                if kind == "norm":
                    torch.nn.utils.clip_grad_norm_(model.parameters(), limit)
                else:
                    torch.nn.utils.clip_grad_value_(model.parameters(), limit)
            kept = [p.detach().clone() for p in frozen]
            if scaler:
                scaler.step(optimizer)
                scaler.update()
            else:
                optimizer.step()
            with torch.no_grad():
                for p, value in zip(frozen, kept):
                    p.copy_(value)
            cost += loss.detach().double()
            step += 1
        if distributed:
            # Each process summed its share of every batch; a mean loss averages them.
            dist.all_reduce(cost)
            if LOSS["reduction"] == "mean":
                cost /= world
        cost = float(cost)
        validation_loss = evaluate() if validation is not None and (epoch % SCHEDULE["validate_every"] == 0 or epoch == epochs - 1) else None
        monitored = lambda name: validation_loss if name == "val_loss" else cost
        if SCHEDULE["learning_rate"][0] == "reduce_on_plateau" and monitored(SCHEDULE["learning_rate"][1]) is not None:
            rate.observe(monitored(SCHEDULE["learning_rate"][1]))
        stop = False
        if early is not None and monitored(early["monitor"]) is not None:
            value = monitored(early["monitor"])
            if value < best_value - early["min_delta"]:
                best_value, waited = value, 0
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()} if early["restore_best"] else None
            else:
                waited += 1
                stop = waited >= early["patience"]
        if rank == 0 and (epoch % args.log_every == 0 or epoch == epochs - 1 or epoch == last - 1 or stop):
            if args.log_format == "jsonl":
                entry = {"epoch": epoch, "cost": cost, "lr": lr}
                if validation_loss is not None:
                    entry["val_loss"] = validation_loss
                print(json.dumps(entry), flush=True)
            else:
                line = f"epoch {epoch:>{width}}  cost {cost:#.6g}"
                print(line + (f"  val_loss {validation_loss:#.6g}" if validation_loss is not None else ""), flush=True)
        if stop:
            if best_state is not None:
                model.load_state_dict(best_state)
            break
    if args.save and rank == 0:
        save_safetensors({k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}, args.save)
    if distributed:
        # Every rank done (rank 0 has saved) before any tears the group down: a rank that destroys it
        # while its peer still works can leave gloo's threads to abort the process (exit -6).
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
"""#
}
