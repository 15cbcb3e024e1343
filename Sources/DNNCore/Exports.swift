// DNNCore is the whole pipeline behind one import: it re-exports the stages below it and adds the
// tools over them (lint, reports, resolve, the compiler driver, the explanations' docs, fuzz targets).
// Each stage is a module that imports only the ones before it, so the compiler keeps them in order:
//
//   DNNSyntax     source files, YAML, diagnostics, the spec tree and the language's vocabulary
//   DNNModel      the language table, checker and IR, the ops (layers, activations, losses,
//                 optimizers, schedules) with their kernels, the data readers, the execution plan
//   DNNCheckpoint safetensors, checkpoint metadata and fingerprints, checkpoint folders
//   DNNRuntime    the interpreter: network, trainer, training session, prediction, reports of a run
//   DNNCore       lint, graphs and plots, resolve, the compiler driver

@_exported import DNNSyntax
@_exported import DNNModel
@_exported import DNNCheckpoint
@_exported import DNNRuntime
