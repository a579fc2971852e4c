import { appendFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DataLoader } from '../data/loader/loader.ts';
import { StreamLoader } from '../data/loader/stream-loader.ts';
import type { SkipReport } from '../data/types.ts';
import type { Batch, LoaderPosition } from '../data/loader/loader-types.ts';
import type { Params } from '../nn/context.ts';
import { warmupCosine } from '../optim/schedule.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { readJsonLines } from '../io/jsonl.ts';
import { removeStaleTempFiles } from '../io/temp-files.ts';
import { CladeError } from '../util/errors.ts';
import { progress } from '../util/progress.ts';
import { restoreStepCheckpoint, saveStepCheckpoint } from './checkpoint.ts';
import { stepSpec, type Recipe } from './recipe.ts';
import { NonFiniteLossError, TrainStep } from './step.ts';

export interface TrainOptions {
  readonly steps: number;
  readonly lr: number;
  readonly warmup: number;
  readonly minLr?: number;
  readonly seed: number;
  /** Run directory: checkpoints/, metrics.jsonl. */
  readonly outDir: string;
  readonly checkpointEvery: number;
  /** Checkpoints kept (oldest deleted first). */
  readonly keepLast: number;
  /** Continue from the newest checkpoint in `outDir/checkpoints` (exact: params, optimizer, RNG, data position). */
  readonly resume?: boolean;
  /** Micro-batches per optimizer step (gradient accumulation); `steps` counts optimizer steps. Default 1. */
  readonly accumulate?: number;
  /**
   * Optimizer steps per graph run (`StepSpec.unroll`): parameters and optimizer state cross between JS and ONNX
   * Runtime once per group. `steps`, `checkpointEvery` and `evalEvery` must be multiples of it. Default 1.
   */
  readonly unroll?: number;
  /** Loader worker threads (results do not depend on it). */
  readonly workers?: number;
  /** Run the recipe's `periodicEval` every N steps (0 or absent: never); its numbers go to metrics.jsonl. */
  readonly evalEvery?: number;
  /** Stop after this many steps of this invocation (used to simulate interruption in tests). */
  readonly stopAfter?: number;
  readonly quiet?: boolean;
}

export interface TrainResult<P extends Params = Params> {
  readonly params: P;
  readonly step: TrainStep<P>;
  readonly lastLoss: number;
  readonly stepsPerSecond: number;
}

const CKPT = /^step-(\d{8})\.safetensors$/;

/** Newest checkpoint file in a run directory, or null. */
export function latestCheckpoint(outDir: string): string | null {
  const dir = join(outDir, 'checkpoints');
  if (!existsSync(dir)) return null;
  const files = readdirSync(dir)
    .filter((f) => CKPT.test(f))
    .sort();
  return files.length ? join(dir, files[files.length - 1]) : null;
}

/**
 * Train a recipe: warm-up + cosine schedule, one ONNX graph per step, metrics as JSONL, a progress bar on a
 * TTY, checkpoints every N steps (last K kept, written atomically) and exact resume.
 *
 * @example
 * await train(clipTaxonomy(cfg), { steps: 300, lr: 1e-3, warmup: 30, seed: 0, outDir: 'runs/x', checkpointEvery: 100, keepLast: 2 });
 */
export async function train<P extends Params>(recipe: Recipe<P>, o: TrainOptions): Promise<TrainResult<P>> {
  const evalEvery = o.evalEvery ?? 0;
  if (evalEvery > 0 && !recipe.periodicEval)
    throw new CladeError(
      `recipe '${recipe.name}' has no evaluation hook: set train.evalEvery to 0 (--train.evalEvery=0)`,
    );
  const unroll = o.unroll ?? 1;
  if (unroll > 1) {
    if ((o.accumulate ?? 1) > 1)
      throw new CladeError(
        `train.unroll (${unroll}) and train.accumulate (${o.accumulate}) cannot be combined`,
        {
          field: 'train.unroll',
        },
      );
    const every = { steps: o.steps, checkpointEvery: o.checkpointEvery, evalEvery };
    for (const [k, v] of Object.entries(every))
      if (v % unroll !== 0)
        throw new CladeError(`train.${k} (${v}) must be a multiple of train.unroll (${unroll})`, {
          field: `train.${k}`,
        });
  }
  mkdirSync(join(o.outDir, 'checkpoints'), { recursive: true });
  for (const d of [o.outDir, join(o.outDir, 'checkpoints')])
    for (const f of removeStaleTempFiles(d))
      console.error(`removed ${join(d, f)} (left by an interrupted write)`);
  const step = await TrainStep.create(stepSpec(recipe, { seed: o.seed, accumulate: o.accumulate, unroll }));
  const metricsPath = join(o.outDir, 'metrics.jsonl');
  let start: LoaderPosition = { epoch: 0, step: 0 };
  let lastGood: string | null = null;
  if (o.resume) {
    const ckpt = latestCheckpoint(o.outDir);
    if (ckpt) {
      const extra = restoreStepCheckpoint(ckpt, step);
      if (step.t % unroll !== 0)
        throw new CladeError(
          `the checkpoint is at step ${step.t}, not a multiple of train.unroll (${unroll}): resume with the run's own train.unroll`,
          { file: ckpt },
        );
      start = extra.loader as LoaderPosition;
      lastGood = ckpt;
      truncateMetrics(metricsPath, step.t);
    }
  } else if (existsSync(metricsPath)) rmSync(metricsPath);

  // A stream (WebDataset shards) is read in this thread and resumes from the stream position in the checkpoint.
  const common = {
    source: recipe.pipeline,
    batchSize: recipe.batchSize,
    seed: o.seed,
    epochs: Infinity,
    dropLast: true,
    workers: o.workers ?? 0,
    start,
  };
  const loader = recipe.stream
    ? await StreamLoader.create({ ...common, stream: recipe.stream })
    : await DataLoader.create(common);
  const lr = warmupCosine({ base: o.lr, warmup: o.warmup, total: o.steps, minLr: o.minLr ?? 0 });
  const bar = o.quiet ? null : progress(`train ${recipe.name}`, o.steps, { unit: 'step', initial: step.t });
  let lastLoss = NaN;
  let ran = 0;
  const t0 = performance.now();
  try {
    if (step.t < o.steps) {
      let microLoss = 0;
      let group: Batch[] = [];
      for await (const batch of loader) {
        group.push(batch);
        if (group.length < unroll) continue;
        const batches = group;
        group = [];
        const before = step.t;
        const rates = batches.map((_, i) => lr(before + i));
        let results;
        try {
          results =
            unroll > 1
              ? await step.runSteps(
                  batches.map((b, i) => recipe.feeds(b, before + i)),
                  rates,
                )
              : [await step.run(recipe.feeds(batch, before), rates[0])];
        } catch (e) {
          if (e instanceof NonFiniteLossError)
            throw new CladeError(
              `${e.message}. Last good checkpoint: ${lastGood ?? 'none (no checkpoint written yet)'}`,
              {
                run: o.outDir,
              },
            );
          throw e;
        }
        if (unroll === 1) {
          microLoss += results[0].loss;
          if (step.t === before) continue; // accumulating: no optimizer step yet
        }
        for (const [i, res] of results.entries()) {
          lastLoss = unroll === 1 ? microLoss / (o.accumulate ?? 1) : res.loss;
          microLoss = 0;
          ran++;
          const t = before + i + 1;
          const line: Record<string, unknown> = {
            step: t,
            loss: lastLoss,
            lr: rates[i],
            ...res.metrics,
            epoch: batches[i].epoch,
          };
          let shown: Record<string, number> = {};
          // evalEvery and checkpointEvery are multiples of unroll, so only a group's last step (t = step.t) hits them
          if (evalEvery > 0 && t % evalEvery === 0) {
            const ev = await recipe.periodicEval!(step.params(), t);
            Object.assign(line, ev);
            shown = Object.fromEntries(Object.entries(ev).filter(([k]) => /^(knn|zeroshot)\//.test(k)));
          }
          const skipped = recipe.skipped?.().length ?? 0;
          if (skipped) line.skipped = skipped;
          appendFileSync(metricsPath, JSON.stringify(line) + '\n');
          bar?.tick(1, { loss: lastLoss, lr: rates[i], ...shown });
        }
        if (step.t % o.checkpointEvery === 0 || step.t === o.steps) {
          lastGood = join(o.outDir, 'checkpoints', `step-${String(step.t).padStart(8, '0')}.safetensors`);
          saveStepCheckpoint(lastGood, step, { loader: loader.position() });
          pruneCheckpoints(o.outDir, o.keepLast);
        }
        if (step.t >= o.steps || (o.stopAfter !== undefined && ran >= o.stopAfter)) break;
      }
    }
  } finally {
    await loader.close();
  }
  const secs = (performance.now() - t0) / 1000;
  bar?.done({ loss: lastLoss });
  reportSkipped(recipe.skipped?.() ?? []);
  return { params: step.params(), step, lastLoss, stepsPerSecond: ran / Math.max(secs, 1e-9) };
}

/** The items the data readers skipped (`onError=skip`), on stderr: a count and the first few. */
function reportSkipped(skipped: readonly SkipReport[]): void {
  if (!skipped.length) return;
  const shown = skipped.slice(0, 10).map((s) => `  ${s.where}: ${s.reason}`);
  const more = skipped.length > 10 ? [`  … and ${skipped.length - 10} more`] : [];
  console.error([`skipped ${skipped.length} bad data item(s) (onError=skip):`, ...shown, ...more].join('\n'));
}

function pruneCheckpoints(outDir: string, keep: number): void {
  const dir = join(outDir, 'checkpoints');
  const files = readdirSync(dir)
    .filter((f) => CKPT.test(f))
    .sort();
  for (const f of files.slice(0, Math.max(0, files.length - keep))) rmSync(join(dir, f));
}

/** Drop metric lines written after the checkpoint a run resumes from (the interrupted run's tail). */
function truncateMetrics(path: string, upTo: number): void {
  if (!existsSync(path)) return;
  const kept = readJsonLines<{ step: number }>(path, (line) =>
    console.error(`${path}: line ${line} was cut short by the interrupted run: dropped`),
  ).filter((m) => m.step <= upTo);
  writeFileAtomic(path, kept.map((m) => JSON.stringify(m) + '\n').join(''));
}
