import { mkdtempSync, writeFileSync } from 'node:fs';
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
