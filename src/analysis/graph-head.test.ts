import { describe, expect, test } from 'vitest';
import { graphHead, graphHeadParameters, graphHeadStep, graphHeadInit } from './graph-head.ts';
import { mutualSoftmaxGraph, normalizeGraph } from './rld-graph.ts';
import { relativeLocalDensity } from './rld.ts';
import { Rng } from '../util/rng.ts';

function clusters(rng: Rng, K: number, per: number, d: number, noise: number) {
  const centers = Array.from({ length: K }, () => Array.from({ length: d }, () => rng.normal()));
  const data = new Float32Array(K * per * d);
  const y = new Int32Array(K * per);
  for (let i = 0; i < K * per; i++) {
    y[i] = i % K;
    for (let j = 0; j < d; j++) data[i * d + j] = centers[i % K][j] + rng.normal() * noise;
  }
  return { x: { data, n: K * per, d }, y };
}

describe('graph head (§E.5)', () => {
  test('parameter counts from the spec', () => {
    expect(graphHeadParameters(10)).toBe(652);
    expect(graphHeadParameters(100)).toBe(3622);
  });

  test('the dense graph is the RLD graph: its label modularity equals RLD', () => {
    const { x, y } = clusters(new Rng(1), 3, 10, 4, 0.5);
    const W = mutualSoftmaxGraph(x, 0.2);
    const n = x.n;
    let m2 = 0;
    const k = new Float64Array(n);
    let inside = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        expect(W[i * n + j]).toBeCloseTo(W[j * n + i], 3);
        k[i] += W[i * n + j];
        m2 += W[i * n + j];
        if (y[i] === y[j]) inside += W[i * n + j];
      }
    const vol = [0, 0, 0];
    for (let i = 0; i < n; i++) vol[y[i]] += k[i];
    const q = inside / m2 - vol.reduce((s, v) => s + (v / m2) ** 2, 0);
    expect(q).toBeCloseTo(relativeLocalDensity(x, y, { temperatures: [0.2] }).rld[0], 5);
    expect(W[0]).toBe(0);
  });

  test('hand-written backward pass matches finite differences', () => {
    const { x, y } = clusters(new Rng(2), 3, 4, 3, 0.8);
    const n = x.n;
    const C = 3;
    const A = normalizeGraph(mutualSoftmaxGraph(x, 0.5), n);
    const theta = graphHeadInit(C, new Rng(3));
    // non-zero self-loop weights and BN affine so every path is exercised
    const rng = new Rng(4);
    for (let k = 0; k < theta.length; k++) theta[k] += rng.normal() * 0.1;
    const tokens = Int32Array.from(y);
    const nodes = Int32Array.from([0, 4, 7, 9]);
    for (const i of nodes) tokens[i] = C;
    const grad = new Float64Array(theta.length);
    const lossAt = (t: Float64Array) =>
      graphHeadStep(t, A, n, C, tokens, {
        nodes,
        labels: y,
        smoothing: 0.1,
        grad: new Float64Array(t.length),
      }).loss;
    graphHeadStep(theta, A, n, C, tokens, { nodes, labels: y, smoothing: 0.1, grad });
    let checked = 0;
    for (let k = 0; k < theta.length; k++) {
      const h = 1e-5;
      const p = Float64Array.from(theta);
      p[k] += h;
      const fp = lossAt(p);
      p[k] -= 2 * h;
      const fm = lossAt(p);
      const num = (fp - fm) / (2 * h);
      expect(Math.abs(grad[k] - num)).toBeLessThan(1e-6 + 1e-4 * Math.abs(num));
      checked++;
    }
    expect(checked).toBe(graphHeadParameters(C));
  });

  test('propagates labels on clustered data, both selection modes', () => {
    const { x, y } = clusters(new Rng(5), 4, 60, 8, 0.4);
    const nTr = 160;
    const tr = { data: x.data.slice(0, nTr * 8), n: nTr, d: 8 };
    const te = { data: x.data.slice(nTr * 8), n: x.n - nTr, d: 8 };
    const r = graphHead(tr, y.slice(0, nTr), te, y.slice(nTr), { temperature: 0.1, maxSteps: 300 });
    expect(r.testTop1).toBeGreaterThan(0.9);
    expect(r.parameters).toBe(graphHeadParameters(4));
    const ref = graphHead(tr, y.slice(0, nTr), te, y.slice(nTr), { mode: 'reference', maxSteps: 300 });
    expect(ref.selection).toMatch(/best test accuracy seen/);
    expect(ref.testTop1).toBeGreaterThan(0.9);
  });
});
