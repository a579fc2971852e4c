// Probe: forward Conv with the weight as a graph input vs as an initializer (ORT's NCHWc transform applies only
// to constant weights), and ConvTranspose (dX) on the bench CNN's shapes. Interleaved, median ms.
// `CASES=dw node bin/run-ts.mjs bench/engine/conv-probe.ts`: the weight gradient as a transposed-role conv.
import * as ort from 'onnxruntime-node';
import { reducedModel, valueInfo } from './onnx-probe.ts';
const vi = valueInfo;
const ints = (name: string, v: number[]) => ({ name, ints: v, type: 7 });
/** The nodes with the first of `outputs` summed to the scalar `s` (reducedModel). */
const model = (nodes: any[], inputs: any[], outputs: any[], inits: any[] = []) =>
  reducedModel(nodes, inputs, inits, outputs[0].name);
const N = 128;
const cases: { name: string; bytes: Uint8Array; feeds: Record<string, ort.Tensor>; flops: number }[] = [];
const t = (shape: number[]) =>
  new ort.Tensor(
    'float32',
    Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => Math.random() - 0.5),
    shape,
  );
// CASES=dw: the weight gradient as a transposed-role conv instead (issue 15; docs/benchmarks.md).
if (process.env.CASES === 'dw') {
  for (const [ci, co, h, s] of [
    [3, 32, 32, 1],
    [32, 64, 32, 2],
    [64, 128, 16, 2],
  ]) {
    const ho = h / s;
    const flops = 2 * N * co * ho * ho * ci * 9;
    // dW as a transposed-role conv: input xᵀ [ci, N, h, h], kernel gyᵀ [co, N, ho, ho] with dilation s,
    // pads (1, 1) at the start and (s == 1 ? 1 : 0) at the end → output [ci, co, 3, 3].
    const e = s === 1 ? 1 : 0;
    const conv = {
      opType: 'Conv',
      input: ['x', 'w'],
      output: ['y'],
      attribute: [
        ints('strides', [1, 1]),
        ints('pads', [1, 1, e, e]),
        ints('kernel_shape', [ho, ho]),
        ints('dilations', [s, s]),
      ],
    };
    const xs = [ci, N, h, h],
      ws = [co, N, ho, ho],
      ys = [ci, co, 3, 3];
    const wT = t(ws);
    cases.push({
      name: `dW ${ci}->${co} ${h} s${s} W input`,
      bytes: model([conv], [vi('x', xs), vi('w', ws)], [vi('y', ys)]),
      feeds: { x: t(xs), w: wT },
      flops,
    });
    const init = { name: 'w', dims: ws, dataType: 1, floatData: Array.from(wT.data as Float32Array) };
    cases.push({
      name: `dW ${ci}->${co} ${h} s${s} W const`,
      bytes: model([conv], [vi('x', xs)], [vi('y', ys)], [init]),
      feeds: { x: t(xs) },
      flops,
    });
  }
} else {
  for (const [ci, co, h, s] of [
    [3, 32, 32, 1],
    [32, 64, 32, 2],
    [64, 128, 16, 2],
    [64, 64, 16, 1],
  ]) {
    const ho = h / s;
    const xs = [N, ci, h, h],
      ws = [co, ci, 3, 3],
      ys = [N, co, ho, ho];
    const conv = {
      opType: 'Conv',
      input: ['x', 'w'],
      output: ['y'],
      attribute: [ints('strides', [s, s]), ints('pads', [1, 1, 1, 1]), ints('kernel_shape', [3, 3])],
    };
    const flops = 2 * N * co * ho * ho * ci * 9;
    const wT = t(ws);
    cases.push({
      name: `Conv ${ci}->${co} ${h} s${s} W input`,
      bytes: model([conv], [vi('x', xs), vi('w', ws)], [vi('y', ys)]),
      feeds: { x: t(xs), w: wT },
      flops,
    });
    const init = { name: 'w', dims: ws, dataType: 1, floatData: Array.from(wT.data as Float32Array) };
    cases.push({
      name: `Conv ${ci}->${co} ${h} s${s} W const`,
      bytes: model([conv], [vi('x', xs)], [vi('y', ys)], [init]),
      feeds: { x: t(xs) },
      flops,
    });
    if (ci > 3) {
      const ct = {
        opType: 'ConvTranspose',
        input: ['g', 'w'],
        output: ['dx'],
        attribute: [
          ints('strides', [s, s]),
          ints('pads', [1, 1, 1, 1]),
          ints('kernel_shape', [3, 3]),
          ints('output_padding', [s - 1, s - 1]),
        ],
      };
      cases.push({
        name: `ConvT ${co}->${ci} ${h} s${s} (dX)`,
        bytes: model([ct], [vi('g', ys), vi('w', ws)], [vi('dx', xs)]),
        feeds: { g: t(ys), w: wT },
        flops,
      });
    }
  }
}
const extra = JSON.parse(process.env.SO ?? '{}');
process.chdir(process.env.TMPDIR ?? '/tmp');
const sess = [];
for (const [i, c] of cases.entries())
  sess.push(
    await ort.InferenceSession.create(c.bytes, {
      intraOpNumThreads: 2,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      enableProfiling: true,
      profileFilePrefix: `cp${i}_`,
      ...extra,
    }),
  );
const ts: number[][] = cases.map(() => []);
for (let r = 0; r < 15; r++)
  for (let i = 0; i < cases.length; i++) {
    const t0 = performance.now();
    await sess[i].run(cases[i].feeds);
    ts[i].push(performance.now() - t0);
  }
import { readFileSync, readdirSync, rmSync } from 'node:fs';
for (let i = 0; i < cases.length; i++) {
  sess[i].endProfiling();
  const file = readdirSync('.')
    .filter((f) => f.startsWith(`cp${i}_`))
    .sort()
    .pop()!;
  const ev = JSON.parse(readFileSync(file, 'utf8')).filter(
    (e: any) => e.cat === 'Node' && e.name.endsWith('_kernel_time') && e.args.op_name !== 'ReduceSum',
  );
  const per = new Map<number, number>();
  // Sum kernel time per run (events are in order; group by model_run via index arithmetic).
  const k = ev.length / ts[i].length;
  const runs: number[] = [];
  for (let r = 0; r < ts[i].length; r++)
    runs.push(ev.slice(r * k, (r + 1) * k).reduce((a: number, e: any) => a + e.dur / 1000, 0));
  void per;
  const ops = [...new Set(ev.map((e: any) => e.args.op_name))].join('+');
  ts[i] = runs;
  rmSync(file);
  console.log('   ops:', ops);
  const s = ts[i].sort((a, b) => a - b);
  console.log(
    cases[i].name.padEnd(32),
    `median ${s[7].toFixed(2)} ms  best ${s[0].toFixed(2)} ms  ${(cases[i].flops / s[0] / 1e6).toFixed(0)} GFLOP/s best`,
  );
}
