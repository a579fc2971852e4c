// The Node entry of the engine: everything of the pure entry (`./index.ts`) plus ONNX Runtime sessions —
// `compile(graph)` → `Compiled` — and `ort`, the onnxruntime-node namespace for running exported ONNX files
// directly. This file and `runtime/ort.ts` are the only modules that load the native onnxruntime-node binary
// (test/packages.test.ts checks it).
export * from './index.ts';
export { compile, Compiled } from './runtime/ort.ts';
export type { HostArray } from './runtime/ort.ts';
export * as ort from 'onnxruntime-node';
