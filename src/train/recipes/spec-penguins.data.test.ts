import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { sharedDatasetsDir } from '../../data/readers/shared-datasets.ts';
import { Rng } from '../../util/rng.ts';
import { loadConfig } from '../../config/preset.ts';
import { resolveConfig } from '../resolve-config.ts';
import { runTraining } from '../run.ts';
import { openSpecSource } from './parts/spec-data.ts';
import { penguinsDataSpec } from './parts/penguins-data.ts';

// The Palmer penguins table (344 birds, 4 measurements, 2 rows all NA) trains multiview-tabular with image-free
// views: two SCARF-corrupted views of the same row (tabular-only CMC), on a seeded 70 / 30 split; kNN top-1 by
// species of the validation rows against the training rows is logged at every evaluation.
const FILE = join(sharedDatasetsDir('palmer-penguins'), 'penguins.csv');
const MEASURES = 'bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g';
const tmp = mkdtempSync(join(tmpdir(), 'clade-penguins-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

test.skipIf(!existsSync(FILE))(
  'penguins: multiview-tabular with tabular-only views reports kNN by species on a validation split',
  async () => {
    const cfg = resolveConfig({
      recipe: 'multiview-tabular',
      recipeConfig: {
        data: `${FILE}?image=none&ranks=species&tabular=${MEASURES}&valFraction=0.3&seed=0`,
        views: ['tabular', 'tabular'],
        core: 'tabular',
        batchSize: 32,
        embedDim: 16,
        tabularHidden: [64, 64],
        textWidth: 8,
        textDepth: 1,
        textHeads: 1,
        imageChannels: [4, 4, 4],
      },
      train: { steps: 200, lr: 0.003, warmup: 20, seed: 0, evalEvery: 100, checkpointEvery: 200, workers: 0 },
    });
    if (cfg.recipeName !== 'multiview-tabular') throw new Error(cfg.recipeName);
    const t0 = performance.now();
    const run = await runTraining(cfg, { outDir: join(tmp, 'run'), quiet: true });
    const secs = (performance.now() - t0) / 1000;
    const before = await run.recipe.periodicEval(run.recipe.init(new Rng(0).fork('init')));
    const lines = readFileSync(join(tmp, 'run', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const evals = lines.filter((l) => 'knn/species' in l);
    expect(evals.map((l) => l.step)).toEqual([100, 200]);
    const after = evals[1]['knn/species'];
    const pct = (x: number) => (100 * x).toFixed(1);
    console.info(
      `penguins multiview-tabular (tabular × 2): kNN species ${pct(before['knn/species'])} % untrained → ` +
        `${pct(evals[0]['knn/species'])} % (step 100) → ${pct(after)} % (step 200), ${secs.toFixed(0)} s`,
    );
    // 103 validation birds of 3 species; the measurements separate them well (an untrained MLP already does)
    expect(after).toBeGreaterThanOrEqual(0.9);
    expect(after).toBeGreaterThanOrEqual(before['knn/species'] - 0.02);
    expect(Object.keys(run.model!.towers)).toContain('tabular');
  },
  300_000,
);

// The same table through `dataset: 'palmer-penguins'` (preset multiview-penguins): the 2 birds without measurements
// are left out (342 rows, 274 train / 68 validation), and 200 steps of the preset's model separate the species.
test.skipIf(!existsSync(FILE))(
  "penguins: multiview-tabular dataset 'palmer-penguins' (preset multiview-penguins) on the shared file",
  async () => {
    const dataDir = sharedDatasetsDir('palmer-penguins');
    const src = await openSpecSource(
      penguinsDataSpec({ dataDir, seed: 0, data: '', views: ['tabular', 'tabular'] }),
    );
    expect([src.train!.length, src.val!.length]).toEqual([274, 68]);
    const raw = loadConfig('multiview-penguins').raw as {
      recipeConfig: Record<string, unknown>;
      train: Record<string, unknown>;
    };
    const cfg = resolveConfig({
      ...raw,
      recipeConfig: { ...raw.recipeConfig, dataDir },
      train: { ...raw.train, steps: 200, warmup: 20, evalEvery: 200 },
    });
    const out = join(tmp, 'preset');
    const run = await runTraining(cfg, { outDir: out, quiet: true });
    const last = JSON.parse(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').pop()!);
    console.info(
      `penguins preset multiview-penguins: kNN species ${(100 * last['knn/species']).toFixed(1)} % at step 200`,
    );
    expect(last.step).toBe(200);
    expect(last['knn/species']).toBeGreaterThanOrEqual(0.9);
    expect(Object.keys(run.model!.towers)).toContain('tabular');
  },
  300_000,
);
