/**
 * A training run from a resolved config: the one place `clade train` and `clade demo` start training. It builds
 * the recipe the config names, writes `<out>/config.json` before the first step (so an interrupted run resumes
 * with its exact settings), trains (or resumes from the newest checkpoint), and writes `<out>/model/` when the run
 * reaches its last step.
 */
import { basename, join } from 'node:path';
import { loadConfig } from '../config/preset.ts';
import type { Override } from '../config/overrides.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { CladeError } from '../util/errors.ts';
import { writeModelDir, type ModelJson } from './model-dir.ts';
import type { Recipe } from './recipe.ts';
import {
  buildRecipe,
  configDiff,
  configJson,
  resolveConfig,
  type RecipeOf,
  type ResolvedConfig,
} from './resolve-config.ts';
import { readRunConfig } from './run-dir.ts';
import { latestCheckpoint, train, type TrainResult } from './trainer.ts';

export interface RunOptions {
  /** Run directory: config.json, checkpoints/, metrics.jsonl, model/. */
  readonly outDir: string;
  /** Continue the run in `outDir` from its newest checkpoint (start it when it has none yet). */
  readonly resume?: boolean;
  /** Stop after this many steps of this invocation (simulates an interrupted run). */
  readonly stopAfter?: number;
  readonly quiet?: boolean;
}

export interface RunResult<R extends Recipe = Recipe> {
  readonly recipe: R;
  readonly train: TrainResult<ParamsOf<R>>;
  /** True when the run reached `train.steps` (and `model` was written). */
  readonly finished: boolean;
  readonly modelDir: string;
  readonly model: ModelJson | null;
}
type ParamsOf<R> = R extends Recipe<infer P> ? P : never;

/**
 * Train the recipe a config names into `o.outDir`; the recipe keeps its concrete type when the config's recipe
 * name is known (`config.recipeName === 'clip-taxonomy'` → the clip-taxonomy recipe).
 *
 * @example
 * const cfg = resolveConfig(loadConfig('demo').raw);
 * const run = await runTraining(cfg, { outDir: 'runs/d' }); // run.model.towers: image, text
 */
export async function runTraining<C extends ResolvedConfig>(
  config: C,
  o: RunOptions,
): Promise<RunResult<RecipeOf<C['recipeName']>>> {
  const recipe = buildRecipe(config);
  const resume = Boolean(o.resume) && latestCheckpoint(o.outDir) !== null;
  if (!o.resume) {
    if (latestCheckpoint(o.outDir))
      throw new CladeError(
        'run directory already has checkpoints: pass --resume to continue it, or another --out',
        { file: o.outDir },
      );
    writeFileAtomic(join(o.outDir, 'config.json'), JSON.stringify(configJson(config), null, 2) + '\n');
  }
  const t = config.train;
  // with no checkpoint yet a resumed run starts afresh (and drops the metrics of steps never checkpointed)
  const r = await train(recipe as Recipe, {
    ...t,
    outDir: o.outDir,
    resume,
    stopAfter: o.stopAfter,
    quiet: o.quiet,
  });
  const finished = r.step.t >= t.steps;
  const modelDir = join(o.outDir, 'model');
  const model = finished ? writeModelDir(modelDir, recipe as Recipe, r.params, t.exportBatch) : null;
  return {
    recipe,
    train: r as unknown as RunResult<RecipeOf<C['recipeName']>>['train'],
    finished,
    modelDir,
    model,
  };
}

/**
 * The config a resumed run uses: its saved `config.json`, checked against what the command line asks for (a
 * preset naming another recipe, or an override that would change a setting, is an error).
 *
 * @example
 * const cfg = resumedConfig('runs/d', { overrides }); // the saved config
 */
export function resumedConfig(
  outDir: string,
  o: { preset?: string; overrides?: readonly Override[] } = {},
): ResolvedConfig {
  const { config: saved, file } = readRunConfig(outDir);
  if (o.preset !== undefined) {
    const { raw, file: pf } = loadConfig(o.preset);
    const named = resolveConfig(raw, { file: pf });
    if (named.recipeName !== saved.recipeName)
      throw new CladeError(
        `the run trains recipe '${saved.recipeName}', not '${named.recipeName}' of ${o.preset}`,
        { file },
      );
  }
  const requested = resolveConfig(configJson(saved), { file, overrides: o.overrides });
  const diff = configDiff(saved, requested);
  if (diff.length)
    throw new CladeError(
      `--resume continues the run with its saved config; these overrides would change it:\n  ${diff.join('\n  ')}\n` +
        'Start a new run (another --out) to change settings.',
      { file },
    );
  return saved;
}

/** A one-line description of where a resumed run starts. */
export function resumeNote(outDir: string): string {
  const ckpt = latestCheckpoint(outDir);
  return ckpt ? `resuming ${outDir} from ${basename(ckpt)}` : `no checkpoint yet in ${outDir}: starting it`;
}
