import { describe, expect, test } from 'vitest';
import { defineGraph, evaluate, grad, input, type Tensor } from '../engine/index.ts';
import { Rng } from '../util/rng.ts';
import {
  byolCos,
  clipInfoNce,
  clipinLoss,
  cmcLoss,
  exteriorAngle,
  hierarchicalLoss,
  mocoLoss,
  ntXent,
  radialLoss,
  replayLoss,
  sigLip,
  supCon,
} from './index.ts';

type M = number[][];
const rng = new Rng(9);
const rand = (n: number, d: number): M =>
  Array.from({ length: n }, () => Array.from({ length: d }, () => rng.normal()));
const norm = (v: number[]) => {
  const s = Math.hypot(...v);
  return v.map((x) => x / s);
};
const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);
const lse = (xs: number[]) => {
  const m = Math.max(...xs);
  return m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0));
};
const ce = (rows: M, t: number[]) => rows.reduce((s, r, i) => s + lse(r) - r[t[i]], 0) / rows.length;
const T = (m: M) => m[0].map((_, j) => m.map((r) => r[j]));
const cosM = (a: M, b: M) => a.map((x) => b.map((y) => dot(norm(x), norm(y))));
const ar = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Check the traced loss against a float64 formula, and its gradients against central differences. */
function check(
  shapes: Record<string, number[]>,
  values: Record<string, M | number[]>,
  build: (t: Record<string, Tensor>) => Tensor,
  expected: number,
  opts: { grads?: boolean; ints?: string[] } = {},
) {
  const ins = Object.fromEntries(
    Object.entries(shapes).map(([k, s]) => [k, input(k, s, opts.ints?.includes(k) ? 'int64' : 'float32')]),
  );
  const loss = build(ins);
  const feeds = Object.fromEntries(
    Object.entries(values).map(([k, v]) => [
      k,
      Float64Array.from((v as number[][]).flat ? (v as number[][]).flat() : (v as number[])),
    ]),
  );
  const floatNames = Object.keys(shapes).filter((k) => !opts.ints?.includes(k));
  const gs =
    opts.grads === false
      ? []
      : grad(
          loss,
          floatNames.map((k) => ins[k]),
        );
  const g = defineGraph(
    Object.values(ins),
    Object.fromEntries([['loss', loss], ...gs.map((t, i) => [`g${i}`, t])]),
  );
  const out = evaluate(g, feeds);
  // graph constants (1/τ, 1/N in means) are float32, so agreement is to ~1e-7 relative, not 1e-15.
  expect(Math.abs(out.loss.data[0] - expected)).toBeLessThan(1e-6 * Math.max(1, Math.abs(expected)));
  if (opts.grads === false) return;
  const lossOnly = defineGraph(Object.values(ins), { loss });
  floatNames.forEach((k, gi) => {
    const x = feeds[k];
    for (let j = 0; j < x.length; j++) {
      const keep = x[j];
      x[j] = keep + 1e-6;
      const up = evaluate(lossOnly, feeds).loss.data[0];
      x[j] = keep - 1e-6;
      const dn = evaluate(lossOnly, feeds).loss.data[0];
      x[j] = keep;
      expect(Math.abs((up - dn) / 2e-6 - out[`g${gi}`].data[j])).toBeLessThan(
        1e-6 * Math.max(1, Math.abs(out[`g${gi}`].data[j])),
      );
    }
  });
}

describe('objectives: value against the formula (float64) and gradient against finite differences', () => {
  const N = 4;
  const D = 3;
  const a = rand(N, D);
  const b = rand(N, D);

  test('clip symmetric InfoNCE with learnable logit scale', () => {
    const s = 1.3;
    const L = cosM(a, b).map((r) => r.map((x) => Math.exp(s) * x));
    const want = 0.5 * (ce(L, ar(N)) + ce(T(L), ar(N)));
    check({ a: [N, D], b: [N, D], s: [] }, { a, b, s: [s] }, (t) => clipInfoNce(t.a, t.b, t.s), want);
  });

  test('siglip pairwise sigmoid loss', () => {
    const s = 0.7;
    const bias = -0.4;
    const L = cosM(a, b).map((r) => r.map((x) => Math.exp(s) * x + bias));
    const logsig = (x: number) => -Math.log1p(Math.exp(-x));
    const want =
      -L.flatMap((r, i) => r.map((x, j) => logsig((i === j ? 1 : -1) * x))).reduce((p, q) => p + q, 0) / N;
    check(
      { a: [N, D], b: [N, D], s: [], c: [] },
      { a, b, s: [s], c: [bias] },
      (t) => sigLip(t.a, t.b, t.s, t.c),
      want,
    );
  });

  test('NT-Xent over 2N views', () => {
    const tau = 0.5;
    const z = [...a, ...b].map(norm);
    let want = 0;
    for (let i = 0; i < 2 * N; i++) {
      const row = z
        .map((zk, k) => (k === i ? -Infinity : dot(z[i], zk) / tau))
        .filter((x) => x !== -Infinity);
      want += lse(row) - dot(z[i], z[(i + N) % (2 * N)]) / tau;
    }
    check({ a: [N, D], b: [N, D] }, { a, b }, (t) => ntXent(t.a, t.b, tau), want / (2 * N));
  });

  test('SupCon (L_out), rows without positives excluded', () => {
    const tau = 0.3;
    const y = [0, 1, 0, 2];
    const z = a.map(norm);
    let total = 0;
    let rows = 0;
    for (let i = 0; i < N; i++) {
      const P = ar(N).filter((p) => p !== i && y[p] === y[i]);
      if (!P.length) continue;
      const den = lse(
        ar(N)
          .filter((k) => k !== i)
          .map((k) => dot(z[i], z[k]) / tau),
      );
      total += -P.reduce((s, p) => s + dot(z[i], z[p]) / tau - den, 0) / P.length;
      rows++;
    }
    check({ a: [N, D], y: [N] }, { a, y }, (t) => supCon(t.a, t.y, tau), total / rows, { ints: ['y'] });
  });

  test('BYOL cosine regression with stop-gradient target', () => {
    const want = 2 - (2 * ar(N).reduce((s, i) => s + dot(norm(a[i]), norm(b[i])), 0)) / N;
    check({ a: [N, D], b: [N, D] }, { a, b }, (t) => byolCos(t.a, t.b), want, { grads: false });
    // the target receives no gradient
    const p = input('p', [N, D]);
    const z = input('z', [N, D]);
    const [gz] = grad(byolCos(p, z), [z]);
    const out = evaluate(defineGraph([p, z], { gz }), { p: a.flat(), z: b.flat() });
    expect(out.gz.data.every((x) => x === 0)).toBe(true);
  });

  test('MoCo queue InfoNCE', () => {
    const tau = 0.2;
    const queue = rand(5, D).map(norm);
    const want =
      a.reduce((s, q, i) => {
        const row = [dot(norm(q), norm(b[i])), ...queue.map((k) => dot(norm(q), k))].map((x) => x / tau);
        return s + lse(row) - row[0];
      }, 0) / N;
    check(
      { a: [N, D], b: [N, D], q: [5, D] },
      { a, b, q: queue },
      (t) => mocoLoss(t.a, t.b, t.q, tau),
      want,
      { grads: false },
    );
  });

  test('CMC core-view and full-graph over three views', () => {
    const c = rand(N, D);
    const tau = 0.5;
    const pair = (x: M, y: M) => {
      const L = cosM(x, y).map((r) => r.map((v) => v / tau));
      return ce(L, ar(N)) + ce(T(L), ar(N));
    };
    check(
      { a: [N, D], b: [N, D], c: [N, D] },
      { a, b, c },
      (t) => cmcLoss([t.a, t.b, t.c], tau, 'core'),
      pair(a, b) + pair(a, c),
    );
    check(
      { a: [N, D], b: [N, D], c: [N, D] },
      { a, b, c },
      (t) => cmcLoss([t.a, t.b, t.c], tau, 'full'),
      pair(a, b) + pair(a, c) + pair(b, c),
      { grads: false },
    );
  });

  test('exterior angle and the radial-embedding loss', () => {
    const r = norm([1, 0.2, -0.3]);
    const u = rand(N, D).map(norm);
    const v = rand(N, D).map(norm);
    const xi = (uu: number[], vv: number[]) => {
      const x = uu.map((q, i) => q - r[i]);
      const y = vv.map((q, i) => q - uu[i]);
      return Math.acos(dot(x, y) / (Math.hypot(...x) * Math.hypot(...y)));
    };
    const ri = input('r', [D]);
    const ui = input('u', [N, D]);
    const vi = input('v', [N, D]);
    const out = evaluate(defineGraph([ri, ui, vi], { xi: exteriorAngle(ri, ui, vi) }), {
      r,
      u: u.flat(),
      v: v.flat(),
    });
    for (let i = 0; i < N; i++) expect(out.xi.data[i]).toBeCloseTo(xi(u[i], v[i]), 9);

    const B = 2;
    const pos = [0, 1, 2, 3].map(() => rand(B, D).map(norm));
    const neg = [0, 1, 2, 3].map(() => rand(B, D).map(norm));
    const cur = rand(8 * B, D);
    const fro = rand(8 * B, D);
    const P = [0, 1, 2].flatMap((k) => ar(B).map((b) => xi(pos[k][b], pos[k + 1][b])));
    const Nn = [0, 1, 2].flatMap((k) => ar(B).map((b) => xi(pos[k][b], neg[k][b])));
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const i = P.indexOf(Math.max(...P));
    const j = Nn.indexOf(Math.min(...Nn));
    const Lp = (1 - mean(cur.map((c, k) => dot(norm(c), norm(fro[k]))))) / 2;
    const want = 10 * Lp + (mean(P) - mean(Nn)) + (P[i] - Nn[i] + (P[j] - Nn[j]));
    const shapes: Record<string, number[]> = { r: [D], cur: [8 * B, D], fro: [8 * B, D] };
    const values: Record<string, M | number[]> = { r, cur, fro };
    for (let k = 0; k < 4; k++) {
      shapes[`p${k}`] = [B, D];
      shapes[`n${k}`] = [B, D];
      values[`p${k}`] = pos[k];
      values[`n${k}`] = neg[k];
    }
    check(
      shapes,
      values,
      (t) =>
        radialLoss(
          [0, 1, 2, 3].map((k) => t[`p${k}`]),
          [0, 1, 2, 3].map((k) => t[`n${k}`]),
          t.r,
          t.cur,
          t.fro,
        ).loss,
      want,
      { grads: false },
    );
  });

  test('CLIPin total = inter + λ_self·intra + λ_comb·clip', () => {
    const names = ['eI', 'eT', 'pIx', 'pTx', 'pIs', 'pTs', 'yI', 'yT'];
    const vals = Object.fromEntries(names.map((k) => [k, rand(N, D)]));
    const bc = (p: M, z: M) => 2 - (2 * ar(N).reduce((s, i) => s + dot(norm(p[i]), norm(z[i])), 0)) / N;
    const inter = (bc(vals.pIx, vals.yT) + bc(vals.pTx, vals.yI)) / 2;
    const intra = (bc(vals.pIs, vals.yI) + bc(vals.pTs, vals.yT)) / 2;
    const L = cosM(vals.eI, vals.eT).map((r) => r.map((x) => Math.exp(2) * x));
    const clip = 0.5 * (ce(L, ar(N)) + ce(T(L), ar(N)));
    const want = inter + 1.5 * intra + 0.8 * clip;
    const shapes = Object.fromEntries([...names.map((k) => [k, [N, D]]), ['s', []], ['ls', []], ['lc', []]]);
    check(
      shapes,
      { ...vals, s: [2], ls: [1.5], lc: [0.8] },
      (t) => clipinLoss(t as never, t.s, t.ls, t.lc).loss,
      want,
      { grads: false },
    );
  });

  test('hierarchical (clip + weighted per-rank SupCon) and replay (two clip terms)', () => {
    const s = 1.1;
    const L = cosM(a, b).map((r) => r.map((x) => Math.exp(s) * x));
    const clip = 0.5 * (ce(L, ar(N)) + ce(T(L), ar(N)));
    check(
      { a: [N, D], b: [N, D], s: [], y: [N] },
      { a, b, s: [s], y: [0, 0, 1, 1] },
      (t) => hierarchicalLoss(t.a, t.b, t.s, [{ labels: t.y, weight: 0 }]).loss,
      clip,
      { ints: ['y'], grads: false },
    );
    const c = rand(N, D);
    const d = rand(N, D);
    const L2 = cosM(c, d).map((r) => r.map((x) => Math.exp(s) * x));
    const clip2 = 0.5 * (ce(L2, ar(N)) + ce(T(L2), ar(N)));
    check(
      { a: [N, D], b: [N, D], c: [N, D], d: [N, D], s: [] },
      { a, b, c, d, s: [s] },
      (t) => replayLoss(t.a, t.b, t.c, t.d, t.s).loss,
      clip + clip2,
      { grads: false },
    );
  });
});

test('InfoNCE falls as positives align and is invariant to a joint permutation of the batch', () => {
  const N = 6;
  const x = rand(N, 4);
  const noisy = x.map((r) => r.map((v) => v + rng.normal()));
  const a = input('a', [N, 4]);
  const b = input('b', [N, 4]);
  const s = input('s', []);
  const g = defineGraph([a, b, s], { l: clipInfoNce(a, b, s) });
  const val = (p: M, q: M) => evaluate(g, { a: p.flat(), b: q.flat(), s: [2.6] }).l.data[0];
  expect(val(x, x)).toBeLessThan(val(x, noisy));
  const perm = [3, 1, 5, 0, 2, 4];
  expect(
    val(
      perm.map((i) => x[i]),
      perm.map((i) => noisy[i]),
    ),
  ).toBeCloseTo(val(x, noisy), 10);
});
