import { describe, expect, test } from 'vitest';
import { defineGraph } from '../graph.ts';
import { input } from '../tensor.ts';
import { onnx } from './builder.ts';
import { toOnnx } from './export.ts';

const opTypes = (outputs: Parameters<typeof defineGraph>[1], inputs: Parameters<typeof defineGraph>[0]) =>
  onnx.ModelProto.decode(toOnnx(defineGraph(inputs, outputs))).graph!.node!.map((n) => n.opType);

describe('emission choices', () => {
  test('a float sum over leading axes is a GEMV with a row of ones; other sums stay ReduceSum', () => {
    const x = input('x', [8, 4, 3]);
    expect(opTypes({ y: x.sum([0, 1]) }, [x])).toEqual(['Reshape', 'MatMul', 'Reshape']);
    expect(opTypes({ y: x.sum([0, 2]) }, [x])).toEqual(['ReduceSum']);
    expect(opTypes({ y: x.sum() }, [x])).toEqual(['ReduceSum']);
  });
});
