import { expect, test } from 'vitest';
import { Rng } from '../util/rng.ts';
import { knnClassify } from './knn.ts';
import { meanPerClassRecall } from './labels.ts';
import { relativeLocalDensity } from './rld.ts';
import { ANALYSIS_NAMES, analysisNeeds, runAnalyses, type LabelledSplit } from './suite.ts';

function split(seed: number, K: number, perClass: number, d: number): LabelledSplit {
  const rng = new Rng(seed);
  const centers = Array.from({ length: K }, () => Array.from({ length: d }, () => rng.normal()));
  const n = K * perClass;
  const data = new Float32Array(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % K;
    for (let j = 0; j < d; j++) data[i * d + j] = centers[y[i]][j] + 0.5 * rng.normal();
  }
  const nTr = Math.round(0.8 * n);
  return {
    train: { data: data.slice(0, nTr * d), n: nTr, d },
    trainLabels: y.slice(0, nTr),
    test: { data: data.slice(nTr * d), n: n - nTr, d },
    testLabels: y.slice(nTr),
  };
}

test('the analysis table runs every analysis on the engine paths, in agreement with the float64 references', async () => {
  const s = split(1, 4, 60, 8);
  const plain = ANALYSIS_NAMES.filter((n) => !analysisNeeds(n)); // the seeds' analyses need annotations
  const ort = await runAnalyses(s, plain);
  const js = await runAnalyses(s, plain, { backend: 'js' });
  expect(ort.map((r) => r.kind)).toEqual([
    'knn',
    'linear-probe',
    'cluster-structure',
    'graph-head',
    'few-shot',
    'geometry',
  ]);
  for (const [a, b] of ort.map((r, i) => [r, js[i]] as const)) {
    for (const v of Object.values(a.metrics)) expect(Number.isFinite(v)).toBe(true);
    expect(Object.keys(a.metrics).sort()).toEqual(Object.keys(b.metrics).sort());
  }
  const [knn, probe, cluster, head] = ort;
  expect(knn.params.backend).toBe('ort');
  expect(knn.metrics.top1).toBe(js[0].metrics.top1);
  expect(knn.metrics.top1).toBeGreaterThan(0.9);
  expect(Math.abs(probe.metrics.top1 - js[1].metrics.top1)).toBeLessThanOrEqual(0.03);
  for (const T of [1, 0.5, 0.2, 0.1])
    expect(cluster.metrics[`rld_T${T}`]).toBeCloseTo(js[2].metrics[`rld_T${T}`], 4);
  expect(cluster.metrics.homogeneity_p10).toBe(js[2].metrics.homogeneity_p10);
  // Parameters of the two heads side by side: 16(C+1) + 273 + 32 + 17C + 1 = 454 for C = 4, and D·C + C = 36.
  expect(head.metrics.graphParameters).toBe(454);
  expect(head.metrics.linearParameters).toBe(36);
  expect(head.metrics.graphTop1).toBeGreaterThan(0.9);
  expect((head.params.graph as { kind: string }).kind).toBe('dense');
});

test('an unknown name is not silently run', async () => {
  const s = split(2, 3, 10, 4);
  expect(await runAnalyses(s, [])).toEqual([]);
  expect((await runAnalyses(s, ['geometry'])).map((r) => r.kind)).toEqual(['geometry']);
});

test('settings reach the analyses and every result records them (split, λ grid with validation scores)', async () => {
  const s = split(3, 3, 30, 6);
  const [knn, probe, cluster] = await runAnalyses(s, ['knn', 'linear-probe', 'cluster'], {
    settings: {
      knn: { k: 7, majorityK: 3, metric: 'euclidean' },
      rld: { temperatures: [0.3], normalize: false },
      homogeneity: { ps: [3, 500] },
      probe: { lambdas: [1e-1, 1e-3], valFraction: 0.25 },
    },
  });
  expect(knn.params).toMatchObject({
    k: 7,
    majorityK: 3,
    temperature: 0.1,
    metric: 'euclidean',
    split: 'train → test',
  });
  // the euclidean vote by hand: weight exp(−‖q − x‖ / T) over the 7 nearest training rows
  const d = s.test.d;
  const pred = Array.from({ length: s.test.n }, (_, i) => {
    const dist = Array.from({ length: s.train.n }, (_, j) => {
      let t = 0;
      for (let k = 0; k < d; k++) t += (s.test.data[i * d + k] - s.train.data[j * d + k]) ** 2;
      return [Math.sqrt(t), j] as const;
    }).sort((a, b) => a[0] - b[0]);
    const score = [0, 0, 0];
    for (const [dd, j] of dist.slice(0, 7)) score[s.trainLabels[j]] += Math.exp(-dd / 0.1);
    return score.indexOf(Math.max(...score));
  });
  const top1 = pred.filter((p, i) => p === s.testLabels[i]).length / s.test.n;
  expect(knn.metrics.top1).toBeCloseTo(top1, 12);
  expect(knn.metrics.meanPerClassRecall).toBeCloseTo(meanPerClassRecall(pred, s.testLabels), 12);
  // the same via the library with the js search
  const js = await knnClassify(s.train, s.trainLabels, s.test, s.testLabels, {
    k: 7,
    metric: 'euclidean',
    backend: 'js',
  });
  expect(Array.from(js.predictions)).toEqual(pred);

  expect(probe.params.lambdas).toEqual([1e-1, 1e-3]);
  expect(probe.params.valFraction).toBe(0.25);
  const val = probe.params.validation as { lambda: number; top1: number }[];
  expect(val.map((v) => v.lambda)).toEqual([1e-1, 1e-3]);
  const best = val.reduce((a, b) => (b.top1 > a.top1 ? b : a));
  expect(probe.params.lambda).toBe(best.lambda);

  expect(cluster.params).toMatchObject({ temperatures: [0.3], normalize: false, ps: [3], split: 'test' }); // 500 ≥ n left out
  const ref = await relativeLocalDensity(s.test, s.testLabels, {
    temperatures: [0.3],
    normalize: false,
    backend: 'js',
  });
  expect(cluster.metrics['rld_T0.3']).toBeCloseTo(ref.rld[0], 5);
  expect(Object.keys(cluster.metrics).filter((k) => k.startsWith('homogeneity'))).toEqual(['homogeneity_p3']);
});

test('mean per-class recall by hand', () => {
  expect(meanPerClassRecall([0, 0, 1], [0, 1, 1])).toBe(0.75);
  expect(meanPerClassRecall([2, 2], [2, 2])).toBe(1);
});
