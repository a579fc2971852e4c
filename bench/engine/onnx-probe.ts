// Minimal one-node ONNX model for probes.
import { onnx } from '../../src/engine/onnx/proto.ts';
export function OnnxBuilderProbe(
  op: string,
  a: number[],
  b: number[],
  y: number[],
  attrs: Record<string, number>,
): Uint8Array {
  const vi = (name: string, shape: number[]) => ({
    name,
    type: { tensorType: { elemType: 1, shape: { dim: shape.map((d) => ({ dimValue: d })) } } },
  });
  const attribute = op === 'Gemm' ? Object.entries(attrs).map(([name, i]) => ({ name, i, type: 2 })) : [];
  const model = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 18 }],
    graph: {
      name: 'g',
      node: [{ opType: op, input: ['a', 'b'], output: ['y'], attribute }],
      input: [vi('a', a), vi('b', b)],
      output: [vi('y', y)],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.fromObject(model)).finish();
}

/** A float32 graph input or output of the given shape. */
export const valueInfo = (name: string, shape: readonly number[]) => ({
  name,
  type: { tensorType: { elemType: 1, shape: { dim: shape.map((d) => ({ dimValue: d })) } } },
});

/**
 * A probe model: `nodes` (ONNX, com.microsoft and com.microsoft.nchwc domains imported), then the sum of the value
 * `reduce` as the only output `s`, so a run times the kernels, not ORT's allocation and copy of a large output.
 */
export function reducedModel(
  nodes: readonly object[],
  inputs: readonly object[],
  initializers: readonly object[] = [],
  reduce = 'y',
): Uint8Array {
  return onnx.ModelProto.encode(
    onnx.ModelProto.fromObject({
      irVersion: 8,
      opsetImport: [
        { domain: '', version: 18 },
        { domain: 'com.microsoft', version: 1 },
        { domain: 'com.microsoft.nchwc', version: 1 },
      ],
      graph: {
        name: 'g',
        node: [
          ...nodes,
          {
            opType: 'ReduceSum',
            input: [reduce],
            output: ['s'],
            attribute: [{ name: 'keepdims', i: 0, type: 2 }],
          },
        ],
        input: inputs,
        output: [valueInfo('s', [])],
        initializer: initializers,
      },
    }),
  ).finish();
}
