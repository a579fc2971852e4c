import { describe, expect, test } from 'vitest';
import { SoftmaxObjective, lbfgs } from './softmax-regression.ts';
import { SoftmaxObjectiveOrt } from './softmax-ort.ts';
import { fitSoftmaxRegression, linearProbe } from './linear-probe.ts';
import { FIXED_BUDGET_HEAD, linearHead } from './linear-head.ts';
import { Rng } from '../util/rng.ts';
import type { Embeddings } from '../io/embeddings.ts';

function gaussianClasses(
  rng: Rng,
  K: number,
  per: number,
  d: number,
  sep: number,
): { x: Embeddings; y: Int32Array } {
  const centers = Array.from({ length: K }, () => Array.from({ length: d }, () => rng.normal() * sep));
  const data = new Float32Array(K * per * d);
  const y = new Int32Array(K * per);
  for (let i = 0; i < K * per; i++) {
    const c = i % K;
    y[i] = c;
    for (let j = 0; j < d; j++) data[i * d + j] = centers[c][j] + rng.normal();
  }
  return { x: { data, n: K * per, d }, y };
}

describe('softmax regression', () => {
  test('analytic gradient matches finite differences (with L2 and label smoothing)', () => {
    const { x, y } = gaussianClasses(new Rng(1), 3, 7, 5, 1);
    const obj = new SoftmaxObjective(x, y, 3, 0.3, 0.1);
    const rng = new Rng(2);
    const theta = Float64Array.from({ length: obj.size }, () => rng.normal() * 0.5);
    const g = new Float64Array(obj.size);
    obj.evaluate(theta, g);
    const tmp = new Float64Array(obj.size);
    for (let k = 0; k < obj.size; k++) {
      const h = 1e-6;
      const p = Float64Array.from(theta);
      p[k] += h;
      const fp = obj.evaluate(p, tmp);
      p[k] -= 2 * h;
      const fm = obj.evaluate(p, tmp);
      expect(g[k]).toBeCloseTo((fp - fm) / (2 * h), 6);
    }
  });

  test('L-BFGS reaches a stationary point of the regularised objective', async () => {
    const { x, y } = gaussianClasses(new Rng(3), 4, 50, 10, 0.7);
    const obj = new SoftmaxObjective(x, y, 4, 1e-2);
    const r = await lbfgs((t, g) => obj.evaluate(t, g), new Float64Array(obj.size), {
      tol: 1e-7,
      maxIter: 500,
    });
    const g = new Float64Array(obj.size);
    obj.evaluate(r.theta, g);
    expect(Math.max(...Array.from(g, Math.abs))).toBeLessThan(1e-5);
    expect(r.converged).toBe(true);
  });
});

describe('softmax regression on ONNX Runtime', () => {
  test('loss and gradient equal the float64 objective (ragged chunks, L2, label smoothing)', async () => {
    const { x, y } = gaussianClasses(new Rng(5), 6, 23, 9, 1);
    const rng = new Rng(6);
    for (const [lambda, eps, chunk] of [
      [0.3, 0, 40],
      [1e-3, 0.1, 1000],
    ]) {
      const js = new SoftmaxObjective(x, y, 6, lambda, eps);
      const ort = await SoftmaxObjectiveOrt.create(x, y, 6, lambda, { labelSmoothing: eps, chunk });
      expect(ort.size).toBe(js.size);
      const theta = Float64Array.from({ length: js.size }, () => rng.normal() * 0.5);
      const g1 = new Float64Array(js.size);
      const g2 = new Float64Array(js.size);
      const f1 = js.evaluate(theta, g1);
      const f2 = await ort.evaluate(theta, g2);
      expect(Math.abs(f2 - f1)).toBeLessThan(1e-5 * Math.abs(f1));
      const scale = Math.max(...Array.from(g1, Math.abs));
      for (let k = 0; k < g1.length; k++) expect(Math.abs(g2[k] - g1[k])).toBeLessThan(1e-5 * scale);
    }
  });

  test('fitting on ONNX Runtime gives the weights and accuracy of the float64 fit', async () => {
    const { x, y } = gaussianClasses(new Rng(7), 5, 80, 12, 0.5);
    const opts = { tol: 1e-4, maxIter: 300 };
    const js = await fitSoftmaxRegression(x, y, 5, 1e-2, { ...opts, backend: 'js' });
    const ort = await fitSoftmaxRegression(x, y, 5, 1e-2, opts);
    const wmax = Math.max(...Array.from(js.theta, Math.abs));
    for (let k = 0; k < js.theta.length; k++)
      expect(Math.abs(ort.theta[k] - js.theta[k])).toBeLessThan(2e-3 * wmax);
    expect(Math.abs(ort.loss - js.loss)).toBeLessThan(1e-6);
  });
});

describe('linear probe and the RLD linear-head protocol', () => {
  const all = gaussianClasses(new Rng(4), 5, 120, 16, 0.6);
  const cut = (lo: number, hi: number) => ({
    x: { data: all.x.data.slice(lo * 16, hi * 16), n: hi - lo, d: 16 },
    y: all.y.slice(lo, hi),
  });
  const tr = cut(0, 400);
  const te = cut(400, 600);
  test('probe selects λ on validation and beats chance by far; both backends agree', async () => {
    const r = await linearProbe(tr.x, tr.y, te.x, te.y, { lambdas: [1, 1e-2, 1e-4] });
    const js = await linearProbe(tr.x, tr.y, te.x, te.y, { lambdas: [1, 1e-2, 1e-4], backend: 'js' });
    expect(r.lambda).toBe(js.lambda);
    expect(r.validation.map((v) => v.top1)).toEqual(js.validation.map((v) => v.top1));
    expect(r.top1).toBe(js.top1);
    expect(r.validation).toHaveLength(3);
    expect(r.top1).toBeGreaterThan(0.6);
    expect(r.top5).toBe(1);
    expect([1, 1e-2, 1e-4]).toContain(r.lambda);
  });
  test('linear head: validation vs reference selection, parameter count D·C + C, both backends', async () => {
    const v = await linearHead(tr.x, tr.y, te.x, te.y);
    const js = await linearHead(tr.x, tr.y, te.x, te.y, { backend: 'js' });
    const ref = await linearHead(tr.x, tr.y, te.x, te.y, { mode: 'reference' });
    expect(v.parameters).toBe(16 * 5 + 5);
    expect(v.testTop1).toBeGreaterThan(0.5);
    expect(Math.abs(v.testTop1 - js.testTop1)).toBeLessThanOrEqual(0.02);
    expect(ref.selection).toMatch(/best test accuracy seen/);
    expect(v.selection).toMatch(/validation/);
  });
  test('linear head with a fixed budget (the CIFAR probe protocol): exactly maxSteps steps, both backends', async () => {
    const opts = { ...FIXED_BUDGET_HEAD, maxSteps: 60 };
    const ort = await linearHead(tr.x, tr.y, te.x, te.y, opts);
    const js = await linearHead(tr.x, tr.y, te.x, te.y, { ...opts, backend: 'js' });
    expect(ort.steps).toBe(60);
    expect(ort.bestStep).toBe(60);
    expect(ort.selection).toMatch(/fixed budget/);
    expect(ort.testTop1).toBeGreaterThan(0.6);
    expect(Math.abs(ort.testTop1 - js.testTop1)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(ort.trainTop1 - js.trainTop1)).toBeLessThanOrEqual(0.01);
  });
});
