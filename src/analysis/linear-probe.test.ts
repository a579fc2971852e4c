import { describe, expect, test } from 'vitest';
import { SoftmaxObjective, lbfgs } from './softmax-regression.ts';
import { linearProbe } from './linear-probe.ts';
import { linearHead } from './linear-head.ts';
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

  test('L-BFGS reaches a stationary point of the regularised objective', () => {
    const { x, y } = gaussianClasses(new Rng(3), 4, 50, 10, 0.7);
    const obj = new SoftmaxObjective(x, y, 4, 1e-2);
    const r = lbfgs((t, g) => obj.evaluate(t, g), new Float64Array(obj.size), { tol: 1e-7, maxIter: 500 });
    const g = new Float64Array(obj.size);
    obj.evaluate(r.theta, g);
    expect(Math.max(...Array.from(g, Math.abs))).toBeLessThan(1e-5);
    expect(r.converged).toBe(true);
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
  test('probe selects λ on validation and beats chance by far', () => {
    const r = linearProbe(tr.x, tr.y, te.x, te.y, { lambdas: [1, 1e-2, 1e-4] });
    expect(r.validation).toHaveLength(3);
    expect(r.top1).toBeGreaterThan(0.6);
    expect(r.top5).toBe(1);
    expect([1, 1e-2, 1e-4]).toContain(r.lambda);
  });
  test('linear head: validation vs reference selection, parameter count D·C + C', () => {
    const v = linearHead(tr.x, tr.y, te.x, te.y);
    const ref = linearHead(tr.x, tr.y, te.x, te.y, { mode: 'reference' });
    expect(v.parameters).toBe(16 * 5 + 5);
    expect(v.testTop1).toBeGreaterThan(0.5);
    expect(ref.selection).toMatch(/best test accuracy seen/);
    expect(v.selection).toMatch(/validation/);
  });
});
