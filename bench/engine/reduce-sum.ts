/**
 * `node bin/run-ts.mjs bench/engine/reduce-sum.ts` — why a sum over leading axes is emitted as ones @ x:
 * median ms of ORT's ReduceSum over axis 0 against a GEMV with a row of ones, for the gradient shapes of the
 * benchmark models (bias and LayerNorm gradients over B·T rows).
 */
import * as ort from 'onnxruntime-node';
import { defineGraph, input, toOnnx } from '../../src/engine/index.ts';
import { onnx } from '../../src/engine/onnx/builder.ts';
import { Rng } from '../../src/util/rng.ts';
import { median } from '../common.ts';

/** The column-sum model as clade emits it (GEMV), or with its nodes replaced by one ReduceSum over axis 0. */
function model(rows: number, cols: number, asReduceSum: boolean): Uint8Array {
  const x = input('x', [rows, cols]);
  const bytes = toOnnx(defineGraph([x], { y: x.sum(0) }));
  if (!asReduceSum) return bytes;
  const m = onnx.ModelProto.decode(bytes);
  const g = m.graph!;
  g.initializer = [{ name: 'axes', dataType: onnx.TensorProto.DataType.INT64, dims: [1], int64Data: [0] }];
  g.node = [
    {
      opType: 'ReduceSum',
      input: ['x', 'axes'],
      output: ['y'],
      attribute: [{ name: 'keepdims', type: 2, i: 0 }],
    },
  ];
  return onnx.ModelProto.encode(m).finish();
}

async function ms(bytes: Uint8Array, x: Float32Array, rows: number, cols: number): Promise<number> {
  const s = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 2, interOpNumThreads: 1 });
  const feeds = { x: new ort.Tensor('float32', x, [rows, cols]) };
  for (let i = 0; i < 3; i++) await s.run(feeds);
  const times: number[] = [];
  for (let i = 0; i < 41; i++) {
    const t0 = performance.now();
    await s.run(feeds);
    times.push(performance.now() - t0);
  }
  return median(times);
}

const rng = new Rng(1);
for (const [rows, cols] of [
  [4096, 256],
  [4096, 1024],
  [8320, 192],
  [256, 1024],
]) {
  const x = rng.normalArray(rows * cols);
  const reduce = await ms(model(rows, cols, true), x, rows, cols);
  const gemv = await ms(model(rows, cols, false), x, rows, cols);
  console.log(
    `[${rows}, ${cols}] -> [${cols}]   ReduceSum ${reduce.toFixed(3)} ms   ones @ x ${gemv.toFixed(3)} ms`,
  );
}
