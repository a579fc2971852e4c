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
