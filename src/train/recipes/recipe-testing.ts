/** Test helpers for recipes: the first loader batch, a TrainStep built from a recipe, host leaves by path. */
import { DataLoader } from '../../data/loader/loader.ts';
import type { Batch } from '../../data/loader/loader-types.ts';
import { compile, defineGraph, flatten, input, type Tensor } from '../../engine/node.ts';
import type { HostArray } from '../../engine/runtime/ort.ts';
import { Ctx, paramInputs, type HostTensor, type Params, type SymParams } from '../../nn/context.ts';
import { Rng } from '../../util/rng.ts';
import { TrainStep } from '../step.ts';
import type { BatchSpec } from '../step.ts';
import type { Recipe } from './recipe.ts';

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

/** A compiled training step for a recipe, starting from `params` (default: `recipe.init(seed)`). */
export function recipeStep(
  recipe: Recipe,
  params: Params = recipe.init(new Rng(0).fork('init')),
): Promise<TrainStep> {
  return TrainStep.create({
    params,
    batch: recipe.batchSpec,
    loss: recipe.loss,
    optimizer: recipe.optimizer,
    clamp: recipe.clamp,
    trainable: recipe.trainable,
    clipNorm: recipe.clipNorm,
    seed: 1,
  });
}

/** Losses of `n` steps on the same feeds. */
export async function lossCurve(
  step: TrainStep,
  feeds: Record<string, HostArray>,
  n: number,
  lr: number,
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await step.run(feeds, lr)).loss);
  return out;
}

/** A copy of one state slot's values by parameter path. */
export function slot(step: TrainStep, path: string): Float32Array {
  const v = step.state().get(path);
  if (!v) throw new Error(`no state slot '${path}'`);
  return v.data.slice();
}

const isHost = (x: unknown) => !!x && typeof x === 'object' && 'data' in (x as object);

/** Run `fn(params, batch)` once (training-mode ctx) as a graph and return its named outputs as host arrays. */
export async function evaluateGraph(
  params: Params,
  spec: Readonly<Record<string, BatchSpec>>,
  feeds: Readonly<Record<string, HostArray>>,
  fn: (p: SymParams, b: Record<string, Tensor>, ctx: Ctx) => Record<string, Tensor>,
  train = true,
): Promise<Record<string, Float32Array>> {
  const sym = paramInputs(params as Record<string, HostTensor>);
  const batch = Object.fromEntries(
    Object.entries(spec).map(([k, s]) => [k, input(k, s.shape, s.dtype ?? 'float32')]),
  );
  const outs = fn(sym, batch, new Ctx(train));
  const g = defineGraph([...flatten<Tensor>(sym as never).map(([, t]) => t), ...Object.values(batch)], outs);
  const hostFeeds = Object.fromEntries(
    flatten<HostTensor>(params as never, '', isHost).map(([k, v]) => [k, v.data]),
  );
  const res = await (await compile(g)).run({ ...hostFeeds, ...feeds });
  return res as Record<string, Float32Array>;
}
