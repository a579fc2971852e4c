import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { writeNpy } from '../io/npy.ts';
import { Rng } from '../util/rng.ts';
import { readResults, renderReport } from '../report/index.ts';
import { chooseAnalyses, runAnalyze } from './analyze.ts';

// 4 classes with means m_c = 4·e_c + 1.5c·e4 (an ordering along e4); every variant is balanced within each class
// (± half the shift), so class means and norms do not depend on it: stage ±0.5·e5 (orthogonal to every class mean),
// tilt ±0.3 along m_3 − m_0 (inside the inter-class subspace), site ±0.5·e7; a trait of 10·c + noise per row;
// habitat 'fresh' for classes 0–1, 'salt' for 2–3.
function fixture(n = 320) {
  const dir = mkdtempSync(join(tmpdir(), 'clade-seeds-'));
  const rng = new Rng(5);
  const d = 8;
  const data = new Float32Array(n * d);
  const rows = ['path,species,genus,stage,tilt,beak,habitat,site'];
  for (let i = 0; i < n; i++) {
    const c = i % 4;
    const adult = (i >> 2) % 2 === 1;
    const tilt = (i >> 3) % 2 === 1;
    const north = (i >> 4) % 2 === 1;
    const v = data.subarray(i * d, (i + 1) * d);
    for (let j = 0; j < d; j++) v[j] = 0.15 * rng.normal();
    v[c] += 4;
    v[4] += 1.5 * c;
    v[5] += adult ? 0.5 : -0.5;
    v[7] += north ? 0.5 : -0.5;
    const w = [-4, 0, 0, 4, 4.5].map((x) => (0.3 * x) / Math.hypot(4, 4, 4.5)); // along m_3 − m_0
    w.forEach((x, j) => (v[j] += tilt ? x : -x));
    const beak = (10 * c + rng.normal()).toFixed(3);
    rows.push(
      `img${i}.jpg,sp${c},${c < 2 ? 'A' : 'B'},${adult ? 'adult' : 'juvenile'},${tilt ? 'up' : 'flat'},${beak},${c < 2 ? 'fresh' : 'salt'},${north ? 'north' : 'south'}`,
    );
  }
  writeNpy(join(dir, 'emb.npy'), data, [n, d]);
  writeFileSync(join(dir, 'meta.csv'), rows.join('\n') + '\n');
  return { dir, emb: join(dir, 'emb.npy'), meta: join(dir, 'meta.csv') };
}

const metricsOf = (r: { metrics: unknown }) => r.metrics as Record<string, number>;

test('clade analyze --variant-col: a shift orthogonal to the class means has ρ ≈ 0 (θ ≈ 90°), one inside has ρ ≈ 1', async () => {
  const f = fixture();
  const run = (col: string, variants: [string, string], out: string, groupCol?: string) =>
    runAnalyze({
      embeddings: f.emb,
      meta: f.meta,
      labelCol: 'species',
      analyses: ['variants'],
      variantCol: col,
      variants,
      groupCol,
      outDir: join(f.dir, out),
    });
  const orth = (await run('stage', ['adult', 'juvenile'], 'o1')).results[0];
  expect(orth.kind).toBe('orthogonality');
  const m = metricsOf(orth);
  expect(m.classes).toBe(4);
  expect(m.meanRatio).toBeLessThan(0.02);
  expect(m.meanAngleDeg).toBeGreaterThan(80);
  expect(m.randomBaseline).toBeCloseTo(3 / 8, 12); // r = K − 1 = 3 of D = 8
  expect(m.meanFisher).toBeGreaterThan(5); // shift 1 ≫ noise 0.15
  expect(orth.series!.orthogonality!.class).toEqual(['sp0', 'sp1', 'sp2', 'sp3']);
  expect(orth.params).toMatchObject({ variants: ['adult', 'juvenile'], split: 'all rows (train + test)' });
  const inside = metricsOf((await run('tilt', ['up', 'flat'], 'o2')).results[0]);
  expect(inside.meanRatio).toBeGreaterThan(0.8);
  // per genus (A: sp0, sp1; B: sp2, sp3): r = 1 in each, baseline 1/8
  const grouped = (await run('stage', ['adult', 'juvenile'], 'o3', 'genus')).results[0];
  expect(grouped.params.groups).toEqual(['A', 'B']);
  expect(metricsOf(grouped).randomBaseline).toBeCloseTo(1 / 8, 12);
  expect(metricsOf(grouped).meanRatio).toBeLessThan(0.02);
});

test('clade analyze --trait-col and --attribute-col: trait order ρ = τ = 1; habitat separates between classes, site within', async () => {
  const f = fixture();
  const { results } = await runAnalyze({
    embeddings: f.emb,
    meta: f.meta,
    labelCol: 'species',
    analyses: ['trait-order', 'attribute'],
    traitCol: 'beak',
    attributeCol: 'habitat',
    outDir: join(f.dir, 'out'),
  });
  const trait = results.find((r) => r.kind === 'trait-order')!;
  expect(metricsOf(trait).spearman).toBe(1);
  expect(metricsOf(trait).kendall).toBe(1);
  expect(trait.params.classes).toEqual(['sp0', 'sp1', 'sp2', 'sp3']);
  expect(
    (trait.series as Record<string, { x: number[] }>).traitOrder.x.map((v) => Math.round(v / 10) + 0),
  ).toEqual([0, 1, 2, 3]);
  const habitat = metricsOf(results.find((r) => r.kind === 'attribute-separation')!);
  expect(habitat.between_classes).toBe(4);
  // hand-computed from the class means (cosines 0, 0, 0, .21, .26, .45): ratio .88 / .775 = 1.14, baseline ≈ 1.0
  expect(habitat.between_ratio).toBeCloseTo(1.14, 1);
  expect(habitat.between_baseline).toBeLessThan(1.05);
  expect(habitat.within_classes).toBeUndefined(); // habitat does not vary inside a species
  const site = metricsOf(
    (
      await runAnalyze({
        embeddings: f.emb,
        meta: f.meta,
        labelCol: 'species',
        analyses: ['attribute'],
        attributeCol: 'site',
        outDir: join(f.dir, 'site'),
      })
    ).results[0],
  );
  expect(site.within_classes).toBe(4);
  expect(site.within_ratio).toBeGreaterThan(2); // north rows sit 1 along e7 from south rows, noise 0.15
  expect(site.within_baseline).toBeLessThan(1.1);
  expect(site.within_p).toBeLessThan(0.02);
  // the report plots each of them
  const html = await renderReport(readResults(join(f.dir, 'out')).concat(readResults(join(f.dir, 'site'))), {
    title: 'seeds',
  });
  for (const id of ['series-traitOrder', 'series-attributeSeparation'])
    expect(html).toContain(`data-plot="${id}"`);
});

test('the seeds analyses run by default when their column is given, and say which option they need', () => {
  const base = { embeddings: 'e.npy', meta: 'm.csv', labelCol: 'y', outDir: 'o' };
  expect(chooseAnalyses(base)).toEqual([
    'knn',
    'linear-probe',
    'cluster',
    'graph-head',
    'few-shot',
    'geometry',
  ]);
  expect(chooseAnalyses({ ...base, traitCol: 't', attributeCol: 'h' }).slice(-2)).toEqual([
    'trait-order',
    'attribute',
  ]);
  expect(() => chooseAnalyses({ ...base, analyses: ['variants'] })).toThrow(
    /option --analyses: analysis 'variants' needs --variant-col/,
  );
});

test('clade analyze --multilabel-cols: a separable pair of binary columns gives mAP ≈ 1; a bad cell is named', async () => {
  const f = fixture();
  const rows = readFileSync(f.meta, 'utf8').trim().split('\n');
  // big: species 2–3 (yes/no); north: the site (1/0) — both linear in the embedding
  const out = rows.map((l, i) => {
    if (i === 0) return `${l},big,north`;
    const c = l.split(',');
    return `${l},${['sp2', 'sp3'].includes(c[1]) ? 'yes' : 'no'},${c[7] === 'north' ? 1 : 0}`;
  });
  writeFileSync(join(f.dir, 'ml.csv'), out.join('\n') + '\n');
  const { results } = await runAnalyze({
    embeddings: f.emb,
    meta: join(f.dir, 'ml.csv'),
    labelCol: 'species',
    analyses: ['multilabel-probe'],
    multiLabelCols: ['big', 'north'],
    outDir: join(f.dir, 'ml'),
  });
  const m = metricsOf(results[0]);
  expect(m.labelsScored).toBe(2);
  expect(m.mAP).toBeGreaterThan(0.99);
  expect(m.macroF1).toBeGreaterThan(0.95);
  expect(results[0].params.validation).toHaveLength(4);
  writeFileSync(
    join(f.dir, 'bad.csv'),
    out.map((l, i) => (i === 3 ? l.replace(/,\d$/, ',maybe') : l)).join('\n'),
  );
  await expect(
    runAnalyze({
      embeddings: f.emb,
      meta: join(f.dir, 'bad.csv'),
      labelCol: 'species',
      analyses: ['multilabel-probe'],
      multiLabelCols: ['big', 'north'],
      outDir: join(f.dir, 'ml2'),
    }),
  ).rejects.toThrow(/bad\.csv: row 2: column north: expected 1\/0, true\/false or yes\/no, got 'maybe'/);
});
