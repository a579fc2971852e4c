import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { evaluateGraph } from '../../test/support/recipes.ts';
import { clipTaxonomy } from './recipes/clip-taxonomy.ts';
import { runTower, writeModelDir } from './model-dir.ts';
import { train } from './trainer.ts';

const small = {
  perSpecies: 4,
  batchSize: 24,
  imageChannels: [8, 16, 16] as [number, number, number],
  textWidth: 16,
  textDepth: 1,
  textHeads: 2,
  embedDim: 16,
  contextLength: 12,
};

test('resume after an interruption reproduces the uninterrupted loss curve exactly', async () => {
  const opts = { steps: 12, lr: 2e-3, warmup: 3, seed: 1, checkpointEvery: 4, keepLast: 2, quiet: true };
  const a = join(mkdtempSync(join(tmpdir(), 'clade-run-')), 'a');
  await train(clipTaxonomy(small), { ...opts, outDir: a });
  const b = join(mkdtempSync(join(tmpdir(), 'clade-run-')), 'b');
  await train(clipTaxonomy(small), { ...opts, outDir: b, stopAfter: 6 }); // "killed" after step 6; last checkpoint at 4
  await train(clipTaxonomy(small), { ...opts, outDir: b, resume: true });
  const curve = (dir: string) =>
    readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).loss);
  expect(curve(b)).toEqual(curve(a));
  expect(curve(a).length).toBe(12);
});

test('an exported model directory re-embeds exactly what the trainer computes', async () => {
  const recipe = clipTaxonomy(small);
  const out = join(mkdtempSync(join(tmpdir(), 'clade-run-')), 'run');
  const { params } = await train(recipe, {
    steps: 3,
    lr: 1e-3,
    warmup: 1,
    seed: 2,
    outDir: out,
    checkpointEvery: 3,
    keepLast: 1,
    quiet: true,
  });
  const n = 5;
  writeModelDir(join(out, 'model'), recipe, params, 4);
  const spec = recipe.towers(n).image;
  const x = new Float32Array(n * 3 * 32 * 32).map((_, i) => Math.sin(i));
  const { embedding: direct } = await evaluateGraph(
    params,
    spec.inputs,
    { image: x },
    (p, b, ctx) => spec.forward(p, b, ctx),
    false,
  );
  const viaOnnx = await runTower(join(out, 'model'), 'image', { image: x }, n);
  expect(viaOnnx.d).toBe(16);
  let worst = 0;
  for (let i = 0; i < direct.length; i++) worst = Math.max(worst, Math.abs(direct[i] - viaOnnx.data[i]));
  expect(worst).toBeLessThan(1e-5);
});

test('clip-taxonomy periodic evaluation reports zero-shot accuracy at every rank', async () => {
  const recipe = clipTaxonomy(small);
  const acc = await recipe.periodicEval(recipe.init(new (await import('../util/rng.ts')).Rng(0)));
  expect(Object.keys(acc).sort()).toEqual([
    'zeroshot/genus',
    'zeroshot/kingdom',
    'zeroshot/order',
    'zeroshot/species',
  ]);
  for (const v of Object.values(acc)) expect(v).toBeGreaterThanOrEqual(0);
  // Untrained towers are near chance at the kingdom rank (3 kingdoms) — far from perfect.
  expect(acc['zeroshot/kingdom']).toBeLessThan(0.9);
});
