import { describe, expect, test } from 'vitest';
import { alignment, uniformity } from './alignment-uniformity.ts';
import { effectiveRank } from './effective-rank.ts';
import { pcaFit, pca } from './pca.ts';
import { kendallTauB, spearman, argsort } from './rank-correlation.ts';
import { simpleShot } from './simple-shot.ts';
import { symmetricEigen } from './linalg.ts';
import { umapProject } from './umap.ts';
import { Rng } from '../util/rng.ts';

const XC = {
  data: new Float32Array([1, 0, 0, 0.9, 0.1, 0, 0, 1, 0, 0.1, 0.9, 0.1, 0, 0, 1, 0.1, 0, 0.9, 0.5, 0.5, 0]),
  n: 7,
  d: 3,
};

describe('rank correlations (scipy reference values)', () => {
  test('kendall τ-b and spearman with ties', () => {
    expect(kendallTauB([1, 2, 2, 3, 5], [2, 1, 3, 3, 4])).toBeCloseTo(0.6666666666666666, 12);
    expect(spearman([1, 2, 2, 3, 5], [2, 1, 3, 3, 4])).toBeCloseTo(0.7631578947368421, 12);
    expect(kendallTauB(argsort([0.3, 0.3, 0.5, 0.1]), [1, 2, 3, 4])).toBeCloseTo(0, 12);
  });
});

describe('linear algebra, PCA, effective rank', () => {
  test('Jacobi eigen', () => {
    const { values, vectors } = symmetricEigen(new Float64Array([2, 1, 1, 2]), 2);
    expect(values[0]).toBeCloseTo(3, 12);
    expect(values[1]).toBeCloseTo(1, 12);
    expect(Math.abs(vectors[0])).toBeCloseTo(Math.SQRT1_2, 12);
  });

  test('PCA explained variance matches scikit-learn; randomized agrees with exact', () => {
    const p = pcaFit(XC, 2);
    expect(p.explainedVariance[0]).toBeCloseTo(0.31553611, 6);
    expect(p.explainedVariance[1]).toBeCloseTo(0.27411969, 6);
    expect(p.explainedVarianceRatio[0]).toBeCloseTo(0.53480697, 6);
    const rng = new Rng(4);
    const n = 300;
    const d = 40;
    const data = new Float32Array(n * d);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < d; j++) data[i * d + j] = rng.normal() * (j < 3 ? 10 - 3 * j : 0.3);
    const x = { data, n, d };
    const ex = pcaFit(x, 3, { method: 'exact' });
    const ra = pcaFit(x, 3, { method: 'randomized', rng: new Rng(1) });
    for (let c = 0; c < 3; c++) {
      expect(ra.explainedVariance[c] / ex.explainedVariance[c]).toBeCloseTo(1, 4);
      let dot = 0;
      for (let j = 0; j < d; j++) dot += ra.components[c * d + j] * ex.components[c * d + j];
      expect(Math.abs(dot)).toBeCloseTo(1, 4);
    }
    const y = pca(x, 2);
    expect([y.n, y.d]).toEqual([n, 2]);
  });

  test('effective rank matches numpy SVD and the extreme cases', () => {
    expect(effectiveRank(XC)).toBeCloseTo(2.9866313184305, 5);
    const eye = { data: new Float32Array([1, 0, 0, 0, 1, 0, 0, 0, 1]), n: 3, d: 3 };
    expect(effectiveRank(eye)).toBeCloseTo(3, 4);
    const line = { data: new Float32Array([1, 1, 2, 2, 3, 3]), n: 3, d: 2 };
    expect(effectiveRank(line)).toBeCloseTo(1, 4);
  });
});

describe('alignment and uniformity (Wang & Isola)', () => {
  test('known values', () => {
    const a = { data: new Float32Array([1, 0, 0, 1]), n: 2, d: 2 };
    const b = { data: new Float32Array([0, 1, 0, 1]), n: 2, d: 2 };
    expect(alignment(a, b)).toBeCloseTo(1, 12); // (2 + 0) / 2
    expect(alignment(a, a)).toBe(0);
    // 4 points at 90° on a circle: 4 pairs at ‖·‖² = 2, 2 pairs at 4
    const sq = { data: new Float32Array([1, 0, 0, 1, -1, 0, 0, -1]), n: 4, d: 2 };
    expect(uniformity(sq)).toBeCloseTo(Math.log((4 * Math.exp(-4) + 2 * Math.exp(-8)) / 6), 10);
    const clumped = { data: new Float32Array([1, 0, 1, 0.01, 1, -0.01, 0.99, 0]), n: 4, d: 2 };
    expect(uniformity(clumped)).toBeGreaterThan(uniformity(sq));
  });
});

describe('SimpleShot', () => {
  test('separable classes → accuracy 1; folds are seeded by fold index', () => {
    const rng = new Rng(9);
    const K = 4;
    const per = 20;
    const d = 8;
    const data = new Float32Array(K * per * d);
    const y = new Int32Array(K * per);
    for (let c = 0; c < K; c++)
      for (let i = 0; i < per; i++) {
        for (let j = 0; j < d; j++) data[(c * per + i) * d + j] = (j === c ? 5 : 0) + rng.normal() * 0.3;
        y[c * per + i] = c;
      }
    const r = simpleShot({ data, n: K * per, d }, y, { shots: 1, folds: 5 });
    expect(r.mean).toBe(1);
    expect(r.std).toBe(0);
    // Noisy version: deterministic across calls, and folds differ from each other.
    for (let i = 0; i < data.length; i++) data[i] += rng.normal() * 3;
    const a = simpleShot({ data, n: K * per, d }, y, { shots: 1 });
    const b = simpleShot({ data, n: K * per, d }, y, { shots: 1 });
    expect(a.folds).toEqual(b.folds);
    expect(new Set(a.folds).size).toBeGreaterThan(1);
    expect(a.std).toBeCloseTo(Math.sqrt(a.folds.reduce((s, f) => s + (f - a.mean) ** 2, 0) / 5), 12);
    expect(simpleShot({ data, n: K * per, d }, y, { shots: 5 }).mean).toBeGreaterThan(a.mean - 0.05);
  });
});

describe('UMAP', () => {
  test('seeded projection is reproducible and keeps clusters apart', () => {
    const rng = new Rng(2);
    const n = 60;
    const data = new Float32Array(n * 5);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < 5; j++) data[i * 5 + j] = (i < 30 ? 10 : -10) * (j === 0 ? 1 : 0) + rng.normal();
    const a = umapProject({ data, n, d: 5 }, { seed: 3, nEpochs: 100 });
    const b = umapProject({ data, n, d: 5 }, { seed: 3, nEpochs: 100 });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    const mean = (lo: number, hi: number) => {
      let x = 0,
        y = 0;
      for (let i = lo; i < hi; i++) ((x += a.data[2 * i]), (y += a.data[2 * i + 1]));
      return [x / (hi - lo), y / (hi - lo)];
    };
    const [m0, m1] = [mean(0, 30), mean(30, 60)];
    let within = 0;
    for (let i = 0; i < 30; i++) within += Math.hypot(a.data[2 * i] - m0[0], a.data[2 * i + 1] - m0[1]) / 30;
    expect(Math.hypot(m0[0] - m1[0], m0[1] - m1[1])).toBeGreaterThan(2 * within);
  });
});
