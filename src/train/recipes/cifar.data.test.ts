import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { sharedDatasetsDir } from '../../data/readers/shared-datasets.ts';
import { Rng } from '../../util/rng.ts';
import { train } from '../trainer.ts';
import { evaluateCifarEncoder, loadCifarEval, type CifarEvalData } from './parts/cifar-eval.ts';
import { RECIPES } from './index.ts';
import type { Recipe } from '../recipe.ts';

// The real-data check of the image-only recipes (docs/results.md, "CIFAR-100: supervised and SimCLR"): each
// preset trains on the 20k CIFAR-100 training subset (for the step budget in BUDGET below), and its encoder must
// beat the same encoder untrained (the trainer's initialisation) in kNN accuracy at the coarse rank (20
// superclasses) on the 10k test set. `npm run bench:train` trains the full presets and adds linear probes and the
// PyTorch throughput.
const DIR = sharedDatasetsDir('cifar-100');
const have = existsSync(join(DIR, 'train.bin')) && existsSync(join(DIR, 'test.bin'));

async function presetRecipe(name: 'supervised-cifar' | 'simclr-cifar') {
  const preset = JSON.parse(
    readFileSync(new URL(`../../config/presets/${name}.json`, import.meta.url), 'utf8'),
  );
  const entry = RECIPES[name] as unknown as {
    schema: { parse(x: unknown): unknown };
    build(c: unknown): Promise<Recipe>;
  };
  const recipe = await entry.build(
    entry.schema.parse({ ...preset.recipeConfig, file: join(DIR, 'train.bin') }),
  );
  return { recipe, train: preset.train as { steps: number; lr: number; warmup: number; workers?: number } };
}

/**
 * Steps trained here (CI time), and the coarse-kNN gain over the untrained encoder required after them.
 * `supervised-cifar` trains its whole preset (800 steps) against issue 5's +10 bar (measured +13.2).
 * `simclr-cifar`'s preset is 2,000 steps (+12.4 points, docs/results.md, via `npm run bench:train`); that is about
 * 12 minutes of CPU, so the suite runs the same recipe and schedule shape for 800 steps, where the BatchNorm encoder
 * measured +9.2 points, and requires +7: a regression check of the short run, not the target.
 */
const BUDGET = {
  'supervised-cifar': { steps: undefined, minGain: 0.1 },
  'simclr-cifar': { steps: 800, minGain: 0.07 },
} as const;

describe.skipIf(!have)('image-only recipes on CIFAR-100 (20k train, 10k test)', () => {
  let data: CifarEvalData;
  const pct = (x: number) => (100 * x).toFixed(1);

  for (const name of ['supervised-cifar', 'simclr-cifar'] as const)
    test(`${name}: trained encoder beats the untrained one by ≥ ${Math.round(100 * BUDGET[name].minGain)} points coarse kNN`, async () => {
      data ??= loadCifarEval(DIR);
      const { recipe, train: preset } = await presetRecipe(name);
      const t = { ...preset, steps: BUDGET[name].steps ?? preset.steps };
      const opts = { probe: false } as const;
      const before = await evaluateCifarEncoder(recipe, recipe.init(new Rng(0).fork('init')), data, opts);
      const outDir = join(mkdtempSync(join(tmpdir(), `clade-${name}-`)), 'run');
      const t0 = performance.now();
      const res = await train(recipe, {
        ...t,
        workers: t.workers ?? 1,
        seed: 0,
        outDir,
        checkpointEvery: t.steps,
        keepLast: 1,
        quiet: true,
      });
      const secs = (performance.now() - t0) / 1000;
      const after = await evaluateCifarEncoder(recipe, res.params, data, opts);
      console.info(
        `${name}: ${t.steps} steps × ${recipe.batchSize} in ${secs.toFixed(0)} s; kNN fine ${pct(before.knn.fine)} → ${pct(after.knn.fine)}, ` +
          `coarse ${pct(before.knn.coarse)} → ${pct(after.knn.coarse)}` +
          (after.testAccuracy !== undefined ? `; test accuracy ${pct(after.testAccuracy)}` : ''),
      );
      expect(after.knn.coarse).toBeGreaterThanOrEqual(before.knn.coarse + BUDGET[name].minGain);
      expect(after.knn.fine).toBeGreaterThan(before.knn.fine);
      if (after.testAccuracy !== undefined) expect(after.testAccuracy).toBeGreaterThan(0.15);
    });
});
