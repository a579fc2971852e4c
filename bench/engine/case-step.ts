/**
 * The training step and fixed batch of a bench case by name, for the engine probes: a bench:engine case (`cnn`)
 * or a bench:train recipe case prefixed `train:` (`train:simclr-cifar`). `withOptimizer` swaps the optimizer of a
 * bench:engine case (ab.ts's `+adamw13` variants).
 */
import { TrainStep } from '../../src/train/step.ts';
import type { HostArray } from '../../src/engine/runtime/ort.ts';
import type { Optimizer } from '../../src/optim/types.ts';
import { CASES } from './cases.ts';

export async function caseStep(
  name: string,
  withOptimizer?: Optimizer,
): Promise<{ step: TrainStep; batch: Record<string, HostArray> }> {
  if (name.startsWith('train:')) {
    if (withOptimizer) throw new Error('a recipe case keeps its own optimizer');
    const t = await import('../train/cases.ts');
    const c = t.CASES.find((x) => x.name === name.slice(6));
    if (!c)
      throw new Error(`no bench:train case ${name.slice(6)} (${t.CASES.map((x) => x.name).join(', ')})`);
    const recipe = await c.recipe();
    return { step: await t.recipeStep(recipe), batch: t.caseFeeds(c, recipe) };
  }
  const c = CASES.find((x) => x.name === name);
  if (!c) throw new Error(`no bench:engine case ${name} (${CASES.map((x) => x.name).join(', ')})`);
  const spec = c.spec();
  return {
    step: await TrainStep.create(withOptimizer ? { ...spec, optimizer: withOptimizer } : spec),
    batch: c.batch() as Record<string, HostArray>,
  };
}
