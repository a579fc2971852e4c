// Probe: ReLU backward from the ReLU output y ≥ 0 as g·Cast(y > 0) (three passes) against g·Sign(y) (two) and
// g·Min(y·2^126, 1) (three, all threaded; wrong for denormal y) and Where(y > 0, g, 0) (two), on
// g·Ceil(Clip(y, 0, 1)) (three, exact for every y ≥ 0) on [128, 32, 32, 32], interleaved wall-clock medians of
// whole runs (the output is reduced to a scalar), then each variant's kernel medians from ORT's profiler.
// `node bin/run-ts.mjs bench/engine/sign-probe.ts`
import * as ort from 'onnxruntime-node';
import { reducedModel, valueInfo } from './onnx-probe.ts';
import { median } from '../common.ts';
import { kernelTimes } from './kernel-times.ts';
const shape = [128, 32, 32, 32];
function model(nodes: object[]): Uint8Array {
  return reducedModel(
    nodes,
    [valueInfo('y', shape), valueInfo('g', shape)],
    [
      { name: 'zero', dataType: 1, dims: [], floatData: [0] },
      { name: 'one', dataType: 1, dims: [], floatData: [1] },
      { name: 'big', dataType: 1, dims: [], floatData: [2 ** 126] },
    ],
    'd',
  );
}
const variants: Record<string, object[]> = {
  castMul: [
    { opType: 'Greater', input: ['y', 'zero'], output: ['m'] },
    { opType: 'Cast', input: ['m'], output: ['mf'], attribute: [{ name: 'to', i: 1, type: 2 }] },
    { opType: 'Mul', input: ['g', 'mf'], output: ['d'] },
  ],
  signMul: [
    { opType: 'Sign', input: ['y'], output: ['mf'] },
    { opType: 'Mul', input: ['g', 'mf'], output: ['d'] },
  ],
  scaleMin: [
    { opType: 'Mul', input: ['y', 'big'], output: ['ys'] },
    { opType: 'Min', input: ['ys', 'one'], output: ['mf'] },
    { opType: 'Mul', input: ['g', 'mf'], output: ['d'] },
  ],
  where: [
    { opType: 'Greater', input: ['y', 'zero'], output: ['m'] },
    { opType: 'Where', input: ['m', 'g', 'zero'], output: ['d'] },
  ],
  clipCeil: [
    { opType: 'Clip', input: ['y', 'zero', 'one'], output: ['yc'] },
    { opType: 'Ceil', input: ['yc'], output: ['mf'] },
    { opType: 'Mul', input: ['g', 'mf'], output: ['d'] },
  ],
  mulOnly: [{ opType: 'Mul', input: ['g', 'y'], output: ['d'] }],
};
const sess: Record<string, ort.InferenceSession> = {};
for (const [k, v] of Object.entries(variants))
  sess[k] = await ort.InferenceSession.create(model(v), { intraOpNumThreads: 2, interOpNumThreads: 1 });
const n = shape.reduce((a, b) => a * b, 1);
const y = new ort.Tensor(
  'float32',
  Float32Array.from({ length: n }, () => Math.max(0, Math.random() - 0.5)),
  shape,
);
const g = new ort.Tensor(
  'float32',
  Float32Array.from({ length: n }, () => Math.random() - 0.5),
  shape,
);
const t: Record<string, number[]> = Object.fromEntries(Object.keys(sess).map((k) => [k, []]));
const sums: Record<string, number> = {};
for (let r = 0; r < 60; r++)
  for (const k of Object.keys(sess)) {
    const s0 = performance.now();
    sums[k] = (await sess[k].run({ y, g })).s.data[0] as number;
    t[k].push(performance.now() - s0);
  }
console.log('sums (castMul and signMul must agree)', sums);
for (const k of Object.keys(sess)) console.log(k.padEnd(8), median(t[k]).toFixed(2), 'ms');
for (const [k, v] of Object.entries(variants))
  console.log(
    k.padEnd(8),
    (await kernelTimes(model(v), { y, g }, 20))
      .filter((r) => r.op !== 'ReduceSum')
      .map((r) => `${r.op} ${r.ms.toFixed(2)}`)
      .join(' + '),
  );
