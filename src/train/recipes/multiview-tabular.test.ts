import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runTower, writeModelDir } from '../model-dir.ts';
import { syntheticTaxonomy } from '../../data/synthetic/synthetic-taxonomy.ts';
import { Rng } from '../../util/rng.ts';
import { multiviewTabular } from './multiview-tabular.ts';
import { evaluateGraph, firstBatch, lossCurve, recipeStep } from '../../../test/support/recipes.ts';

const tiny = {
  perSpecies: 1,
  batchSize: 12,
  size: 16,
  embedDim: 8,
  imageChannels: [4, 8, 8] as [number, number, number],
  textWidth: 8,
  textDepth: 1,
  textHeads: 2,
  contextLength: 12,
  tabularHidden: [16],
};

/** Symmetric InfoNCE of one view pair from the formula (float64): CE(n(a)n(b)ᵀ/τ) + CE of the transpose. */
function pairLoss(a: Float32Array, b: Float32Array, n: number, tau: number): number {
  const d = a.length / n;
  const unit = (x: Float32Array, i: number) => {
    const r = Array.from(x.subarray(i * d, (i + 1) * d));
    const s = Math.hypot(...r);
    return r.map((v) => v / s);
  };
  const A = Array.from({ length: n }, (_, i) => unit(a, i));
  const Bv = Array.from({ length: n }, (_, i) => unit(b, i));
  const L = A.map((u) => Bv.map((v) => u.reduce((s, x, k) => s + x * v[k], 0) / tau));
  const ce = (rows: number[][]) =>
    rows.reduce((s, r, i) => s + Math.log(r.reduce((t, x) => t + Math.exp(x), 0)) - r[i], 0) / n;
  return ce(L) + ce(L[0].map((_, j) => L.map((r) => r[j])));
}

describe('multiview-tabular recipe', () => {
  test('CMC core uses the 2 pairs with the core view, full all 3 pairs (checked against the formula)', async () => {
    const core = multiviewTabular({ ...tiny, mode: 'core' });
    const full = multiviewTabular({ ...tiny, mode: 'full' });
    expect(core.order).toEqual(['image', 'text', 'tabular']);
    const params = core.init(new Rng(0).fork('init'));
    const feeds = core.feeds(await firstBatch(core), 0);
    const run = (r: typeof core) =>
      evaluateGraph(params, r.batchSpec, feeds, (p, b, ctx) => {
        const [v0, v1, v2] = r.embed(p, b, ctx);
        return { loss: r.loss(p, b, ctx).loss.reshape([1]), v0, v1, v2 };
      });
    const a = await run(core);
    const b = await run(full);
    const n = tiny.batchSize;
    const p01 = pairLoss(a.v0, a.v1, n, 0.07);
    const p02 = pairLoss(a.v0, a.v2, n, 0.07);
    const p12 = pairLoss(a.v1, a.v2, n, 0.07);
    expect(a.loss[0]).toBeCloseTo(p01 + p02, 3);
    expect(b.loss[0]).toBeCloseTo(p01 + p02 + p12, 3);
    expect(p12).toBeGreaterThan(0.1);
    // A different core view reorders the views: text as core pairs (text, image) and (text, tabular).
    const textCore = multiviewTabular({ ...tiny, core: 'text' });
    expect(textCore.order).toEqual(['text', 'image', 'tabular']);
    const c = await run(textCore);
    expect(c.loss[0]).toBeCloseTo(p01 + p12, 3);
  });

  test('loss decreases over a few steps; the tabular view is corrupted and noisy', async () => {
    const recipe = multiviewTabular({ ...tiny, mode: 'full' });
    const batch = await firstBatch(recipe);
    expect(batch.tabular![0].length).toBe(tiny.batchSize * 6);
    const ds = syntheticTaxonomy({ seed: 0, perSpecies: 1, size: 16 });
    let changed = 0;
    for (let i = 0; i < tiny.batchSize; i++) {
      const raw = ds.get(batch.indices[i]).tabular!;
      for (let j = 0; j < 6; j++) if (Math.abs(batch.tabular![0][i * 6 + j] - raw[j]) > 1e-6) changed++;
    }
    expect(changed).toBe(tiny.batchSize * 6); // Gaussian noise touches every feature
    const step = await recipeStep(recipe);
    const curve = await lossCurve(step, recipe.feeds(batch, 0), 8, 3e-3);
    expect(curve[curve.length - 1]).toBeLessThan(curve[0]);
    expect(Object.keys(recipe.towers(4))).toEqual(['image', 'text', 'tabular']);
  });

  test('tabular.onnx takes raw features (standardised in-graph) and matches the training forward', async () => {
    const recipe = multiviewTabular(tiny);
    const params = recipe.init(new Rng(1).fork('init'));
    const dir = join(mkdtempSync(join(tmpdir(), 'clade-mv-')), 'model');
    writeModelDir(dir, recipe, params, 5);
    const ds = syntheticTaxonomy({ seed: 0, perSpecies: 1, size: 16 });
    const n = 7;
    const x = new Float32Array(n * 6);
    for (let i = 0; i < n; i++) x.set(ds.get(i).tabular!, i * 6);
    const viaOnnx = await runTower(dir, 'tabular', { tabular: x }, n);
    const spec = recipe.towers(n).tabular;
    const direct = await evaluateGraph(
      params,
      { tabular: { shape: [n, 6] } },
      { tabular: x },
      (p, b, ctx) => spec.forward(p, b, ctx),
      false,
    );
    expect(viaOnnx.d).toBe(tiny.embedDim);
    let worst = 0;
    for (let i = 0; i < direct.embedding.length; i++)
      worst = Math.max(worst, Math.abs(direct.embedding[i] - viaOnnx.data[i]));
    expect(worst).toBeLessThan(1e-4);
    const abs = direct.embedding.reduce((s, v) => s + Math.abs(v), 0) / direct.embedding.length;
    expect(abs).toBeLessThan(10); // raw features (masses in the thousands) were standardised
  });

  test('zero-shot by rank from images and from tabular features (the periodicEval hook)', async () => {
    const recipe = multiviewTabular(tiny);
    const acc = await recipe.periodicEval(recipe.init(new Rng(0).fork('init')));
    for (const q of ['image', 'tabular']) {
      expect(acc[`${q}/kingdom`]).toBeGreaterThanOrEqual(acc[`${q}/species`]);
      expect(acc[`${q}/species`]).toBeGreaterThanOrEqual(0);
    }
    expect(Object.keys(acc)).toHaveLength(8);
  });
});
