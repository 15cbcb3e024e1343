// The spec as one readable PyTorch program: the spec's values as Python literals, an nn.Module whose
// layers have the IR's names and PyTorch's layouts (so a dnnc checkpoint loads with load_state_dict),
// then a fixed runtime (PyTorchRuntime.swift): dnnc's random streams and initializers, its data
// loading and normalization, the loss, optimizer and learning-rate schedule, and a training loop that
// runs plainly or under torchrun with DistributedDataParallel.

import DNNCore
import Foundation

public enum PyTorchExport {
    /// The program for `model`, to be saved as `fileName`; `data` is the spec's `data` section,
    /// `dataFolder` the folder its file paths are relative to, as seen from the program's folder.
    public static func program(_ model: ModelIR, data: DataSection, specPath: String, fileName: String, dataFolder: String) -> String {
        var out = """
            #!/usr/bin/env python3
            \"\"\"\(Escape.pythonBody(model.name)): a PyTorch program exported by dnnc \(DNNCVersion.current) from \(Escape.pythonBody(specPath)).

            It trains the spec's model as `dnnc run` does: the same layers (names and layouts, so a dnnc
            checkpoint loads with load_state_dict), initializers and random streams, data, normalization,
            loss, optimizer, learning-rate schedule, phases, clipping and early stopping.

              python \(Escape.pythonBody(fileName)) [--init-from FILE.safetensors] [--save FILE.safetensors]
              torchrun --nproc_per_node N \(Escape.pythonBody(fileName)) ...      # DistributedDataParallel on N processes
              torchrun --nnodes M --node_rank R --master_addr HOST --master_port PORT --nproc_per_node N \(Escape.pythonBody(fileName)) ...
              python \(Escape.pythonBody(fileName)) --init-from FILE.safetensors --predict INPUTS.npy --output OUT.npy

            On one process it draws the initial parameters, the validation split, the shuffling and
            dropout from dnnc's random streams, so it logs dnnc's costs (--torch-random: torch's
            generators). Under torchrun the spec's batch_size is the global batch, split among the
            processes, and DistributedSampler and dropout draw from torch's generators. Needs torch and numpy.
            \"\"\"

            import argparse, csv, json, math, os, struct, sys

            import numpy as np
            import torch
            import torch.distributed as dist
            import torch.nn as nn
            import torch.nn.functional as F

            # ---- The spec ---------------------------------------------------------------------------

            NAME = \(py(model.name))
            SEED = \(model.seed)
            DATA = \(py(.record(data.checked)))
            DATA_FOLDER = \(py(dataFolder))  # relative to this file's folder
            CLASSES = \(model.classes.map { "[" + $0.map(py).joined(separator: ", ") + "]" } ?? "None")
            # The input columns' encoding dnnc fitted on the training rows (Data/TabularEncoder.swift); None: numbers as read.
            ENCODING = \(model.encoder.map { "json.loads(" + py($0.json.compact) + ")" } ?? "None")
            # Per encoded input: whether normalize.inputs scales it (a numeric column's value; None: all).
            INPUT_SCALED = \(model.encoder.map { "[" + $0.scaled.map(pyBool).joined(separator: ", ") + "]" } ?? "None")
            NORMALIZE = {"inputs": \(py(model.inputNormalization.rawValue)), "targets": \(py(model.appliedTargetNormalization.rawValue))}
            INPUT_SHAPE = \(pyTuple(model.inputShape))
            # data.augment (Data/Augmentation.swift), applied to each training sample before normalization;
            # PIXEL_MAX bounds brightness (1 for image files, 255 for uint8 arrays; None: unbounded).
            AUGMENT = [\(model.augmentations.map(\.python).joined(separator: ", "))]
            PIXEL_MAX = \(model.pixelMax.map { "\($0)" } ?? "None")
            OUTPUT_SHAPE = \(pyTuple(model.layers.last!.outputShape))
            LOSS = \(model.loss.python)
            OPTIMIZER = \(optimizer(model.optimizer))
            SCHEDULE = {
                "epochs": \(model.schedule.epochs), "batch_size": \(model.schedule.batchSize), "shuffle": \(pyBool(model.schedule.shuffle)),
                "log_every": \(model.schedule.logEvery), "warmup": \(model.schedule.warmup), "validate_every": \(model.schedule.validateEvery),
                "learning_rate": \(model.schedule.learningRate.rule.python),
                "clip": \(clip(model.schedule.clip)),
                "early_stopping": \(early(model.schedule.earlyStopping)),
                "phases": [\(model.schedule.phases.map { phase in
                    "{\"epochs\": \(phase.epochs), \"optimizer\": \(optimizer(phase.optimizer)), \"frozen\": [" + phase.frozen.map { py(model.layers[$0].name) }.joined(separator: ", ") + "]}"
                }.joined(separator: ", "))],
            }
            # Layers whose weights are penalized in the loss: name, l1, l2.
            PENALTIES = [\(model.layers.filter { $0.l1 != 0 || $0.l2 != 0 }.map { "(\(py($0.name)), \(py($0.l1)), \(py($0.l2)))" }.joined(separator: ", "))]
            # Every tensor in dnnc's order: name, shape, initializer, fan_in, fan_out.
            PARAMETERS = [

            """
        for p in model.parameters {
            out += "    (\(py(p.name)), \(pyTuple(p.shape)), \(initializer(p.initializer)), \(p.fanIn), \(p.fanOut)),\n"
        }
        out += "]\n\n\n"
        out += "class Model(nn.Module):\n"
        out += "    \"\"\"\(Escape.pythonBody(model.name)): \(model.layers.count) layers, input \(model.inputShape), output \(model.layers.last!.outputShape).\"\"\"\n\n"
        out += "    def __init__(self):\n        super().__init__()\n"
        for layer in model.layers {
            out += "        place(self, \(py(layer.name)), \(module(layer)))\n"
        }
        out += "\n    def forward(self, x):\n"
        // The embedding's padding: which tokens the layers that leave padding out skip.
        if let padding = model.layers.lazy.compactMap(\.kind.padding).first {
            out += "        padding = x == \(padding.index)  # the embedding's padding_index\n"
        }
        var names: [String] = []
        for (l, step) in model.plan.steps.enumerated() {
            let layer = step.layer, variable = "h\(l)"
            let inputs = step.reads.map { read in
                switch read.value {
                case .input: "x"
                case .output(let s): names[s]
                }
            }
            let arguments = inputs + (layer.kind.readsPadding ? ["padding=padding"] : [])
            out += "        \(variable) = self.get_submodule(\(py(layer.name)))(\(arguments.joined(separator: ", ")))  # \(layer.kind.name) → \(layer.outputShape)\n"
            names.append(variable)
        }
        out += "        return \(names.last!)\n\n"
        out += PyTorchRuntime.source
        return out
    }

    // MARK: Python literals

    static func py(_ s: String) -> String { Python.string(s) }
    static func py(_ x: Double) -> String { Python.number(x) }
    static func py(_ x: Float) -> String { Python.number(x) }
    static func pyBool(_ b: Bool) -> String { Python.bool(b) }
    static func pyTuple(_ v: [Int]) -> String { Python.tuple(v) }

    static func py(_ value: SpecValue.Content) -> String {
        switch value {
        case .int(let i): return String(i)
        case .number(let x): return py(x)
        case .bool(let b): return pyBool(b)
        case .string(let s): return py(s)
        case .list(let items): return "[" + items.map { py($0.content) }.joined(separator: ", ") + "]"
        case .record(let r): return "{" + r.order.compactMap { key in r[key].map { py(key) + ": " + py($0.content) } }.joined(separator: ", ") + "}"
        case .choice(let c): return "{" + py(c.kind) + ": " + py(.record(c.params)) + "}"
        case .matrix(let m): return "[" + m.rows.map { "[" + $0.map(py).joined(separator: ", ") + "]" }.joined(separator: ", ") + "]"
        // Only a block's layers hold these, which the program does not print.
        case .placeholder(let name): return py("${\(name)}")
        case .binding(_, let node): return py(node.scalarText ?? "")
        }
    }

    static func initializer(_ i: Initializer) -> String {
        switch i {
        case .zeros: "(\"zeros\",)"
        case .ones: "(\"ones\",)"
        case .constant(let v): "(\"constant\", \(py(v)))"
        case .uniform(let low, let high): "(\"uniform\", \(py(low)), \(py(high)))"
        case .normal(let mean, let stddev): "(\"normal\", \(py(mean)), \(py(stddev)))"
        case .truncatedNormal(let mean, let stddev): "(\"truncated_normal\", \(py(mean)), \(py(stddev)))"
        case .glorotUniform: "(\"glorot_uniform\",)"
        case .glorotNormal: "(\"glorot_normal\",)"
        case .heUniform: "(\"he_uniform\",)"
        case .heNormal: "(\"he_normal\",)"
        }
    }

    static func optimizer(_ o: Optimizer) -> String {
        "{\"kind\": \(py(o.kind.rawValue)), \"lr\": \(py(o.lr)), \"momentum\": \(py(o.momentum)), \"dampening\": \(py(o.dampening)), "
            + "\"nesterov\": \(pyBool(o.nesterov)), \"betas\": (\(py(o.beta1)), \(py(o.beta2))), \"eps\": \(py(o.eps)), \"alpha\": \(py(o.alpha)), "
            + "\"centered\": \(pyBool(o.centered)), \"lr_decay\": \(py(o.lrDecay)), \"weight_decay\": \(py(o.weightDecay))}"
    }

    static func clip(_ c: Clipping) -> String {
        switch c {
        case .none: "None"
        case .norm(let limit): "(\"norm\", \(py(limit)))"
        case .value(let limit): "(\"value\", \(py(limit)))"
        }
    }

    static func early(_ e: EarlyStopping?) -> String {
        guard let e else { return "None" }
        return "{\"monitor\": \(py(e.monitor)), \"patience\": \(e.patience), \"min_delta\": \(py(e.minDelta)), \"restore_best\": \(pyBool(e.restoreBest))}"
    }

    /// The layer's activation as the runtime's tuple (its type's `python`).
    static func activation(_ layer: Layer) -> String { layer.activation.function.python(layer) }

    /// The module of one layer: its op's expression, with the layer's activation.
    static func module(_ layer: Layer) -> String { layer.kind.pytorch(layer, activation: activation(layer)) }
}
