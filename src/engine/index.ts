// The pure engine entry: tensors, functional ops, autodiff, ONNX export and the float64 reference interpreter.
// Nothing here imports onnxruntime-node or a `node:` module, so it bundles for a browser; running graphs on
// ONNX Runtime in Node is the Node entry's job (`./node.ts`: `compile`, `Compiled`, `ort`).
export { Tensor, GraphError, input, constant, scalar, prim } from './tensor.ts';
export type { TypedValue } from './tensor.ts';
export { defineGraph, topoSort } from './graph.ts';
export type { Graph } from './graph.ts';
export type { DType, Shape, PrimOp, OpAttrs } from './ir/ops.ts';
export { PRIM_OPS } from './ir/ops.ts';
export { grad } from './autodiff/backward.ts';
export { toOnnx } from './onnx/export.ts';
export { evaluate } from './runtime/reference.ts';
export type { RefValue } from './runtime/reference.ts';
export * as F from './functional/index.ts';
export { flatten, mapTree, unflattenLike } from './tree.ts';
export type { Tree } from './tree.ts';
export { graphFlops } from './flops.ts';
