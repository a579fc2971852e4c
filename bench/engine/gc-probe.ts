// Probe: garbage-collection time during the MLP bench case's training steps (PerformanceObserver 'gc' entries).
// `node bin/run-ts.mjs bench/engine/gc-probe.ts [case=mlp] [steps=300]`
import { PerformanceObserver } from 'node:perf_hooks';
import { TrainStep } from '../../src/train/step.ts';
import { CASES } from './cases.ts';
const [name = 'mlp', n = '300'] = process.argv.slice(2);
const c = CASES.find((x) => x.name === name)!;
const step = await TrainStep.create(c.spec());
const batch = c.batch();
for (let i = 0; i < 10; i++) await step.run(batch, 1e-4);
let gcMs = 0;
let gcs = 0;
const kinds = new Map<number, [number, number]>();
const obs = new PerformanceObserver((l) => {
  for (const e of l.getEntries()) {
    gcMs += e.duration;
    gcs++;
    const k = (e as unknown as { detail: { kind: number } }).detail.kind;
    const [c0, t] = kinds.get(k) ?? [0, 0];
    kinds.set(k, [c0 + 1, t + e.duration]);
  }
});
obs.observe({ entryTypes: ['gc'] });
const t0 = performance.now();
for (let i = 0; i < Number(n); i++) await step.run(batch, 1e-4);
const wall = performance.now() - t0;
await new Promise((r) => setTimeout(r, 50));
obs.disconnect();
// kind: 1 minor (scavenge), 2 major (mark-sweep-compact), 4 incremental marking, 8 weak callbacks.
for (const [k, [cnt, t]] of kinds) console.log(`  kind ${k}: ${cnt} GCs, ${(t / cnt).toFixed(2)} ms each`);
console.log(
  `${name}: ${(wall / Number(n)).toFixed(2)} ms/step; ${gcs} GCs, ${(gcMs / Number(n)).toFixed(3)} ms GC per step`,
);
