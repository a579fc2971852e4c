import { defineGraph } from '../engine/graph.ts';
import { toOnnx } from '../engine/onnx/export.ts';
import { constant, input, type Tensor } from '../engine/tensor.ts';
import { mapTree } from '../engine/tree.ts';
import { Ctx, type HostTensor, type Params, type SymParams } from '../nn/context.ts';
import { isHostTensor } from '../nn/param-tree.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import type { TowerSpec } from './recipe.ts';

/** Parameters baked into the graph as constants (ONNX initializers): the exported model needs no weights file. */
export function paramConstants(params: Params): SymParams {
  return mapTree<HostTensor, Tensor>(params, (h) => constant(h.data, h.shape), '', isHostTensor);
}

/**
 * Trace an eval-mode forward pass with the weights as initializers and serialise it as a standalone ONNX model
 * (opset 18) that onnxruntime in Node, the browser or Python can run without clade.
 */
export function forwardOnnx(
  params: Params,
  spec: TowerSpec,
  name = 'clade',
  ops: 'standard' | 'contrib' = 'standard',
): Uint8Array {
  const ins = Object.fromEntries(
    Object.entries(spec.inputs).map(([k, s]) => [k, input(k, s.shape, s.dtype ?? 'float32')]),
  );
  const outs = spec.forward(paramConstants(params), ins, new Ctx(false));
  return toOnnx(defineGraph(Object.values(ins), outs), { name, ops });
}

export function writeForwardOnnx(path: string, params: Params, spec: TowerSpec, name?: string): void {
  writeFileAtomic(path, forwardOnnx(params, spec, name));
}
