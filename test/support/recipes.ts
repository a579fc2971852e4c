/**
 * Test support for recipes: the first loader batch, a compiled training step, a state slot by path, any
 * function of parameters and a batch run once as a graph, and the losses of a run directory.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataLoader } from '../../src/data/loader/loader.ts';
import type { Batch } from '../../src/data/loader/loader-types.ts';
import { compile, defineGraph, input, type Tensor } from '../../src/engine/node.ts';
import type { HostArray } from '../../src/engine/runtime/ort.ts';
import { Ctx, type Params } from '../../src/nn/context.ts';
import { hostFeeds, symbolicInputs, symbolicLeaves, type SymbolicParams } from '../../src/nn/param-tree.ts';
import { stepSpec, type InputSpec, type Recipe } from '../../src/train/recipe.ts';
import { TrainStep } from '../../src/train/step.ts';

/** The first batch of a recipe's training pipeline (main thread, seed 0). */
export async function firstBatch(recipe: Recipe, seed = 0): Promise<Batch> {
  const loader = await DataLoader.create({
    source: recipe.pipeline,
    batchSize: recipe.batchSize,
    seed,
    epochs: 1,
    workers: 0,
  });
  try {
    for await (const b of loader) return b;
    throw new Error('empty loader');
  } finally {
    await loader.close();
  }
}

/** A compiled training step for a recipe, starting from `params` (default: the trainer's init, seed 0). */
export function recipeStep<P extends Params>(recipe: Recipe<P>, params?: P): Promise<TrainStep<P>> {
  return TrainStep.create(stepSpec(recipe, { params }));
}

/** Losses of `n` steps on the same feeds. */
export async function lossCurve<P extends Params>(
  step: TrainStep<P>,
  feeds: Record<string, HostArray>,
  n: number,
  lr: number,
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await step.run(feeds, lr)).loss);
  return out;
}

/** A copy of one state slot's values by parameter path. */
export function slot<P extends Params>(step: TrainStep<P>, path: string): Float32Array {
  const v = step.state().get(path);
  if (!v) throw new Error(`no state slot '${path}'`);
  return v.data.slice();
}

/** Run `fn(params, batch)` once (training-mode ctx unless `train` is false) and return its outputs. */
export async function evaluateGraph<P extends Params>(
  params: P,
  spec: Readonly<Record<string, InputSpec>>,
  feeds: Readonly<Record<string, HostArray>>,
  fn: (p: SymbolicParams<P>, b: Record<string, Tensor>, ctx: Ctx) => Record<string, Tensor>,
  train = true,
): Promise<Record<string, Float32Array>> {
  const sym = symbolicInputs(params);
  const batch = Object.fromEntries(
    Object.entries(spec).map(([k, s]) => [k, input(k, s.shape, s.dtype ?? 'float32')]),
  );
  const outs = fn(sym, batch, new Ctx(train));
  const g = defineGraph([...symbolicLeaves(sym as never), ...Object.values(batch)], outs);
  const res = await (await compile(g)).run({ ...hostFeeds(params), ...feeds });
  return res as Record<string, Float32Array>;
}

/** The `loss` of every line of a run directory's metrics.jsonl, in step order. */
export function metricsLosses(runDir: string): number[] {
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l).loss as number);
}
