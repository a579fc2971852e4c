import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { writeNpy } from '../io/npy.ts';
import { Rng } from '../util/rng.ts';
import { runZeroShot } from './zeroshot.ts';

function fixture() {
  const dir = mkdtempSync(join(tmpdir(), 'clade-zs-'));
  const rng = new Rng(5);
  const d = 6;
  // 4 species in 2 genera; class text = unit axis per species (2 templates each, noisy).
  const K = 4;
  const M = 2;
  const text = new Float32Array(K * M * d);
  for (let k = 0; k < K; k++)
    for (let m = 0; m < M; m++)
      for (let j = 0; j < d; j++) text[(k * M + m) * d + j] = (j === k ? 1 : 0) + 0.05 * rng.normal();
  writeNpy(join(dir, 'text.npy'), text, [K * M, d]);
  writeFileSync(join(dir, 'classes.csv'), 'name,genus,species\nA a,A,A a\nA b,A,A b\nB c,B,B c\nB d,B,B d\n');
  // Images: species 0 and 2 drawn toward their own axis; species 1 images point at species 0 (a same-genus
  // mistake); species 3 images point at species 1 (a cross-genus mistake).
  const target = [0, 0, 2, 1];
  const n = 40;
  const img = new Float32Array(n * d);
  const rows = ['label'];
  for (let i = 0; i < n; i++) {
    const k = i % K;
    for (let j = 0; j < d; j++) img[i * d + j] = (j === target[k] ? 1 : 0) + 0.05 * rng.normal();
    rows.push(['A a', 'A b', 'B c', 'B d'][k]);
  }
  writeNpy(join(dir, 'img.npy'), img, [n, d]);
  writeFileSync(join(dir, 'meta.csv'), rows.join('\n') + '\n');
  const base = {
    images: join(dir, 'img.npy'),
    classText: join(dir, 'text.npy'),
    templatesPerClass: M,
    classes: join(dir, 'classes.csv'),
    classNameCol: 'name',
    rankCols: ['genus', 'species'],
    meta: join(dir, 'meta.csv'),
    labelCol: 'label',
  };
  return { dir, base };
}

test('clade zeroshot: template-ensembled classes, flat and per-rank accuracy with a known taxonomy', async () => {
  const { dir } = fixture();
  const M = 2;
  const r = await runZeroShot({
    images: join(dir, 'img.npy'),
    classText: join(dir, 'text.npy'),
    templatesPerClass: M,
    classes: join(dir, 'classes.csv'),
    classNameCol: 'name',
    rankCols: ['genus', 'species'],
    meta: join(dir, 'meta.csv'),
    labelCol: 'label',
    outDir: join(dir, 'out'),
  });
  const m = r.metrics as Record<string, number>;
  expect(m.top1).toBeCloseTo(0.5, 10); // species 0 and 2 right, 1 and 3 wrong
  expect(m.acc_genus).toBeCloseTo(0.75, 10); // only species 3's mistake crosses genera
  expect(m.acc_species).toBeCloseTo(0.5, 10);
});

test('clade zeroshot --subset, --abstain, --bins: hand-computed outcomes', async () => {
  const { dir, base } = fixture();
  // subset genus ∈ {A}: classes A a, A b; images of B c, B d left out; A a right, A b (pointing at A a) wrong
  const sub = await runZeroShot({
    ...base,
    subset: { column: 'genus', values: ['A'] },
    outDir: join(dir, 's'),
  });
  expect(sub.metrics).toMatchObject({ top1: 0.5, acc_genus: 1 });
  expect(sub.params).toMatchObject({ imagesOutsideSubset: 20, subset: { classes: 2 } });
  await expect(
    runZeroShot({ ...base, subset: { column: 'genus', values: ['Z'] }, outDir: join(dir, 's2') }),
  ).rejects.toThrow(/classes\.csv: option --subset: subset genus ∈ \{Z\} keeps no class/);
  // scale 2: an image on its axis gives its species e²/(e²+3) = 0.71 and its genus (e²+1)/(e²+3) = 0.81, so at
  // p ≥ 0.75 every image is named at genus; genus is right except for B d's images (they point at A b)
  const ab = await runZeroShot({ ...base, scale: 2, abstain: 0.75, outDir: join(dir, 'a') });
  expect(ab.metrics).toMatchObject({
    abstain_at_genus: 1,
    abstain_at_species: 0,
    abstain_none: 0,
    abstain_accuracy: 0.75,
    abstain_meanDepth: 1,
  });
  // bins x = {A a, B c}, y = {A b, B d}: predictions A a, A a, B c, A b → bins x, x, x, y against x, y, x, y
  writeFileSync(join(dir, 'bins.csv'), 'name,bin\nA a,x\nA b,y\nB c,x\nB d,y\n');
  const bins = await runZeroShot({ ...base, bins: join(dir, 'bins.csv'), outDir: join(dir, 'b') });
  expect((bins.metrics as Record<string, number>).bin_top1).toBe(0.75);
  expect(bins.params.bins).toMatchObject({ bins: ['x', 'y'], imagesScored: 40 });
});
