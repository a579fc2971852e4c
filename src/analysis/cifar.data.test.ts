import { describe, expect, test } from 'vitest';
import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import os from 'node:os';
import { writeFileAtomic } from '../util/atomic-write.ts';
import type { Embeddings } from '../io/embeddings.ts';
import { takeRows } from '../io/embeddings.ts';
import { Rng } from '../util/rng.ts';
import { pcaFit, pcaTransform } from './pca.ts';
import { knnClassify } from './knn.ts';
import { linearProbe } from './linear-probe.ts';
import { linearHead } from './linear-head.ts';
import { graphHead } from './graph-head.ts';
import { calinskiHarabasz } from './calinski-harabasz.ts';
import { relativeLocalDensity } from './rld.ts';
import { classHomogeneityCurve } from './class-homogeneity.ts';

const DIR = resolve(__dirname, '../../../shared/datasets/cifar-10');
const FILE = resolve(DIR, 'test_batch.bin');

/** CIFAR-10 binary records: 1 label byte + 3072 planar RGB bytes → pixels in [0, 1]. */
function readCifar(path: string): { x: Embeddings; y: Int32Array } {
  const buf = readFileSync(path);
  const rec = 3073;
  if (buf.length % rec !== 0) throw new Error(`${path}: size ${buf.length} is not a multiple of ${rec}`);
  const n = buf.length / rec;
  const data = new Float32Array(n * 3072);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = buf[i * rec];
    for (let j = 0; j < 3072; j++) data[i * 3072 + j] = buf[i * rec + 1 + j] / 255;
  }
  return { x: { data, n, d: 3072 }, y };
}

const time = <T>(f: () => T): [T, number] => {
  const t = performance.now();
  const r = f();
  return [r, (performance.now() - t) / 1000];
};
const timeAsync = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
  const t = performance.now();
  const r = await f();
  return [r, (performance.now() - t) / 1000];
};

describe.skipIf(!existsSync(FILE))('analysis suite on CIFAR-10 test pixels (PCA 256, split 8k/2k)', () => {
  test('kNN, linear probe, CH, RLD, homogeneity curve and graph head land in plausible ranges', async () => {
    const { x, y } = readCifar(FILE);
    expect(x.n).toBe(10000);
    const trIdx = Int32Array.from({ length: 8000 }, (_, i) => i); // records are round-robin by class: balanced
    const teIdx = Int32Array.from({ length: 2000 }, (_, i) => 8000 + i);
    const [p, tPca] = time(() =>
      pcaFit(takeRows(x, trIdx.subarray(0, 4000)), 256, {
        method: 'randomized',
        rng: new Rng(0),
        powerIterations: 1,
      }),
    );
    const z = pcaTransform(p, x);
    const tr = takeRows(z, trIdx);
    const te = takeRows(z, teIdx);
    const ytr = y.slice(0, 8000);
    const yte = y.slice(8000);
    const [knn, tKnn] = await timeAsync(() => knnClassify(tr, ytr, te, yte, { k: 200, temperature: 0.1 }));
    const [knnMaj] = await timeAsync(() => knnClassify(tr, ytr, te, yte, { k: 20, vote: 'majority' }));
    const t0 = performance.now();
    const probe = await linearProbe(tr, ytr, te, yte, { lambdas: [1e-2, 1e-3, 1e-4], maxIter: 100 });
    const tProbe = (performance.now() - t0) / 1000;
    const [ch] = time(() => calinskiHarabasz(tr, ytr));
    // Density metrics on the training split, as the reference notebooks compute them on the training set.
    const [rld, tRld] = await timeAsync(() => relativeLocalDensity(tr, ytr, { temperatures: [1, 0.5, 0.1] }));
    const [curve, tCurve] = await timeAsync(() => classHomogeneityCurve(tr, ytr, [1, 10, 100, 500, 1000]));
    // Graph head vs linear head on a 2,000-node subset (dense n × n graph).
    const gTr = takeRows(tr, trIdx.subarray(0, 1600));
    const gTe = takeRows(
      te,
      teIdx.subarray(0, 400).map((i) => i - 8000),
    );
    const gyTr = ytr.slice(0, 1600);
    const gyTe = yte.slice(0, 400);
    const [gcn, tGcn] = await timeAsync(() =>
      graphHead(gTr, gyTr, gTe, gyTe, { temperature: 0.1, maxSteps: 300 }),
    );
    const lin = await linearHead(gTr, gyTr, gTe, gyTe);

    expect(p.explainedVarianceRatio.reduce((a, b) => a + b, 0)).toBeGreaterThan(0.85);
    expect(knn.top1).toBeGreaterThan(0.25);
    expect(knn.top1).toBeLessThan(0.5);
    expect(knnMaj.top1).toBeGreaterThan(0.2);
    expect(probe.top1).toBeGreaterThan(0.28);
    expect(probe.top1).toBeLessThan(0.5);
    expect(ch).toBeGreaterThan(1);
    expect(rld.rld[2]).toBeGreaterThan(rld.rld[0]);
    expect(rld.rld[0]).toBeGreaterThan(0);
    expect(rld.rld[2]).toBeLessThan(0.3);
    expect(curve[0].value).toBeGreaterThan(0.2);
    expect(curve[0].value).toBeGreaterThan(curve[4].value);
    expect(curve[4].value).toBeGreaterThan(0.1);
    expect(gcn.testTop1).toBeGreaterThan(0.15);
    expect(gcn.parameters).toBe(652);

    const f = (v: number, k = 3) => v.toFixed(k);
    const md = `## Analysis on CIFAR-10 pixels

Produced by \`src/analysis/cifar.data.test.ts\` (\`CLADE_WRITE_RESULTS=1 npx vitest run --project data src/analysis\`).
Input: the 10,000 CIFAR-10 test images as raw pixels in [0, 1] (3,072-d), randomized PCA (seeded, 1 power
iteration) fitted on the first 4,000 training records and applied to all, 256 components (${f(100 * p.explainedVarianceRatio.reduce((a, b) => a + b, 0), 1)} % of the variance).
Split: records 0–7,999 train, 8,000–9,999 test (class-balanced). Pixels are a weak representation, so these are
floor values, not model results. Timings: each metric on its default backend (ONNX Runtime graphs) on the shared
2-core machine, load average
${os.loadavg()[0].toFixed(1)} at the end of the run (other jobs running), so they overstate idle-machine times.

| metric | value | time |
|---|---|---|
| kNN top-1 (cosine, k=200, T=0.1 weighted) | ${f(knn.top1)} (top-5 ${f(knn.top5)}) | ${f(tKnn, 1)} s |
| kNN top-1 (majority, k=20) | ${f(knnMaj.top1)} | |
| linear probe top-1 (L-BFGS, λ=${probe.lambda} chosen on validation) | ${f(probe.top1)} (train ${f(probe.trainTop1)}) | ${f(tProbe, 1)} s |
| Calinski–Harabasz (train 8k) | ${f(ch, 1)} | |
| RLD T=1 / 0.5 / 0.1 (exact, train 8k) | ${rld.rld.map((v) => f(v, 4)).join(' / ')} | ${f(tRld, 1)} s |
| class homogeneity p=1 / 10 / 100 / 500 / 1000 (train 8k) | ${curve.map((c) => f(c.value)).join(' / ')} | ${f(tCurve, 1)} s |
| graph head (T=0.1, 1,600 train + 400 test nodes; ${gcn.parameters} parameters) | ${f(gcn.testTop1)} (${gcn.steps} steps) | ${f(tGcn, 1)} s |
| linear head (same subset, AdamW lr 0.1; ${lin.parameters} parameters) | ${f(lin.testTop1)} | |
| PCA 3072 → 256 (randomized, fit on 4k) | | ${f(tPca, 1)} s |

Both heads use clade's default selection (held-out validation split), not the reference's best-test selection.
`;
    console.log(md);
    if (process.env.CLADE_WRITE_RESULTS)
      upsertSection(resolve(__dirname, '../../docs/results.md'), '## Analysis on CIFAR-10 pixels', md);
  });
});

/** Replaces (or appends) one `## ` section of a Markdown file, leaving other sections untouched. */
function upsertSection(path: string, heading: string, body: string): void {
  const old = existsSync(path) ? readFileSync(path, 'utf8') : '# Results\n';
  const start = old.indexOf(heading);
  let next: string;
  if (start < 0) next = `${old.trimEnd()}\n\n${body}`;
  else {
    const after = old.indexOf('\n## ', start + heading.length);
    next = old.slice(0, start) + body + (after < 0 ? '' : old.slice(after + 1));
  }
  writeFileAtomic(path, next.endsWith('\n') ? next : `${next}\n`);
}
