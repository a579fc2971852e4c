/**
 * Interleaved A/B of training-step variants on one bench case (issue 15 levers):
 * `node bin/run-ts.mjs bench/engine/ab.ts <case> <variant,variant,...> [seconds=20]` (`<case>` as in profile.ts:
 * a bench:engine case or `train:<recipe case>`)
 * Variants are ORT session-option sets (see VARIANTS) applied to the same step graph; each round runs a few steps
 * of every variant in turn, so machine load hits all alike. Prints median and best ms/step and the median ratio.
 */
import * as ort from 'onnxruntime-node';
import { availableParallelism } from 'node:os';
import type { TrainStep } from '../../src/train/step.ts';
import type { Optimizer } from '../../src/optim/types.ts';
import { sessionOptions, type HostArray } from '../../src/engine/runtime/ort.ts';
import { caseStep } from './case-step.ts';
import { median } from '../common.ts';

const threads = availableParallelism();
// Before the 50 µs spin bound (the engine's options up to issue 15): ORT's unbounded spinning.
const base: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
};
const cfg = (kv: Record<string, string>): ort.InferenceSession.SessionOptions =>
  ({ extra: { session: kv } }) as never;
/** The options without their `optimization` config entries (the engine before MatMulAddFusion was disabled). */
function withoutOptimizationKeys(
  o: ort.InferenceSession.SessionOptions,
): ort.InferenceSession.SessionOptions {
  const extra = (o as { extra?: Record<string, unknown> }).extra ?? {};
  const { optimization: _, ...rest } = extra;
  return { ...o, extra: rest } as ort.InferenceSession.SessionOptions;
}

const VARIANTS: Record<string, ort.InferenceSession.SessionOptions> = {
  engine: sessionOptions(),
  engine1t: { ...sessionOptions(), intraOpNumThreads: 1 },
  // The engine before MatMulAddFusion was disabled (docs/benchmarks.md).
  engineMMAdd: withoutOptimizationKeys(sessionOptions()),
  engine3t: { ...sessionOptions(), intraOpNumThreads: 3 },
  base,
  spin50: { ...base, ...cfg({ 'intra_op.spin_duration_us': '50' }) },
  nospin: { ...base, ...cfg({ 'intra_op.allow_spinning': '0' }) },
  basic: { ...base, graphOptimizationLevel: 'basic' },
  extended: { ...base, graphOptimizationLevel: 'extended' },
  layout: { ...base, graphOptimizationLevel: 'layout' as never },
  noarena: { ...base, enableCpuMemArena: false },
  nopattern: { ...base, enableMemPattern: false },
  ftz: { ...base, ...cfg({ set_denormal_as_zero: '1' }) },
  dyn4: { ...base, ...cfg({ dynamic_block_base: '4' }) },
  engineDyn4: {
    ...base,
    ...cfg({ dynamic_block_base: '4', 'intra_op.spin_duration_us': '50' }),
  },
  par2x2: { ...base, executionMode: 'parallel', interOpNumThreads: 2 },
  par2x1: { ...base, executionMode: 'parallel', interOpNumThreads: 2, intraOpNumThreads: 1 },
  par2x2s50: {
    ...base,
    executionMode: 'parallel',
    interOpNumThreads: 2,
    ...cfg({ 'intra_op.spin_duration_us': '50', 'inter_op.spin_duration_us': '50' }),
  },
};
for (const us of [10, 20, 50, 100, 200, 500, 1000, 5000]) {
  VARIANTS[`spin${us}`] = { ...base, ...cfg({ 'intra_op.spin_duration_us': String(us) }) };
  VARIANTS[`spin${us}b8`] = {
    ...base,
    ...cfg({ 'intra_op.spin_duration_us': String(us), 'intra_op.spin_backoff_max': '8' }),
  };
}

/**
 * AdamW as the engine emitted it before the moments were held scaled (13 elementwise passes per tensor, not 11):
 * the `+adamw13` suffix of a variant (`engine+adamw13`) trains with it.
 */
function adamw13(wd = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8): Optimizer {
  return {
    kind: 'adamw13',
    slots: ['m', 'v'],
    scalarNames: ['decay', 'stepSize', 'epsHat'],
    scalars: (t, lr) => {
      const sqrtBc2 = Math.sqrt(1 - b2 ** t);
      return { decay: 1 - lr * wd, stepSize: (lr * sqrtBc2) / (1 - b1 ** t), epsHat: eps * sqrtBc2 };
    },
    update(p, g, { m, v }, s, decay) {
      const m2 = m.mul(b1).add(g.mul(1 - b1));
      const v2 = v.mul(b2).add(g.square().mul(1 - b2));
      const denom = v2.sqrt().add(s.epsHat);
      const base = decay ? p.mul(s.decay) : p;
      return { p: base.sub(m2.div(denom).mul(s.stepSize)), state: { m: m2, v: v2 } };
    },
  };
}

const [name, list = 'base,nospin', secs = '20'] = process.argv.slice(2);
const names = list.split(',');
const steps: TrainStep[] = [];
let batch: Record<string, HostArray> = {};
// Graph variants: `<variant>@<ENV>=<value>` sets an environment switch while the step is traced and compiled
// (e.g. `base@CLADE_NCHWC=0`).
for (const full0 of names) {
  const old = full0.endsWith('+adamw13');
  const full = full0.replace(/\+adamw13$/, '');
  const [n, env] = full.split('@');
  const [k, v] = env ? env.split('=') : [];
  const saved = k ? process.env[k] : undefined;
  if (k) process.env[k] = v;
  const { step, batch: b } = await caseStep(name, old ? adamw13() : undefined);
  batch = b;
  if (k) {
    if (saved === undefined) delete process.env[k];
    else process.env[k] = saved;
  }
  const so = VARIANTS[n];
  if (!so) throw new Error(`unknown variant ${n}`);
  (step.compiled as any).session = await ort.InferenceSession.create(step.compiled.modelBytes, so);
  steps.push(step);
}
for (const s of steps) for (let i = 0; i < 3; i++) await s.run(batch, 1e-4);
const times: number[][] = names.map(() => []);
const t0 = performance.now();
while (performance.now() - t0 < Number(secs) * 1000)
  for (let v = 0; v < steps.length; v++)
    for (let i = 0; i < 3; i++) {
      const s0 = performance.now();
      await steps[v].run(batch, 1e-4);
      times[v].push(performance.now() - s0);
    }
const m0 = median(times[0]);
for (let v = 0; v < names.length; v++) {
  const m = median(times[v]);
  console.log(
    `${name} ${names[v].padEnd(10)} median ${m.toFixed(1)} ms  best ${Math.min(...times[v]).toFixed(1)} ms  ` +
      `(${times[v].length} steps)  speed vs ${names[0]} ${(m0 / m).toFixed(2)}x`,
  );
}
