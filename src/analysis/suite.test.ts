import { expect, test } from 'vitest';
import { Rng } from '../util/rng.ts';
import { ANALYSIS_NAMES, runAnalyses, type LabelledSplit } from './suite.ts';

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
  const ort = await runAnalyses(s, ANALYSIS_NAMES);
  const js = await runAnalyses(s, ANALYSIS_NAMES, { backend: 'js' });
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
