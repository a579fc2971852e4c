/**
 * Probe: a per-channel affine pass y = x·b[c] + c[c] over [N, C, H, W] as the engine emits it (broadcast Mul then
 * Add, two passes) against one inference-mode BatchNormalization (scale b, bias c, mean 0, variance 1 − ε).
 * `node bin/run-ts.mjs bench/engine/bn-affine-probe.ts [N C H]` (default 128 32 32); kernel medians.
 */
import * as ort from 'onnxruntime-node';
import { reducedModel, valueInfo } from './onnx-probe.ts';
import { kernelTimes } from './kernel-times.ts';

const [N, C, H] = (process.argv.length > 4 ? process.argv.slice(2, 5) : ['128', '32', '32']).map(Number);
const shape = [N, C, H, H];
const vi = valueInfo;
const model = (nodes: object[], inputs: object[]) => reducedModel(nodes, inputs);
const eps = 1e-5;
const mulAdd = model(
  [
    { opType: 'Mul', input: ['x', 'b4'], output: ['t'] },
    { opType: 'Add', input: ['t', 'c4'], output: ['y'] },
  ],
  [vi('x', shape), vi('b4', [1, C, 1, 1]), vi('c4', [1, C, 1, 1])],
);
const bn = model(
  [
    {
      opType: 'BatchNormalization',
      input: ['x', 'b', 'c', 'mean', 'var'],
      output: ['y'],
      attribute: [{ name: 'epsilon', f: eps, type: 1 }],
    },
  ],
  [vi('x', shape), vi('b', [C]), vi('c', [C]), vi('mean', [C]), vi('var', [C])],
);
const t = (d: Float32Array, dims: number[]) => new ort.Tensor('float32', d, dims);
const x = t(
  Float32Array.from({ length: N * C * H * H }, () => Math.random() - 0.5),
  shape,
);
const b = Float32Array.from({ length: C }, () => Math.random() + 0.5);
const c = Float32Array.from({ length: C }, () => Math.random() - 0.5);
const show = (name: string, rows: { op: string; ms: number }[]) =>
  console.log(
    name.padEnd(8),
    rows
      .filter((r) => r.op !== 'ReduceSum')
      .map((r) => `${r.op} ${r.ms.toFixed(2)}`)
      .join(' + '),
    'ms',
  );
for (let round = 0; round < 3; round++) {
  show('mul+add', await kernelTimes(mulAdd, { x, b4: t(b, [1, C, 1, 1]), c4: t(c, [1, C, 1, 1]) }));
  show(
    'bn',
    await kernelTimes(bn, {
      x,
      b: t(b, [C]),
      c: t(c, [C]),
      mean: t(new Float32Array(C), [C]),
      var: t(new Float32Array(C).fill(1 - eps), [C]),
    }),
  );
}
