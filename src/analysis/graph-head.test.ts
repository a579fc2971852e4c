import { describe, expect, test } from 'vitest';
import { defineGraph, evaluate, grad, input, type Tensor } from '../engine/index.ts';
import { Rng } from '../util/rng.ts';
import { graphHead, graphHeadParameters } from './graph-head.ts';
import {
  denseGraph,
  graphHeadInit,
  graphHeadLogits,
  graphHeadShapes,
  knnGraph,
  maskedCrossEntropy,
} from './graph-head-net.ts';
import { mutualSoftmaxGraph, mutualSoftmaxKnnGraph, normalizeGraph } from './rld-graph.ts';
import { relativeLocalDensity } from './rld.ts';

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

describe('graph head (arXiv 2305.10229)', () => {
  test('parameter counts from the paper', () => {
    expect(graphHeadParameters(10)).toBe(652);
    expect(graphHeadParameters(100)).toBe(3622);
    const sizes = Object.values(graphHeadShapes(10)).map((s) => s.reduce((a, b) => a * b, 1));
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(652);
  });

  test('the dense graph is the RLD graph: its label modularity equals RLD', async () => {
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
    const rld = await relativeLocalDensity(x, y, { temperatures: [0.2], backend: 'js' });
    expect(q).toBeCloseTo(rld.rld[0], 5);
    expect(W[0]).toBe(0);
  });

  test("the engine's gradient of the masked loss matches finite differences (float64 reference)", () => {
    const { x, y } = clusters(new Rng(2), 3, 4, 3, 0.8);
    const n = x.n;
    const C = 3;
    const A = Float64Array.from(normalizeGraph(mutualSoftmaxGraph(x, 0.5), n));
    const init = graphHeadInit(C, new Rng(3));
    // non-zero self-loop weights and BN affine so every path is exercised
    const rng = new Rng(4);
    for (const p of Object.values(init))
      for (let k = 0; k < p.data.length; k++) p.data[k] += rng.normal() * 0.1;
    const nodes = [0, 4, 7, 9];
    const tokens = BigInt64Array.from(y, (v) => BigInt(v));
    const w = new Float64Array(n);
    for (const i of nodes) {
      tokens[i] = BigInt(C);
      w[i] = 1 / nodes.length;
    }
    const p: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(init)) p[k] = input(k, v.shape);
    const [Ai, ti, yi, wi] = [
      input('A', [n, n]),
      input('t', [n], 'int64'),
      input('y', [n], 'int64'),
      input('w', [n]),
    ];
    const loss = maskedCrossEntropy(graphHeadLogits(p, denseGraph(Ai), ti), yi, wi, C, 0.1);
    const names = Object.keys(p);
    const grads = grad(
      loss,
      names.map((k) => p[k]),
    );
    const g = defineGraph([...Object.values(p), Ai, ti, yi, wi], {
      loss,
      ...Object.fromEntries(names.map((k, i) => [`d.${k}`, grads[i]])),
    });
    const feeds = (vals: Record<string, Float64Array>) => ({
      ...vals,
      A,
      t: tokens,
      y: BigInt64Array.from(y, (v) => BigInt(v)),
      w,
    });
    const theta = Object.fromEntries(Object.entries(init).map(([k, v]) => [k, v.data]));
    const at = evaluate(g, feeds(theta));
    let checked = 0;
    const h = 1e-5;
    for (const k of names)
      for (let e = 0; e < theta[k].length; e++) {
        const plus = Float64Array.from(theta[k]);
        const minus = Float64Array.from(theta[k]);
        plus[e] += h;
        minus[e] -= h;
        const fp = evaluate(g, feeds({ ...theta, [k]: plus })).loss.data[0];
        const fm = evaluate(g, feeds({ ...theta, [k]: minus })).loss.data[0];
        const num = (fp - fm) / (2 * h);
        expect(Math.abs(at[`d.${k}`].data[e] - num)).toBeLessThan(1e-6 + 1e-4 * Math.abs(num));
        checked++;
      }
    expect(checked).toBe(graphHeadParameters(C));
  });

  test('propagates labels on clustered data, both selection modes', async () => {
    const { x, y } = clusters(new Rng(5), 4, 60, 8, 0.4);
    const nTr = 160;
    const tr = { data: x.data.slice(0, nTr * 8), n: nTr, d: 8 };
    const te = { data: x.data.slice(nTr * 8), n: x.n - nTr, d: 8 };
    const r = await graphHead(tr, y.slice(0, nTr), te, y.slice(nTr), { temperature: 0.1, maxSteps: 300 });
    expect(r.testTop1).toBeGreaterThan(0.9);
    expect(r.parameters).toBe(graphHeadParameters(4));
    const ref = await graphHead(tr, y.slice(0, nTr), te, y.slice(nTr), { mode: 'reference', maxSteps: 300 });
    expect(ref.selection).toMatch(/best test accuracy seen/);
    expect(ref.testTop1).toBeGreaterThan(0.9);
  });

  test('the ort and js backends take the same steps (same masks, float32 vs float64)', async () => {
    const { x, y } = clusters(new Rng(6), 3, 20, 6, 0.9);
    const nTr = 40;
    const tr = { data: x.data.slice(0, nTr * 6), n: nTr, d: 6 };
    const te = { data: x.data.slice(nTr * 6), n: x.n - nTr, d: 6 };
    const run = (backend: 'ort' | 'js') =>
      graphHead(tr, y.slice(0, nTr), te, y.slice(nTr), { maxSteps: 25, patience: 1000, backend });
    const [a, b] = [await run('ort'), await run('js')];
    expect(a.steps).toBe(25);
    expect(b.steps).toBe(25);
    expect(Math.abs(a.testTop1 - b.testTop1)).toBeLessThanOrEqual(0.05);
    expect(Math.abs(a.trainTop1 - b.trainTop1)).toBeLessThanOrEqual(0.05);
  });

  test('the kNN graph with every neighbour kept is the dense graph; its propagation and gradient match', async () => {
    const { x, y } = clusters(new Rng(7), 3, 6, 4, 0.7);
    const n = x.n;
    const C = 3;
    const dense = normalizeGraph(mutualSoftmaxGraph(x, 0.2), n);
    // k = n − 1 and no sampled tail: every edge is kept and μ is the exact mean distance.
    const g = await mutualSoftmaxKnnGraph(x, 0.2, { k: n - 1, samples: 0, backend: 'js' });
    expect(g.massKept).toBeCloseTo(1, 12);
    for (let i = 0; i < n; i++)
      for (let r = 0; r < g.k; r++) {
        const j = Number(g.index[i * g.k + r]);
        expect(g.weight[i * g.k + r]).toBeCloseTo(dense[i * n + j], 5);
      }
    const init = graphHeadInit(C, new Rng(8));
    const p: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(init)) p[k] = input(k, v.shape);
    const [Ai, ii, wi, ti, yi, mi] = [
      input('A', [n, n]),
      input('index', [n, g.k], 'int64'),
      input('weight', [n, g.k]),
      input('t', [n], 'int64'),
      input('y', [n], 'int64'),
      input('m', [n]),
    ];
    const names = Object.keys(p);
    const outputs = (logits: Tensor) => {
      const loss = maskedCrossEntropy(logits, yi, mi, C, 0);
      const grads = grad(
        loss,
        names.map((k) => p[k]),
      );
      return { logits, ...Object.fromEntries(names.map((k, i) => [`d.${k}`, grads[i]])) };
    };
    const graph = defineGraph([...Object.values(p), Ai, ii, wi, ti, yi, mi], {
      ...Object.fromEntries(
        Object.entries(outputs(graphHeadLogits(p, denseGraph(Ai), ti))).map(([k, v]) => [`dense.${k}`, v]),
      ),
      ...Object.fromEntries(
        Object.entries(outputs(graphHeadLogits(p, knnGraph(ii, wi), ti))).map(([k, v]) => [`knn.${k}`, v]),
      ),
    });
    const tokens = BigInt64Array.from(y, (v, i) => (i % 3 === 0 ? BigInt(C) : BigInt(v)));
    const out = evaluate(graph, {
      ...Object.fromEntries(Object.entries(init).map(([k, v]) => [k, v.data])),
      A: Float64Array.from(dense),
      index: g.index,
      weight: Float64Array.from(g.weight),
      t: tokens,
      y: BigInt64Array.from(y, (v) => BigInt(v)),
      m: Float64Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 / 6 : 0)),
    });
    let compared = 0;
    for (const k of Object.keys(out).filter((k) => k.startsWith('dense.'))) {
      const a = out[k].data;
      const b = out[k.replace('dense.', 'knn.')].data;
      for (let e = 0; e < a.length; e++) expect(b[e]).toBeCloseTo(a[e], 5);
      compared += a.length;
    }
    expect(compared).toBe(n * C + graphHeadParameters(C));
  });

  test('at scale the head runs on the kNN graph and still propagates labels', async () => {
    const { x, y } = clusters(new Rng(9), 5, 80, 16, 0.6);
    const nTr = 300;
    const tr = { data: x.data.slice(0, nTr * 16), n: nTr, d: 16 };
    const te = { data: x.data.slice(nTr * 16), n: x.n - nTr, d: 16 };
    // maxNodes below the node count selects the kNN graph, as 60,000 nodes would.
    const r = await graphHead(tr, y.slice(0, nTr), te, y.slice(nTr), { maxNodes: 200, k: 10, maxSteps: 300 });
    expect(r.graph.kind).toBe('knn');
    expect(r.graph.k).toBe(10);
    expect(r.graph.massKept).toBeGreaterThan(0.5);
    expect(r.graph.massKept).toBeLessThan(1);
    expect(r.testTop1).toBeGreaterThan(0.9);
    const dense = await graphHead(tr, y.slice(0, nTr), te, y.slice(nTr), { maxSteps: 300 });
    expect(dense.graph.kind).toBe('dense');
  });
});
