/**
 * A run directory as `clade train` leaves it: `config.json` (the resolved config), `checkpoints/`,
 * `metrics.jsonl` and `model/`. Helpers to read it back and export its newest checkpoint.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { flatten, unflattenLike } from '../engine/tree.ts';
import type { HostTensor, Params } from '../nn/context.ts';
import { isHostTensor } from '../nn/param-tree.ts';
import { loadCheckpoint } from './checkpoint.ts';
import { writeModelDir, type ModelJson } from './model-dir.ts';
import type { Recipe } from './recipe.ts';
import { buildRecipe, resolveConfig, type ResolvedConfig } from './resolve-config.ts';
import { latestCheckpoint } from './trainer.ts';
import { readConfigFile } from '../config/preset.ts';
import { CladeError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';

/** `<run>/config.json`, resolved (so a config written by an older clade gains today's defaults explicitly). */
export function readRunConfig(runDir: string): { config: ResolvedConfig; file: string } {
  const file = join(runDir, 'config.json');
  if (!existsSync(file))
    throw new CladeError('no config.json: not a run directory written by `clade train`', { file: runDir });
  return { config: resolveConfig(readConfigFile(file), { file }), file };
}

/**
 * The parameters (and buffers) of a recipe from a training checkpoint: only the names of the recipe's parameter
 * tree are read (optimizer state is ignored); a missing tensor or a shape mismatch throws listing every problem.
 *
 * @example
 * const params = paramsFromCheckpoint(recipe, 'runs/x/checkpoints/step-00000300.safetensors');
 */
export function paramsFromCheckpoint(recipe: Recipe, file: string): Params {
  // init() is only used for the tree's structure, names and shapes.
  const like = recipe.init(new Rng(0).fork('init'));
  const wanted = flatten<HostTensor>(like as Record<string, HostTensor>, '', isHostTensor);
  const { tensors } = loadCheckpoint(file);
  const problems: string[] = [];
  const values = new Map<string, HostTensor>();
  for (const [name, t] of wanted) {
    const got = tensors.get(name);
    if (!got) problems.push(`missing '${name}' [${t.shape}]`);
    else if (got.shape.length !== t.shape.length || got.shape.some((d, i) => d !== t.shape[i]))
      problems.push(`'${name}' has shape [${got.shape}], the recipe expects [${t.shape}]`);
    else values.set(name, got);
  }
  if (problems.length)
    throw new CladeError(
      `checkpoint does not match recipe '${recipe.name}' of config.json:\n  ${problems.join('\n  ')}`,
      { file },
    );
  return unflattenLike(like, values, isHostTensor) as Params;
}

/**
 * Rebuild a run's recipe from its config.json, load the newest checkpoint's parameters and write a model directory
 * (default `<run>/model`).
 *
 * @example
 * const { dir, step } = await exportRun('runs/demo-2026-01-01', { batch: 100 });
 */
export async function exportRun(
  runDir: string,
  o: { out?: string; batch?: number } = {},
): Promise<{ dir: string; checkpoint: string; model: ModelJson }> {
  const { config } = readRunConfig(runDir);
  const checkpoint = latestCheckpoint(runDir);
  if (!checkpoint) throw new CladeError('no checkpoint in checkpoints/ to export', { file: runDir });
  const recipe = await buildRecipe(config);
  const params = paramsFromCheckpoint(recipe, checkpoint);
  const dir = o.out ?? join(runDir, 'model');
  const model = writeModelDir(dir, recipe, params, o.batch ?? config.train.exportBatch);
  return { dir, checkpoint, model };
}
