import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { calinskiHarabasz } from '../analysis/calinski-harabasz.ts';
import { classHomogeneityCurve } from '../analysis/class-homogeneity.ts';
import { knnClassify } from '../analysis/knn.ts';
import { sparseRld } from '../analysis/rld-sparse.ts';
import { takeRows, type Embeddings } from '../io/embeddings.ts';
import { writeLanceEmbeddings } from '../io/lance.ts';
import { Rng } from '../util/rng.ts';
import type { CladeResult } from '../report/index.ts';
import { runAnalyze } from './analyze.ts';

const dir = mkdtempSync(join(tmpdir(), 'clade-analyze-ann-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `n` rows of 6 overlapping Gaussian classes in 16-d (not normalised), written as `name.lance`. */
async function dataset(name: string, n: number, nanRows: number[] = []) {
  const rng = new Rng(5);
  const d = 16;
  const K = 6;
  const centres = rng.normalArray(K * d);
  const data = new Float32Array(n * d);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = (i * 7) % K;
    for (let j = 0; j < d; j++) data[i * d + j] = 2 + centres[labels[i] * d + j] + 1.2 * rng.normal();
  }
  for (const r of nanRows) data[r * d + 3] = NaN;
  const ids = Array.from({ length: n }, (_, i) => `img/${i}.jpg`);
  const path = join(dir, `${name}.lance`);
  await writeLanceEmbeddings(path, {
    embeddings: { data, n, d },
    ids,
    labels,
    labelNames: Array.from(labels, (l) => `class${l}`),
  });
  return { path, x: { data, n, d } as Embeddings, labels };
}

const settings = {
  knn: { k: 20, majorityK: 5 },
  rld: { temperatures: [1, 0.5, 0.1], k: 10, samples: 64 },
  homogeneity: { ps: [1, 5, 10] },
};

/** With every list probed the neighbour lists are exact, so every number must equal the in-memory computation. */
async function expectExact(results: CladeResult[], x: Embeddings, labels: Int32Array) {
  const n = x.n;
  const knn = results.find((r) => r.kind === 'knn')!;
  const cluster = results.find((r) => r.kind === 'cluster-structure')!;
  const ann = knn.params.ann as Record<string, any>;
  expect(ann.check.queries).toBe(100);
  expect(ann.check.recallAt['10']).toBeGreaterThan(0.99);
  expect(ann.check.trainRecallAt['20']).toBeGreaterThan(0.99);
  expect(ann.shortQueries).toBe(0);
  expect(cluster.params.split).toBe('all rows (train + test)');

  // the same numbers computed exactly in memory: analyze's seeded split (seed 3, 80/20 by position), labels sorted
  const perm = new Rng(3).permutation(n);
  const cut = Math.round(0.8 * n);
  const tr = Array.from(perm.subarray(0, cut));
  const te = Array.from(perm.subarray(cut));
  const y = (idx: number[]) => Int32Array.from(idx, (i) => labels[i]);
  const w = await knnClassify(takeRows(x, tr), y(tr), takeRows(x, te), y(te), { k: 20, temperature: 0.1 });
  const m = await knnClassify(takeRows(x, tr), y(tr), takeRows(x, te), y(te), { k: 5, vote: 'majority' });
  const km = knn.metrics as Record<string, number>;
  expect(km.top1).toBeCloseTo(w.top1, 10);
  expect(km.top5).toBeCloseTo(w.top5, 10);
  expect(km.meanPerClassRecall).toBeCloseTo(w.meanPerClassRecall, 10);
  expect(km.majorityTop1).toBeCloseTo(m.top1, 10);
  const cm = cluster.metrics as Record<string, number>;
  const rld = await sparseRld(x, labels, { temperatures: [1, 0.5, 0.1], k: 10, samples: 64, seed: 3 });
  rld.rld.forEach((v, i) => expect(Math.abs(cm[`rld_T${[1, 0.5, 0.1][i]}`] - v)).toBeLessThan(1e-4));
  const curve = await classHomogeneityCurve(x, labels, [1, 5, 10]);
  for (const c of curve) expect(cm[`homogeneity_p${c.p}`]).toBeCloseTo(c.value, 10);
  expect(cm.calinskiHarabasz / calinskiHarabasz(x, labels)).toBeCloseTo(1, 6);
  expect(cm.annRecall).toBeGreaterThan(0.99);
}

test('clade analyze DATA.lance --ann (engine IVF, every list probed): kNN, sparse RLD, homogeneity and CH equal the exact computations; recall check recorded', async () => {
  const { path, x, labels } = await dataset('ivf', 700);
  const lines: string[] = [];
  const { results, files } = await runAnalyze({
    embeddings: path,
    meta: path,
    labelCol: 'label_name',
    outDir: join(dir, 'out-ivf'),
    settings,
    seed: 3,
    ann: { partitions: 5, nprobes: 5, check: 100, batch: 128 },
    log: (l) => lines.push(l),
  });
  expect(files).toHaveLength(2);
  const ann = results[0].params.ann as Record<string, any>;
  expect(ann.backend).toBe('engine-ivf');
  expect(ann.index).toMatchObject({ type: 'ivf-flat (engine)', lists: 5, nprobe: 5 });
  expect(lines.join('\n')).toMatch(/IVF: 700 rows in 5 lists/);
  await expectExact(results, x, labels);
  await expect(
    runAnalyze({
      embeddings: path,
      meta: path,
      labelCol: 'label_name',
      outDir: join(dir, 'r'),
      ann: { refineFactor: 3 },
    }),
  ).rejects.toThrow(/--refine-factor sets up a LanceDB index: add --ann-backend lance/);
}, 120_000);

test('clade analyze DATA.lance --ann --ann-backend lance: the same numbers through a LanceDB index; a second run uses the index it finds', async () => {
  const n = 700;
  const { path, x, labels } = await dataset('ann', n);
  // every partition probed and 50× re-ranking: the neighbour lists are exact
  const { results, files } = await runAnalyze({
    embeddings: path,
    meta: path,
    labelCol: 'label_name',
    outDir: join(dir, 'out'),
    settings,
    seed: 3,
    ann: {
      backend: 'lance',
      partitions: 4,
      subVectors: 4,
      nprobes: 4,
      refineFactor: 50,
      check: 100,
      batch: 128,
    },
  });
  expect(files).toHaveLength(2);
  const ann = results[0].params.ann as Record<string, any>;
  expect(ann.backend).toBe('lance-ann');
  expect(ann.index.built).toMatchObject({ kind: 'ivf-pq', partitions: 4, subVectors: 4 });
  await expectExact(results, x, labels);

  // a second run uses the index it finds
  const again = await runAnalyze({
    embeddings: path,
    meta: path,
    labelCol: 'label_name',
    outDir: join(dir, 'out2'),
    settings,
    analyses: ['knn'],
    ann: { backend: 'lance', nprobes: 4, refineFactor: 50, check: 0 },
  });
  expect(again.results).toHaveLength(1);
  expect((again.results[0].params.ann as Record<string, any>).index).toMatchObject({ built: null });
}, 120_000);

test('clade analyze --ann: a NaN row is an error naming it, or with --non-finite skip is dropped and recorded', async () => {
  const { path } = await dataset('nan', 400, [17, 230]);
  const base = {
    embeddings: path,
    meta: path,
    labelCol: 'label_name',
    settings,
    analyses: ['knn' as const],
  };
  await expect(runAnalyze({ ...base, outDir: join(dir, 'nan-fail'), ann: { check: 0 } })).rejects.toThrow(
    /nan\.lance.*row 17.*non-finite value \(NaN\) in column 3 \(id img\/17\.jpg\)/,
  );
  const lines: string[] = [];
  const { results } = await runAnalyze({
    ...base,
    outDir: join(dir, 'nan-skip'),
    nonFinite: 'skip',
    ann: { partitions: 2, check: 50 },
    log: (l) => lines.push(l),
  });
  expect(results[0].params.nonFinite).toEqual({
    policy: 'skip',
    dropped: 2,
    rows: [
      { row: 17, id: 'img/17.jpg' },
      { row: 230, id: 'img/230.jpg' },
    ],
  });
  expect(lines.join('\n')).toMatch(/skipped 2 rows with NaN.*row 17 \(id img\/17\.jpg\), row 230/);
  expect((results[0].metrics as Record<string, number>).top1).toBeGreaterThan(0.3);
}, 120_000);

test('clade analyze --ann refuses what it cannot stream, naming the option', async () => {
  const { path } = await dataset('refuse', 50);
  const base = { embeddings: path, meta: path, labelCol: 'label_name', outDir: join(dir, 'r'), ann: {} };
  await expect(runAnalyze({ ...base, analyses: ['knn', 'linear-probe'] })).rejects.toThrow(
    /linear-probe needs every embedding in memory: run it without --ann/,
  );
  await expect(runAnalyze({ ...base, settings: { knn: { metric: 'dot' } } })).rejects.toThrow(
    /--knn-metric cosine/,
  );
  await expect(runAnalyze({ ...base, settings: { rld: { method: 'exact' } } })).rejects.toThrow(
    /exact RLD needs the rows in memory/,
  );
  await expect(runAnalyze({ ...base, embeddings: join(dir, 'x.npy') })).rejects.toThrow(
    /--ann streams a Lance dataset/,
  );
});

test('`clade analyze DATA.lance --ann` from the command line: the --ann options reach the run, bad ones are one-line errors', async () => {
  const { path } = await dataset('cli', 300);
  const root = join(__dirname, '../..');
  const clade = (...args: string[]) =>
    spawnSync(process.execPath, [join(root, 'bin/clade.mjs'), 'analyze', path, '--meta', path, ...args], {
      encoding: 'utf8',
    });
  const common = ['--label-col', 'label_name', '--analyses', 'knn', '--knn-k', '10', '--knn-majority-k', '5'];
  const annOf = (out: string) => {
    const f = readdirSync(out).find((f) => f.startsWith('knn-'))!;
    return JSON.parse(readFileSync(join(out, f), 'utf8')).params.ann;
  };
  const engine = join(dir, 'cli-engine');
  let r = clade(
    ...common,
    '--ann',
    '--ann-partitions',
    '3',
    '--nprobes',
    '2',
    '--ann-check',
    '40',
    '--out',
    engine,
  );
  expect(r.stderr).not.toMatch(/Error|\n\s+at /);
  expect(r.status).toBe(0);
  expect(annOf(engine)).toMatchObject({
    backend: 'engine-ivf',
    index: { lists: 3, nprobe: 2 },
    check: { queries: 40 },
  });
  const lance = join(dir, 'cli-lance');
  r = clade(
    ...common,
    '--ann',
    '--ann-backend',
    'lance',
    '--ann-partitions',
    '2',
    '--ann-sub-vectors',
    '4',
    '--refine-factor',
    '10',
    '--ann-check',
    '0',
    '--out',
    lance,
  );
  expect(r.status).toBe(0);
  expect(annOf(lance)).toMatchObject({
    backend: 'lance-ann',
    index: { built: { kind: 'ivf-pq', partitions: 2, subVectors: 4 }, refineFactor: 10 },
    check: null,
  });
  for (const [args, message] of [
    [['--nprobes', '3'], '--nprobes sets up --ann: add --ann'],
    [['--ann', '--ann-backend', 'faiss'], "--ann-backend: expected engine or lance, got 'faiss'"],
    [
      ['--ann', '--ann-sub-vectors', '4'],
      '--ann-sub-vectors sets up a LanceDB index: add --ann-backend lance',
    ],
  ] as const) {
    r = clade(...common, ...args, '--out', join(dir, 'cli-bad'));
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
  }
}, 120_000);
