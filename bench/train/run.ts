/**
 * `npm run bench:train [-- --cases supervised-cifar,simclr-cifar] [--seconds 4] [--rounds 2] [--steps N]
 *  [--json out.json] [--no-train]`
 *
 * For each case (bench/train/cases.ts): (1) training throughput in images/s of the recipe's step graph against
 * the same model and loss in PyTorch (checked and tuned first, bench/reference.ts: each case runs under the fastest
 * thread configuration, `--tune-seconds` each; invalid baselines marked), interleaved round by round on a fixed
 * random batch, medians reported; (2) the recipe trained by `train()` with its preset's budget (end-to-end
 * images/s including the loader); (3) the case's scores for the untrained encoder (the trainer's own
 * initialisation) and the trained one.
 */
// First: forks the spawn helper while this process is small (bench/spawn.ts).
import { spawnJson } from '../spawn.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { train } from '../../src/train/trainer.ts';
import type { Recipe } from '../../src/train/recipe.ts';
import { Rng } from '../../src/util/rng.ts';
import { findTorchPython, median } from '../common.ts';
import { CASES, caseFeeds, recipeStep, type TrainBenchCase } from './cases.ts';
import { baselineJson, pickFastest, tuneBaseline, type Baseline, type RefConfig } from '../reference.ts';

const args = process.argv.slice(2);
const opt = (k: string, d: string) => {
  const i = args.indexOf(`--${k}`);
  return i >= 0 ? args[i + 1] : d;
};
const seconds = Number(opt('seconds', '4'));
const rounds = Number(opt('rounds', '2'));
const only = opt('cases', CASES.map((c) => c.name).join(',')).split(',');
const stepsOverride = Number(opt('steps', '0'));
const jsonOut = opt('json', '');
const doTrain = !args.includes('--no-train');
const tuneSeconds = Number(opt('tune-seconds', '1'));
const python = findTorchPython();
const torchScript = fileURLToPath(new URL('./torch_train.py', import.meta.url));

async function torchRate(c: TrainBenchCase, cfg: RefConfig, secs = seconds): Promise<number | null> {
  if (!python || !c.torch) return null;
  const j = await spawnJson<{ images_per_s: number }>(
    `pytorch ${c.name}`,
    python,
    [torchScript, c.torch.name, String(secs), JSON.stringify(c.torch.config)],
    cfg.env,
  );
  return j?.images_per_s ?? null;
}

async function throughput(c: TrainBenchCase, recipe: Recipe, baseline: Baseline) {
  const step = await recipeStep(recipe);
  const feeds = caseFeeds(c, recipe);
  for (let i = 0; i < 2; i++) await step.run(feeds, 1e-4);
  // The reference's fastest thread configuration for this case (short runs), then interleaved rounds under it.
  const pick =
    python && c.torch ? await pickFastest(baseline.configs, (cfg) => torchRate(c, cfg, tuneSeconds)) : null;
  if (pick)
    console.log(
      `  PyTorch configurations (images/s): ${Object.entries(pick.rates)
        .map(([k, v]) => `${k} ${v?.toFixed(0) ?? 'failed'}`)
        .join(', ')}; using ${pick.config.name}`,
    );
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    // Untimed: re-warms the caches the PyTorch run used (it is spawned by bench/spawn.ts's helper, so this process
    // never forks and its arena is not re-faulted).
    await step.run(feeds, 1e-4);
    let n = 0;
    const s0 = performance.now();
    while (performance.now() - s0 < seconds * 1000) {
      await step.run(feeds, 1e-4);
      n++;
    }
    ours.push((n * recipe.batchSize) / ((performance.now() - s0) / 1000));
    const t = pick ? await torchRate(c, pick.config) : null;
    if (t !== null) theirs.push(t);
  }
  return {
    clade: median(ours),
    pytorch: theirs.length ? median(theirs) : null,
    valid: baseline.valid && theirs.length > 0,
    pytorchConfig: pick?.config ?? null,
    pytorchConfigRates: pick?.rates ?? null,
    // every round's rate, for the spread behind the medians
    cladeRounds: ours,
    pytorchRounds: theirs,
  };
}

const pct = (x: number | undefined) => (x === undefined ? 'n/a' : (100 * x).toFixed(1));

async function main() {
  console.log(`bench:train — ${rounds} rounds of ~${seconds}s per engine; PyTorch: ${python ?? 'not found'}`);
  const baseline = await tuneBaseline(python);
  const rows = [];
  for (const c of CASES.filter((c) => only.includes(c.name))) {
    const recipe = c.recipe();
    console.log(`\n${c.name}: ${c.title}`);
    const speed = await throughput(c, recipe, baseline);
    const ratio = speed.pytorch ? speed.clade / speed.pytorch : null;
    console.log(
      `  step throughput: clade ${speed.clade.toFixed(0)} images/s   pytorch ${speed.pytorch?.toFixed(0) ?? 'n/a'} images/s   ratio ${ratio?.toFixed(2) ?? 'n/a'}x${speed.valid ? '' : ' (INVALID baseline)'}`,
    );
    const row: Record<string, unknown> = { case: c.name, batch: recipe.batchSize, ...speed, ratio };
    if (doTrain) {
      const steps = stepsOverride || c.train.steps;
      const warmup = Math.min(c.train.warmup, steps);
      const t0 = performance.now();
      const untrained = await c.evaluate(recipe, recipe.init(new Rng(0).fork('init')));
      const evalSeconds = (performance.now() - t0) / 1000;
      const outDir = join(mkdtempSync(join(tmpdir(), `clade-bench-${c.name}-`)), 'run');
      const t1 = performance.now();
      const res = await train(recipe, {
        ...c.train,
        steps,
        warmup,
        seed: 0,
        outDir,
        checkpointEvery: steps,
        keepLast: 1,
      });
      const trainSeconds = (performance.now() - t1) / 1000;
      const trained = await c.evaluate(recipe, res.params);
      Object.assign(row, {
        steps,
        lr: c.train.lr,
        trainSeconds,
        evalSeconds,
        endToEnd: (steps * recipe.batchSize) / trainSeconds,
        lastLoss: res.lastLoss,
        untrained,
        trained,
      });
      console.log(
        `  trained ${steps} steps × ${recipe.batchSize} in ${trainSeconds.toFixed(0)} s (${(row.endToEnd as number).toFixed(0)} images/s end to end, loader included); one evaluation ${evalSeconds.toFixed(0)} s`,
      );
      console.log(`  ${'metric'.padEnd(12)} ${'untrained'.padStart(9)} ${'trained'.padStart(9)}   (%)`);
      for (const k of Object.keys(trained))
        console.log(`  ${k.padEnd(12)} ${pct(untrained[k]).padStart(9)} ${pct(trained[k]).padStart(9)}`);
    }
    rows.push(row);
  }
  if (jsonOut)
    writeFileSync(
      jsonOut,
      JSON.stringify(
        { date: new Date().toISOString(), baseline: baselineJson(baseline), cases: rows },
        null,
        2,
      ),
    );
}

await main();
