/**
 * Probe: ORT's com.microsoft UnfoldTensor as the first half of an im2col (rows of a padded [N, C, H+2, W+2] input,
 * size 3, step `stride`), against the engine's one-hot depthwise conv that produces the whole im2col.
 * `node bin/run-ts.mjs bench/engine/unfold-probe.ts [N C H stride]` (default 128 32 32 2); wall medians of runs
 * whose output is reduced to one number.
 */
import * as ort from 'onnxruntime-node';
import { reducedModel, valueInfo } from './onnx-probe.ts';
import { sessionOptions } from '../../src/engine/runtime/ort.ts';
import { median } from '../common.ts';

const [N, C, H, S] = (process.argv.length > 5 ? process.argv.slice(2, 6) : ['128', '32', '32', '2']).map(
  Number,
);
const P = H + 2;
const vi = valueInfo;
const model = (nodes: object[], inputs: object[], inits: object[] = []) => reducedModel(nodes, inputs, inits);
const unfold = model(
  [
    {
      opType: 'UnfoldTensor',
      domain: 'com.microsoft',
      input: ['x'],
      output: ['y'],
      attribute: [
        { name: 'dim', i: 2, type: 2 },
        { name: 'size', i: 3, type: 2 },
        { name: 'step', i: S, type: 2 },
      ],
    },
  ],
  [vi('x', [N, C, P, P])],
);
const onehot = new Float32Array(C * 81);
for (let c = 0; c < C; c++) for (let t = 0; t < 9; t++) onehot[(c * 9 + t) * 9 + t] = 1;
const conv = model(
  [
    {
      opType: 'Conv',
      input: ['x', 'k'],
      output: ['y'],
      attribute: [
        { name: 'group', i: C, type: 2 },
        { name: 'strides', ints: [S, S], type: 7 },
        { name: 'kernel_shape', ints: [3, 3], type: 7 },
      ],
    },
  ],
  [vi('x', [N, C, P, P])],
  [{ name: 'k', dims: [C * 9, 1, 3, 3], dataType: 1, rawData: new Uint8Array(onehot.buffer) }],
);
const x = new ort.Tensor('float32', new Float32Array(N * C * P * P).fill(0.5), [N, C, P, P]);
const runs = await Promise.all(
  Object.entries({ unfold, conv }).map(async ([k, m]) => ({
    k,
    s: await ort.InferenceSession.create(m, sessionOptions()),
    t: [] as number[],
  })),
);
for (const r of runs) for (let i = 0; i < 3; i++) await r.s.run({ x });
for (let i = 0; i < 15; i++)
  for (const r of runs) {
    const t0 = performance.now();
    await r.s.run({ x });
    r.t.push(performance.now() - t0);
  }
for (const r of runs) console.log(`${r.k.padEnd(7)} ${median(r.t).toFixed(2)} ms`);
