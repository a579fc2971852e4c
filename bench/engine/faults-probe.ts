// Probe: minor page faults and wall time per step of a bench:train recipe case (`train:<name>`) or engine case.
import { TrainStep } from '../../src/train/step.ts';
import { CASES } from './cases.ts';
const name = process.argv[2];
let step: TrainStep, batch: Record<string, unknown>;
if (name.startsWith('train:')) {
  const t = await import('../train/cases.ts');
  const c = t.CASES.find((x) => x.name === name.slice(6))!;
  const recipe = await c.recipe();
  step = await t.recipeStep(recipe);
  batch = t.caseFeeds(c, recipe);
} else {
  const c = CASES.find((x) => x.name === name)!;
  step = await TrainStep.create(c.spec());
  batch = c.batch() as Record<string, unknown>;
}
for (let i = 0; i < Number(process.argv[3] ?? 10); i++) {
  const f0 = process.resourceUsage().minorPageFault;
  const t0 = performance.now();
  await step.run(batch as never, 1e-4);
  console.log(
    `step ${i}: ${(performance.now() - t0).toFixed(1)} ms, ${process.resourceUsage().minorPageFault - f0} faults`,
  );
}
