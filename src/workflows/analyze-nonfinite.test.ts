import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { writeNpy } from '../io/npy.ts';
import { Rng } from '../util/rng.ts';
import { runAnalyze } from './analyze.ts';

/** 120 rows of 3 classes; rows 4 and 77 hold NaN / +Inf; `clean` is the same without them. */
function fixture() {
  const dir = mkdtempSync(join(tmpdir(), 'clade-nonfinite-'));
  const rng = new Rng(8);
  const n = 120;
  const d = 6;
  const data = new Float32Array(n * d);
  const meta = ['path,species,split'];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) data[i * d + j] = (j === i % 3 ? 2 : 0) + 0.8 * rng.normal();
    meta.push(`img${i}.jpg,sp${i % 3},${i % 4 === 0 ? 'test' : 'train'}`);
  }
  data[4 * d + 2] = NaN;
  data[77 * d + 5] = Infinity;
  writeNpy(join(dir, 'emb.npy'), data, [n, d]);
  writeFileSync(join(dir, 'meta.csv'), meta.join('\n') + '\n');
  const keep = Array.from({ length: n }, (_, i) => i).filter((i) => i !== 4 && i !== 77);
  const clean = new Float32Array(keep.length * d);
  keep.forEach((r, k) => clean.set(data.subarray(r * d, (r + 1) * d), k * d));
  writeNpy(join(dir, 'clean.npy'), clean, [keep.length, d]);
  writeFileSync(join(dir, 'clean.csv'), [meta[0], ...keep.map((r) => meta[r + 1])].join('\n') + '\n');
  return dir;
}

test('clade analyze --non-finite: fail names the file and row; skip drops the rows, logs and records them, and gives the clean file’s results', async () => {
  const dir = fixture();
  const base = {
    labelCol: 'species',
    splitCol: 'split',
    analyses: ['knn' as const, 'cluster' as const],
    settings: { knn: { k: 10 }, homogeneity: { ps: [1, 5] } },
  };
  await expect(
    runAnalyze({
      ...base,
      embeddings: join(dir, 'emb.npy'),
      meta: join(dir, 'meta.csv'),
      outDir: join(dir, 'f'),
    }),
  ).rejects.toThrow(/emb\.npy: row 4: non-finite value \(NaN\) in column 2/);
  const lines: string[] = [];
  const skip = await runAnalyze({
    ...base,
    embeddings: join(dir, 'emb.npy'),
    meta: join(dir, 'meta.csv'),
    nonFinite: 'skip',
    outDir: join(dir, 's'),
    log: (l) => lines.push(l),
  });
  expect(lines[0]).toMatch(
    /emb\.npy: skipped 2 rows with NaN\/±Inf values.*row 4 \(id 4\), row 77 \(id 77\)/,
  );
  const clean = await runAnalyze({
    ...base,
    embeddings: join(dir, 'clean.npy'),
    meta: join(dir, 'clean.csv'),
    outDir: join(dir, 'c'),
  });
  for (const kind of ['knn', 'cluster-structure']) {
    const a = skip.results.find((r) => r.kind === kind)!;
    const b = clean.results.find((r) => r.kind === kind)!;
    expect(a.metrics).toEqual(b.metrics);
    expect(a.params.nonFinite).toEqual({
      policy: 'skip',
      dropped: 2,
      rows: [
        { row: 4, id: '4' },
        { row: 77, id: '77' },
      ],
    });
    expect(b.params.nonFinite).toBeUndefined();
  }
});
