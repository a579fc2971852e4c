import { join } from 'node:path';
import { loadConfig } from '../../config/preset.ts';
import { splitOverrides, type Override } from '../../config/overrides.ts';
import { configJson, resolveConfig, type ResolvedConfig } from '../../train/resolve-config.ts';
import { checkpointStep, resumedConfig, resumeNote, runTraining } from '../../train/run.ts';
import { CladeError } from '../../util/errors.ts';
import { parseArgs } from '../args.ts';

const HELP = `clade train <preset | config.json> [--data SPEC] [--out DIR] [--dot.path=VALUE ...] [--quiet]
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
  --data SPEC        train on your data: short for --recipeConfig.data=SPEC (an image folder,
                     'photos.csv?image=path&ranks=family,genus,species&valFraction=0.1', webdataset:PATTERN,
                     chains:FILE.csv; docs/datasets.md)
  --out DIR          run directory
  --resume           continue the run in --out
  --quiet            no progress bar
  --stop-after N     stop after N steps of this invocation (simulates an interrupted run)
  --print-config     print the resolved config (every default filled in) and exit without training`;

/** `--data SPEC` / `--data=SPEC` → `--recipeConfig.data=SPEC` (kept a string even when it looks like JSON). */
function dataShorthand(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const spec = a === '--data' ? argv[++i] : a.startsWith('--data=') ? a.slice(7) : undefined;
    if (a === '--data' && spec === undefined)
      throw new CladeError('--data needs a SPEC', { field: '--data' });
    out.push(spec === undefined ? a : `--recipeConfig.data=${JSON.stringify(spec)}`);
  }
  return out;
}

const stamp = () => new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);

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
    const split = splitOverrides(dataShorthand(argv));
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
  try {
    let cfg: ResolvedConfig;
    let out: string;
    let resumedFrom = 0;
    if (a.resume) {
      out = a.out as string;
      cfg = resumedConfig(out, { preset, overrides });
      resumedFrom = checkpointStep(out);
      console.error(resumeNote(out));
    } else {
      const { raw, file, name } = loadConfig(preset);
      cfg = resolveConfig(raw, { file, overrides });
      out = (a.out as string | undefined) ?? join('runs', `${name}-${stamp()}`);
    }
    if (a['print-config']) {
      console.log(JSON.stringify(configJson(cfg), null, 2));
      return 0;
    }
    for (const note of cfg.notes ?? []) console.error(`clade train: ${note}`);
    const run = await runTraining(cfg, {
      outDir: out,
      resume: Boolean(a.resume),
      stopAfter,
      quiet: Boolean(a.quiet),
      log: (line) => console.error(`clade train: ${line}`),
    });
    const r = run.train;
    const steps = cfg.train.steps;
    const loss = Number.isFinite(r.lastLoss) ? `loss ${r.lastLoss.toFixed(4)}, ` : '';
    if (!run.model) {
      console.log(
        `stopped at step ${r.step.t}/${steps} (${loss}${r.stepsPerSecond.toFixed(2)} steps/s); continue with:\n` +
          `  clade train --out ${out} --resume`,
      );
      return 0;
    }
    const resumed = resumedFrom
      ? ` (steps ${resumedFrom + 1}–${steps} in this run, resumed from ${resumedFrom})`
      : '';
    console.log(
      Number.isFinite(r.lastLoss)
        ? `trained ${run.recipe.name} for ${steps} steps${resumed} (${loss}${r.stepsPerSecond.toFixed(2)} steps/s)`
        : `${out} had already finished its ${steps} steps: nothing to train; model directory rewritten`,
    );
    const files = Object.values(run.model.towers).map((x) => x.file);
    console.log(`run: ${out}\nmodel: ${run.modelDir} (${files.join(', ')})`);
    return 0;
  } catch (e) {
    if (!(e instanceof CladeError)) throw e;
    console.error(`clade train: ${e.message}`);
    return 1;
  }
}
