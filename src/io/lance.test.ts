import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { similarityTopK } from '../analysis/top-k.ts';
import { Rng } from '../util/rng.ts';
import { l2Normalize, takeRows } from './embeddings.ts';
import { buildLanceIndex, lanceKnn, readLanceEmbeddings, writeLanceEmbeddings } from './lance.ts';
import { loadEmbeddings } from './load-embeddings.ts';
import { readMetaTable } from './metadata.ts';

const dir = mkdtempSync(join(tmpdir(), 'clade-lance-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Gaussian clusters, unit rows [n, d]. */
function clusters(n: number, d: number, k: number, seed: number) {
  const rng = new Rng(seed);
  const centres = rng.normalArray(k * d);
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) data[i * d + j] = centres[(i % k) * d + j] + 0.6 * rng.normal();
  return l2Normalize({ data, n, d });
}

test('a Lance dataset round-trips ids, labels, names and vectors; loadEmbeddings reads it; rewrites are atomic', async () => {
  const e = clusters(50, 8, 5, 1);
  const ids = Array.from({ length: 50 }, (_, i) => `img/${i}.jpg`);
  const labels = Int32Array.from({ length: 50 }, (_, i) => (i === 3 ? -1 : i % 5));
  const labelNames = Array.from(labels, (l) => (l < 0 ? '' : `class ${l}`));
  const path = join(dir, 'emb.lance');
  await writeLanceEmbeddings(path, { embeddings: e, ids, labels, labelNames }, { model: 'm' });
  const r = await readLanceEmbeddings(path);
  expect(r.ids).toEqual(ids);
  expect(Array.from(r.labels)).toEqual(Array.from(labels));
  expect(r.labelNames).toEqual(labelNames);
  expect(r.embeddings).toEqual(e);
  expect(r.meta).toMatchObject({ model: 'm', dim: '8' });
  const meta = await readMetaTable(path); // its other columns serve as --meta
  expect(meta.names).toEqual(['id', 'label', 'label_name']);
  expect(meta.length).toBe(50);
  expect([meta.columns.id[4], meta.columns.label[4], meta.columns.label_name[4]]).toEqual([
    'img/4.jpg',
    4,
    'class 4',
  ]);
  expect(meta.columns.label_name[3]).toBeNull();
  const l = await loadEmbeddings(path);
  expect(l.ids).toEqual(ids);
  expect(l.embeddings.data).toEqual(e.data);
  // a second write replaces the dataset whole
  const half = takeRows(
    e,
    Array.from({ length: 20 }, (_, i) => i),
  );
  await writeLanceEmbeddings(path, {
    embeddings: half,
    ids: ids.slice(0, 20),
    labels: labels.slice(0, 20),
    labelNames: labelNames.slice(0, 20),
  });
  expect((await readLanceEmbeddings(path)).embeddings.n).toBe(20);
});

test('bad Lance input names the file', async () => {
  await expect(loadEmbeddings(join(dir, 'missing.lance'))).rejects.toThrow(
    /missing\.lance: no such Lance dataset/,
  );
  mkdirSync(join(dir, 'junk.lance'));
  writeFileSync(join(dir, 'junk.lance', 'x'), 'not lance');
  await expect(loadEmbeddings(join(dir, 'junk.lance'))).rejects.toThrow(
    /junk\.lance: not a readable Lance dataset/,
  );
  const e = clusters(4, 3, 2, 2);
  const nan = { ...e, data: Float32Array.from(e.data, (v, i) => (i === 7 ? NaN : v)) };
  const p = join(dir, 'nan.lance');
  await writeLanceEmbeddings(p, {
    embeddings: nan,
    ids: ['a', 'b', 'c', 'd'],
    labels: new Int32Array(4),
    labelNames: ['', '', '', ''],
  });
  await expect(loadEmbeddings(p)).rejects.toThrow(/nan\.lance.*row 2/);
});

test('lanceKnn: exhaustive search equals the exact top-k; an IVF-PQ index keeps recall@10 high', async () => {
  const n = 2000;
  const e = clusters(n, 16, 20, 3);
  const ids = Array.from({ length: n }, (_, i) => `r${i}`);
  const path = join(dir, 'knn.lance');
  await writeLanceEmbeddings(path, {
    embeddings: e,
    ids,
    labels: new Int32Array(n),
    labelNames: ids.map(() => ''),
  });
  const qi = Array.from({ length: 50 }, (_, i) => i * 37);
  const q = takeRows(e, qi);
  const exact = await similarityTopK(q, e, 10);
  const flat = await lanceKnn(path, q, 10, { ids });
  const recall = (got: Int32Array) => {
    let hit = 0;
    for (let i = 0; i < q.n; i++) {
      const want = new Set(exact.index.subarray(i * 10, i * 10 + 10));
      for (let j = 0; j < 10; j++) if (want.has(got[i * 10 + j])) hit++;
    }
    return hit / (q.n * 10);
  };
  expect(recall(flat)).toBeGreaterThanOrEqual(0.99); // ties at float precision aside
  await buildLanceIndex(path, { kind: 'ivf-pq', partitions: 8, subVectors: 4 });
  const ann = await lanceKnn(path, q, 10, { ids, nprobes: 8, refineFactor: 10 });
  expect(recall(ann)).toBeGreaterThanOrEqual(0.9);
}, 60_000);
