// Probe: ms per optimizer step of a bench case's training step unrolled over U steps per graph run (U = 1 is the
// plain step), interleaved. `node bin/run-ts.mjs bench/engine/unroll-probe.ts <case> [U,U,...] [seconds]`
import { TrainStep } from '../../src/train/step.ts';
import { CASES } from './cases.ts';
import { median } from '../common.ts';
const [name = 'mlp', list = '1,2,4,8', secs = '20'] = process.argv.slice(2);
const c = CASES.find((x) => x.name === name)!;
const us = list.split(',').map(Number);
const steps = await Promise.all(us.map((u) => TrainStep.create({ ...c.spec(), unroll: u })));
const batch = c.batch();
const go = (s: TrainStep, u: number) => s.runSteps(Array(u).fill(batch), Array(u).fill(1e-4));
for (const [i, s] of steps.entries()) for (let k = 0; k < 3; k++) await go(s, us[i]);
const times: number[][] = us.map(() => []);
const t0 = performance.now();
while (performance.now() - t0 < Number(secs) * 1000)
  for (const [i, s] of steps.entries())
    for (let k = 0; k < Math.max(1, 8 / us[i]); k++) {
      const s0 = performance.now();
      await go(s, us[i]);
      times[i].push((performance.now() - s0) / us[i]);
    }
const m0 = median(times[0]);
for (const [i, u] of us.entries())
  console.log(
    `${name} unroll ${u}: median ${median(times[i]).toFixed(2)} ms/step (${times[i].length} runs), speed vs unroll ${us[0]} ${(m0 / median(times[i])).toFixed(2)}x`,
  );
