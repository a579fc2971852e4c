/**
 * A training run from a resolved config: the one place `clade train` and `clade demo` start training. It builds
 * the recipe the config names, writes `<out>/config.json` before the first step (so an interrupted run resumes
 * with its exact settings), trains (or resumes from the newest checkpoint), and writes `<out>/model/` when the run
 * reaches its last step.
 */
import { basename, join } from 'node:path';
import { loadConfig } from '../config/preset.ts';
import type { Override } from '../config/overrides.ts';
import { checkOutputDir } from '../io/output-path.ts';
import { acquireRunLock } from '../io/run-lock.ts';
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
  /** Messages about the run directory (a stale lock taken over, notes); default stderr. */
  readonly log?: (line: string) => void;
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
  checkOutputDir(o.outDir, 'the run directory');
  const log = o.log ?? ((line: string) => console.error(line));
  const recipe = await buildRecipe(config);
  const resume = Boolean(o.resume) && latestCheckpoint(o.outDir) !== null;
  if (!o.resume && latestCheckpoint(o.outDir))
    throw new CladeError(
      'run directory already has checkpoints: pass --resume to continue it, or another --out',
      { file: o.outDir },
    );
  // one process per run directory: a second `clade train` into it fails instead of interleaving its files
  const lock = acquireRunLock(o.outDir, (m) => log(`${o.outDir}: ${m}`));
  try {
    // written before the first step (and again when a resume extends the run), so an interrupted run always
    // resumes with its exact settings
    if (!o.resume || configDiff(readRunConfig(o.outDir).config, config).length)
      writeFileAtomic(join(o.outDir, 'config.json'), JSON.stringify(configJson(config), null, 2) + '\n');
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
  } finally {
    lock.release();
  }
}

/**
 * The config a resumed run uses: its saved `config.json`, checked against what the command line asks for (a
 * preset naming another recipe, or an override that would change a setting, is an error — except
 * `--train.steps=N` alone, which extends the run to N steps).
 *
 * @example
 * const cfg = resumedConfig('runs/d', { overrides }); // the saved config
 * resumedConfig('runs/d', splitOverrides(['--train.steps=2000'])).notes; // extends the run
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
        `the run trains recipe '${saved.recipeName}', but ${o.preset} is recipe '${named.recipeName}' (omit it: --resume uses the run's own config.json)`,
        { file },
      );
  }
  const requested = resolveConfig(configJson(saved), { file, overrides: o.overrides });
  const diff = configDiff(saved, requested);
  // --train.steps=N alone may extend a run (also a finished one): the schedule is then defined by the new total
  if (diff.length === 1 && diff[0].startsWith('train.steps:')) {
    const at = checkpointStep(outDir);
    if (requested.train.steps <= at)
      throw new CladeError(
        `--train.steps=${requested.train.steps}: the run already has a checkpoint at step ${at}; give more steps`,
        { file },
      );
    return {
      ...requested,
      notes: [
        `extending the run from ${saved.train.steps} to ${requested.train.steps} steps: the learning-rate schedule ` +
          `(warm-up + cosine) is now defined over ${requested.train.steps} steps, so steps after ${at} follow the new curve`,
      ],
    };
  }
  if (diff.length)
    throw new CladeError(
      `--resume continues the run with its saved config; these overrides would change it:\n  ${diff.join('\n  ')}\n` +
        'Start a new run (another --out) to change settings.',
      { file },
    );
  return saved;
}

/** The step of the run's newest checkpoint (0 when it has none). */
export function checkpointStep(outDir: string): number {
  const ckpt = latestCheckpoint(outDir);
  return ckpt ? Number(/step-(\d+)/.exec(basename(ckpt))?.[1] ?? 0) : 0;
}

/** A one-line description of where a resumed run starts. */
export function resumeNote(outDir: string): string {
  const ckpt = latestCheckpoint(outDir);
  return ckpt ? `resuming ${outDir} from ${basename(ckpt)}` : `no checkpoint yet in ${outDir}: starting it`;
}
