import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { writeNpy } from '../io/npy.ts';
import { Rng } from '../util/rng.ts';
import { runAnalyze } from './analyze.ts';

function fixture(n: number) {
  const dir = mkdtempSync(join(tmpdir(), 'clade-analyze-'));
  const rng = new Rng(2);
  const d = 8;
  const data = new Float32Array(n * d);
  const rows = ['path,species,split'];
  for (let i = 0; i < n; i++) {
    const c = i % 4;
    for (let j = 0; j < d; j++) data[i * d + j] = (j === c ? 3 : 0) + 0.3 * rng.normal();
    rows.push(`img${i}.jpg,sp${c},${i % 5 === 0 ? 'test' : 'train'}`);
  }
  writeNpy(join(dir, 'emb.npy'), data, [n, d]);
  writeFileSync(join(dir, 'meta.csv'), rows.join('\n') + '\n');
  return dir;
}

test('clade analyze: four separable clusters give near-perfect kNN, probe and few-shot; one result file each', async () => {
  const dir = fixture(200);
  const { results, files } = await runAnalyze({
    embeddings: join(dir, 'emb.npy'),
    meta: join(dir, 'meta.csv'),
    labelCol: 'species',
    splitCol: 'split',
    analyses: ['knn', 'linear-probe', 'cluster', 'graph-head', 'few-shot', 'geometry'],
    outDir: join(dir, 'out'),
  });
  expect(files).toHaveLength(6);
  const m = (kind: string) => results.find((r) => r.kind === kind)!.metrics as Record<string, number>;
  expect(m('knn').top1).toBeGreaterThan(0.95);
  expect(m('linear-probe').top1).toBeGreaterThan(0.95);
  expect(m('few-shot').shot5_mean).toBeGreaterThan(0.9);
  expect(m('cluster-structure').rld_T1).toBeGreaterThan(0.3);
  expect(m('graph-head').graphParameters).toBe(16 * 5 + 16 * 16 + 1 + 16 + 2 * 16 + 16 * 4 + 1 + 4);
});

test('clade analyze: a metadata table of the wrong length names both files', async () => {
  const dir = fixture(50);
  writeFileSync(join(dir, 'short.csv'), 'path,species\nimg0.jpg,sp0\n');
  await expect(
    runAnalyze({
      embeddings: join(dir, 'emb.npy'),
      meta: join(dir, 'short.csv'),
      labelCol: 'species',
      analyses: ['knn'],
      outDir: join(dir, 'o'),
    }),
  ).rejects.toThrow(/short\.csv.*1 metadata rows but 50 embeddings in .*emb\.npy/);
});

test('clade analyze, bad input: a NaN row, a missing label column, a duplicate id and an empty label are named', async () => {
  const dir = fixture(40);
  const base = {
    meta: join(dir, 'meta.csv'),
    labelCol: 'species',
    analyses: ['knn'] as const,
    outDir: join(dir, 'o'),
  };
  const data = new Float32Array(40 * 8).fill(1);
  data[17 * 8 + 3] = NaN;
  writeNpy(join(dir, 'nan.npy'), data, [40, 8]);
  await expect(runAnalyze({ ...base, embeddings: join(dir, 'nan.npy') })).rejects.toThrow(
    /nan\.npy: row 17: non-finite value \(NaN\) in column 3/,
  );
  const emb = join(dir, 'emb.npy');
  await expect(runAnalyze({ ...base, embeddings: emb, labelCol: 'genus' })).rejects.toThrow(
    /meta\.csv: no column 'genus' \(columns: path, species, split\)/,
  );
  const rows = readFileSync(join(dir, 'meta.csv'), 'utf8').trim().split('\n');
  writeFileSync(join(dir, 'dup.csv'), [...rows.slice(0, 6), rows[2], ...rows.slice(7)].join('\n') + '\n');
  await expect(
    runAnalyze({ ...base, embeddings: emb, meta: join(dir, 'dup.csv'), idCol: 'path' }),
  ).rejects.toThrow(/dup\.csv: row 5: duplicate path 'img1\.jpg' \(also at row 1\)/);
  writeFileSync(
    join(dir, 'empty.csv'),
    rows.map((l, i) => (i === 9 ? 'img8.jpg,,train' : l)).join('\n') + '\n',
  );
  await expect(runAnalyze({ ...base, embeddings: emb, meta: join(dir, 'empty.csv') })).rejects.toThrow(
    /empty\.csv: row 8: empty species/,
  );
});

test('clade analyze: a class with one sample is kept, logged and recorded; per-class analyses skip it', async () => {
  const dir = fixture(60);
  const rows = readFileSync(join(dir, 'meta.csv'), 'utf8').trim().split('\n');
  rows[60] = rows[60].replace(/sp\d/, 'lonely');
  writeFileSync(join(dir, 'meta.csv'), rows.join('\n') + '\n');
  const lines: string[] = [];
  const { results } = await runAnalyze({
    embeddings: join(dir, 'emb.npy'),
    meta: join(dir, 'meta.csv'),
    labelCol: 'species',
    analyses: ['knn', 'few-shot'],
    outDir: join(dir, 'o'),
    log: (l) => lines.push(l),
  });
  expect(lines.join('\n')).toContain(
    '1 class has a single sample (kept; per-class analyses skip it): lonely',
  );
  for (const r of results) expect(r.params.singleSampleClasses).toEqual(['lonely']);
  const shot = results.find((r) => r.kind === 'few-shot')!;
  expect(shot.metrics.shot1_mean).toBeGreaterThan(0.9);
});
