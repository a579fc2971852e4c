import { describe, expect, test } from 'vitest';
import { relativeLocalDensity } from './rld.ts';
import { calinskiHarabasz } from './calinski-harabasz.ts';
import { Rng } from '../util/rng.ts';
import type { Embeddings } from '../io/embeddings.ts';

const XA = { data: new Float32Array([0, 0, 0, 1, 1, 0, 5, 5, 5, 6, 6, 5]), n: 6, d: 2 };
const XC = {
  data: new Float32Array([1, 0, 0, 0.9, 0.1, 0, 0, 1, 0, 0.1, 0.9, 0.1, 0, 0, 1, 0.1, 0, 0.9, 0.5, 0.5, 0]),
  n: 7,
  d: 3,
};

/** Straight float64 port of the §E.2 formula with a dense matrix, as an independent oracle. */
function rldDense(x: Embeddings, y: ArrayLike<number>, T: number): number {
  const { n, d, data } = x;
  const D = (i: number, j: number) => {
    let s = 0;
    for (let k = 0; k < d; k++) s += (data[i * d + k] - data[j * d + k]) ** 2;
    return Math.sqrt(s) / Math.sqrt(d);
  };
  let mu = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) mu += D(i, j);
  mu /= (n * (n - 1)) / 2;
  const E = Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => (i === j ? 0 : Math.exp(-D(i, j) / mu / T))),
  );
  const r = E.map((row) => row.reduce((a, b) => a + b, 0));
  const W = E.map((row, i) => row.map((e, j) => (n * n * e * e) / (r[i] * r[j])));
  const k = W.map((row) => row.reduce((a, b) => a + b, 0));
  const m2 = k.reduce((a, b) => a + b, 0);
  let q = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) if (y[i] === y[j]) q += W[i][j] - (k[i] * k[j]) / m2;
  return q / m2;
}

describe('RLD and CH reference vectors (docs/methods.md)', () => {
  const cases = [
    ['A', XA, [0, 0, 0, 1, 1, 1], [1, 0.5, 0.1], [0.392172, 0.489986, 0.5], 112.5],
    ['B', XA, [0, 1, 0, 1, 0, 1], [1, 0.1], [-0.141452, -0.054504], 0.480769],
    ['C', XC, [0, 0, 1, 1, 2, 2, 0], [1, 0.2, 0.1], [0.290034, 0.647785, 0.664245], 21.213115],
  ] as const;
  test.each(cases.flatMap((c) => (['js', 'ort'] as const).map((b) => [...c, b] as const)))(
    'case %s (%s)',
    async (_name, x, y, T, want, ch, backend) => {
      const r = await relativeLocalDensity(x, y, { temperatures: T, normalize: false, backend });
      r.rld.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-5));
      expect(calinskiHarabasz(x, y)).toBeCloseTo(ch, 5);
    },
  );
});

function blobs(
  rng: Rng,
  k: number,
  per: number,
  d: number,
  spread: (c: number, i: number) => number[],
): { x: Embeddings; y: Int32Array } {
  const data = new Float32Array(k * per * d);
  const y = new Int32Array(k * per);
  for (let c = 0; c < k; c++)
    for (let i = 0; i < per; i++) {
      const v = spread(c, i);
      data.set(v, (c * per + i) * d);
      y[c * per + i] = c;
    }
  return { x: { data, n: k * per, d }, y };
}

describe('RLD properties', () => {
  const rng = new Rng(7);
  const dim = 8;
  const centers = Array.from({ length: 4 }, () => Array.from({ length: dim }, () => rng.normal() * 3));
  const { x, y } = blobs(rng, 4, 60, dim, (c) => centers[c].map((m) => m + rng.normal()));

  test('chunked computation equals the dense oracle at tiny tile sizes', async () => {
    const js = { backend: 'js' } as const;
    const got = await relativeLocalDensity(x, y, {
      ...js,
      temperatures: [1, 0.2, 0.05],
      rowBlock: 7,
      colBlock: 13,
    });
    const xn = { ...x, data: x.data.map(() => 0) };
    for (let i = 0; i < x.n; i++) {
      let s = 0;
      for (let k = 0; k < dim; k++) s += x.data[i * dim + k] ** 2;
      for (let k = 0; k < dim; k++) xn.data[i * dim + k] = x.data[i * dim + k] / Math.sqrt(s);
    }
    [1, 0.2, 0.05].forEach((T, t) => expect(got.rld[t]).toBeCloseTo(rldDense(xn, y, T), 6));
  });

  test('cached, uncached, global-shift and per-row-shift paths agree', async () => {
    const T = [1, 0.2, 0.05];
    const js = { backend: 'js' } as const;
    const a = (await relativeLocalDensity(x, y, { ...js, temperatures: T })).rld;
    const b = (
      await relativeLocalDensity(x, y, { ...js, temperatures: T, cacheBytes: 0, rowBlock: 16, colBlock: 32 })
    ).rld;
    const c = (await relativeLocalDensity(x, y, { ...js, temperatures: T, shift: 'row' })).rld;
    const d = (await relativeLocalDensity(x, y, { ...js, temperatures: T, shift: 'row', cacheBytes: 0 })).rld;
    for (let t = 0; t < 3; t++) {
      expect(b[t]).toBeCloseTo(a[t], 6); // cache stores float32 distances
      expect(c[t]).toBeCloseTo(a[t], 10);
      expect(d[t]).toBeCloseTo(b[t], 10);
    }
    // Tiny T: the global shift would underflow, the per-row path stays finite and near the partition maximum.
    const tiny = (await relativeLocalDensity(x, y, { ...js, temperatures: [1e-4] })).rld[0];
    expect(Number.isFinite(tiny)).toBe(true);
    expect(tiny).toBeGreaterThan(0.5);
  });

  test('invariant to point permutation and label renaming', async () => {
    const base = (await relativeLocalDensity(x, y, { temperatures: [0.5, 0.1], backend: 'js' })).rld;
    const perm = new Rng(3).permutation(x.n);
    const px = new Float32Array(x.data.length);
    const py = new Int32Array(x.n);
    perm.forEach((src, dst) => {
      px.set(x.data.subarray(src * dim, (src + 1) * dim), dst * dim);
      py[dst] = [2, 0, 3, 1][y[src]];
    });
    const got = (
      await relativeLocalDensity({ data: px, n: x.n, d: dim }, py, {
        temperatures: [0.5, 0.1],
        backend: 'js',
      })
    ).rld;
    got.forEach((v, i) => expect(v).toBeCloseTo(base[i], 9));
    expect(calinskiHarabasz({ data: px, n: x.n, d: dim }, py)).toBeCloseTo(calinskiHarabasz(x, y), 6);
  });

  test('locally dense vs globally dense clusters: small-T RLD and CH order them as the paper says', async () => {
    // Globally dense: each class one tight Gaussian blob. Locally dense: each class is a chain of micro-clusters
    // spread along a long ring that interleaves with other classes' chains (like the "small"/"line" toy families).
    const r2 = new Rng(11);
    const K = 4;
    const per = 80;
    const glob = blobs(r2, K, per, 2, (c) => [
      Math.cos((c * Math.PI) / 2) * 4 + r2.normal() * 0.3,
      Math.sin((c * Math.PI) / 2) * 4 + r2.normal() * 0.3,
    ]);
    const local = blobs(r2, K, per, 2, (c, i) => {
      const micro = i % 8; // 8 micro-clusters per class, interleaved around a circle of radius 6
      const ang = ((micro * K + c) / (8 * K)) * 2 * Math.PI;
      return [Math.cos(ang) * 6 + r2.normal() * 0.05, Math.sin(ang) * 6 + r2.normal() * 0.05];
    });
    const g = (await relativeLocalDensity(glob.x, glob.y, { temperatures: [1, 0.05], normalize: false })).rld;
    const l = (await relativeLocalDensity(local.x, local.y, { temperatures: [1, 0.05], normalize: false }))
      .rld;
    // Both are locally dense at small T (RLD near its maximum 1 − Σ(vol_c/vol)² = 0.75) ...
    expect(l[1]).toBeGreaterThan(0.6);
    expect(g[1]).toBeGreaterThan(0.6);
    // ... but only the supervised-like one is globally dense: CH collapses for the local one, and so does large-T RLD.
    expect(calinskiHarabasz(glob.x, glob.y)).toBeGreaterThan(100 * calinskiHarabasz(local.x, local.y));
    expect(g[0]).toBeGreaterThan(l[0] + 0.1);
    expect(Math.abs(l[0])).toBeLessThan(0.05);
  });
});

describe('sparse top-k RLD approximation', () => {
  test.each(['js', 'ort'] as const)(
    'with k = n − 1 it is exact; a small k plus sampled tails stays close at every T (%s)',
    async (backend) => {
      const rng = new Rng(21);
      const centers = Array.from({ length: 5 }, () => Array.from({ length: 6 }, () => rng.normal()));
      const { x, y } = blobs(rng, 5, 80, 6, (c) => centers[c].map((m) => m + rng.normal() * 0.4));
      const T = [1, 0.1];
      const rld = async (approximate?: { k: number; samples: number }) =>
        (await relativeLocalDensity(x, y, { temperatures: T, approximate, backend })).rld;
      const exact = await rld();
      // k = n − 1: every partner is a neighbour, only μ is estimated from samples → close, not identical
      const full = await rld({ k: x.n - 1, samples: 2000 });
      full.forEach((v, i) => expect(Math.abs(v - exact[i])).toBeLessThan(0.01));
      const sampled = await rld({ k: 20, samples: 200 });
      const truncated = await rld({ k: 20, samples: 0 });
      expect(Math.abs(sampled[0] - exact[0])).toBeLessThan(0.03);
      expect(Math.abs(sampled[1] - exact[1])).toBeLessThan(0.03);
      // plain truncation overstates large-T RLD on label-pure neighbourhoods
      expect(truncated[0] - exact[0]).toBeGreaterThan(0.1);
      const r = await relativeLocalDensity(x, y, { temperatures: T, approximate: { k: 20 }, backend });
      expect(r.approximate).toEqual({ k: 20, samples: 256, seed: 0 });
    },
  );
});

describe('RLD subsampling', () => {
  test('records size and seed and is deterministic', async () => {
    const rng = new Rng(30);
    const { x, y } = blobs(rng, 3, 30, 4, (c) => [c, 0, 0, 0].map((m) => m + rng.normal() * 0.3));
    const a = await relativeLocalDensity(x, y, { temperatures: [0.1], subsample: { size: 40, seed: 5 } });
    const b = await relativeLocalDensity(x, y, { temperatures: [0.1], subsample: { size: 40, seed: 5 } });
    expect(a.subsample).toEqual({ size: 40, seed: 5 });
    expect(a.n).toBe(40);
    expect(a.rld[0]).toBe(b.rld[0]);
    await expect(relativeLocalDensity(x, y, { subsample: { size: 1000, seed: 0 } })).rejects.toThrow(
      /subsample size/,
    );
    await expect(relativeLocalDensity(x, y, { backend: 'gpu' as never })).rejects.toThrow(
      /unknown backend 'gpu'/,
    );
  });
});
