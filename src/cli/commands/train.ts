import { basename, join } from 'node:path';
import { loadConfig } from '../../config/preset.ts';
import { splitOverrides, type Override } from '../../config/overrides.ts';
import { writeModelDir } from '../../train/model-dir.ts';
import {
  buildRecipe,
  configDiff,
  configJson,
  resolveConfig,
  type ResolvedConfig,
} from '../../train/resolve-config.ts';
import { latestCheckpoint, train } from '../../train/trainer.ts';
import { writeFileAtomic } from '../../util/atomic-write.ts';
import { CladeError } from '../../util/errors.ts';
import { parseArgs } from '../args.ts';
import { readRunConfig } from '../workflows/run-dir.ts';
import { checkOutputDir } from '../../io/output-path.ts';
import { acquireRunLock, type RunLock } from '../../io/run-lock.ts';

const HELP = `clade train <preset | config.json> [--out DIR] [--dot.path=VALUE ...] [--quiet]
clade train [<preset | config.json>] --out RUN --resume [--dot.path=VALUE ...]

Trains a recipe from a preset (see 'clade presets') or a JSON config file, with overrides by dot path:
  clade train demo --train.steps=50 --train.lr=3e-4 --recipeConfig.embedDim=32
A config file may start from a preset or another file: { "extends": "demo", "train": { "steps": 50 } }.
Unknown keys are errors naming the dot path and close matches. Schema and defaults: docs/configs.md.

Writes to --out (default runs/<name>-<time>/):
  config.json     the resolved config (every default filled in)
  checkpoints/    step-NNNNNNNN.safetensors every train.checkpointEvery steps, the last train.keepLast kept
  metrics.jsonl   one line per step (loss, lr, recipe metrics)
  model/          model.json, weights.safetensors, image.onnx, text.onnx (when the run finishes)

--resume continues the run in --out from its newest checkpoint exactly (parameters, optimizer state, RNG and
data position), with the run's own config.json. Overrides given with --resume must agree with it, except
--train.steps=N, which extends the run (even a finished one) to N steps; the learning-rate schedule is then
defined over the new total. Any other change needs a new run.

Options:
  --out DIR          run directory
  --resume           continue the run in --out
  --quiet            no progress bar
  --stop-after N     stop after N steps of this invocation (simulates an interrupted run)
  --print-config     print the resolved config (every default filled in) and exit without training`;

const stamp = () => new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);

/** The config a resumed run uses: its saved one, checked against the command line. */
function resumeConfig(
  out: string,
  preset: string | undefined,
  overrides: readonly Override[],
): ResolvedConfig {
  const { config: saved, file } = readRunConfig(out);
  if (preset !== undefined) {
    const { raw, file: pf } = loadConfig(preset);
    const named = resolveConfig(raw, { file: pf });
    if (named.recipeName !== saved.recipeName)
      throw new CladeError(
        `the run trains recipe '${saved.recipeName}', but ${preset} is recipe '${named.recipeName}' (omit it: --resume uses the run's own config.json)`,
        { file },
      );
  }
  const requested = resolveConfig(configJson(saved), { file, overrides });
  const diff = configDiff(saved, requested);
  // --train.steps=N alone may extend a run (also a finished one): the schedule is then defined by the new total
  if (diff.length === 1 && diff[0].startsWith('train.steps:')) {
    const done = latestCheckpoint(out);
    const at = done ? Number(/step-(\d+)/.exec(basename(done))?.[1] ?? 0) : 0;
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

/**
 * `clade train`: resolve a preset or config (+ dot-path overrides), train, write the run directory and model.
 * Returns the exit code (0 ok, 1 bad input, 2 usage).
 *
 * @example
 * await run(['demo', '--out', 'runs/d', '--train.steps=50']);
 * await run(['--out', 'runs/d', '--resume']);
 */
export async function run(argv: string[]): Promise<number> {
  let a: ReturnType<typeof parseArgs>;
  let overrides: Override[];
  try {
    const split = splitOverrides(argv);
    overrides = split.overrides;
    a = parseArgs(split.rest, {
      out: 'string',
      resume: 'boolean',
      quiet: 'boolean',
      'stop-after': 'number',
      'print-config': 'boolean',
      help: 'boolean',
    });
  } catch (e) {
    if (!(e instanceof CladeError)) throw e;
    console.error(`clade train: ${e.message}\n\n${HELP}`);
    return 2;
  }
  if (a.help) {
    console.log(HELP);
    return 0;
  }
  const preset = a._[0];
  const stopAfter = a['stop-after'] as number | undefined;
  const usage =
    a._.length > 1 || (!preset && !a.resume)
      ? 'expected one preset or config file'
      : a.resume && !a.out
        ? '--resume needs --out RUN'
        : stopAfter !== undefined && !(Number.isInteger(stopAfter) && stopAfter > 0)
          ? `--stop-after: expected a positive integer, got ${stopAfter}`
          : null;
  if (usage) {
    console.error(`clade train: ${usage}\n\n${HELP}`);
    return 2;
  }
  let lock: RunLock | undefined;
  let resumedFrom = 0;
  try {
    let cfg: ResolvedConfig;
    let out: string;
    if (a.resume) {
      out = a.out as string;
      cfg = resumeConfig(out, preset, overrides);
      const ckpt = latestCheckpoint(out);
      resumedFrom = ckpt ? Number(/step-(\d+)/.exec(basename(ckpt))?.[1] ?? 0) : 0;
      console.error(
        ckpt ? `resuming ${out} from ${basename(ckpt)}` : `no checkpoint yet in ${out}: starting it`,
      );
    } else {
      const { raw, file, name } = loadConfig(preset);
      cfg = resolveConfig(raw, { file, overrides });
      out = (a.out as string | undefined) ?? join('runs', `${name}-${stamp()}`);
      if (latestCheckpoint(out) && !a['print-config'])
        throw new CladeError(
          'run directory already has checkpoints: pass --resume to continue it, or another --out',
          {
            file: out,
          },
        );
    }
    if (a['print-config']) {
      console.log(JSON.stringify(configJson(cfg), null, 2));
      return 0;
    }
    checkOutputDir(out, 'the run directory');
    for (const note of cfg.notes ?? []) console.error(`clade train: ${note}`);
    lock = acquireRunLock(out, (m) => console.error(`clade train: ${out}: ${m}`));
    const recipe = buildRecipe(cfg);
    const t = cfg.train;
    if (t.evalEvery > 0 && !recipe.periodicEval)
      throw new CladeError(
        `recipe '${recipe.name}' has no evaluation hook: set train.evalEvery to 0 (--train.evalEvery=0)`,
      );
    // Written before training starts, so an interrupted run can always be resumed with its exact settings.
    if (!a.resume || configDiff(readRunConfig(out).config, cfg).length)
      writeFileAtomic(join(out, 'config.json'), JSON.stringify(configJson(cfg), null, 2) + '\n');
    const r = await train(recipe, {
      steps: t.steps,
      lr: t.lr,
      warmup: t.warmup,
      minLr: t.minLr,
      seed: t.seed,
      outDir: out,
      checkpointEvery: t.checkpointEvery,
      keepLast: t.keepLast,
      workers: t.workers,
      accumulate: t.accumulate,
      evalEvery: t.evalEvery || undefined,
      onEval: recipe.periodicEval ? (p, step) => recipe.periodicEval!(p, step) : undefined,
      // with no checkpoint yet, start afresh (and drop the metrics of steps that never reached a checkpoint)
      resume: Boolean(a.resume) && latestCheckpoint(out) !== null,
      stopAfter,
      quiet: Boolean(a.quiet),
    });
    const loss = Number.isFinite(r.lastLoss) ? `loss ${r.lastLoss.toFixed(4)}, ` : '';
    if (r.step.t < t.steps) {
      console.log(
        `stopped at step ${r.step.t}/${t.steps} (${loss}${r.stepsPerSecond.toFixed(2)} steps/s); continue with:\n` +
          `  clade train --out ${out} --resume`,
      );
      return 0;
    }
    const modelDir = join(out, 'model');
    const model = writeModelDir(modelDir, recipe, r.params, t.exportBatch);
    console.log(
      Number.isFinite(r.lastLoss)
        ? `trained ${recipe.name} for ${t.steps} steps${resumedFrom ? ` (steps ${resumedFrom + 1}–${t.steps} in this run, resumed from ${resumedFrom})` : ''} (${loss}${r.stepsPerSecond.toFixed(2)} steps/s)`
        : `${out} had already finished its ${t.steps} steps: nothing to train; model directory rewritten`,
    );
    const files = Object.values(model.towers).map((x) => x.file);
    console.log(`run: ${out}\nmodel: ${modelDir} (${files.join(', ')})`);
    return 0;
  } catch (e) {
    if (!(e instanceof CladeError)) throw e;
    console.error(`clade train: ${e.message}`);
    return 1;
  } finally {
    lock?.release();
  }
}
