import { expect, test } from 'vitest';
import { l2Normalize, takeRows, type Embeddings } from '../io/embeddings.ts';
import { Rng } from '../util/rng.ts';
import { calinskiHarabasz, CalinskiHarabaszSums } from './calinski-harabasz.ts';
import { relativeLocalDensity } from './rld.ts';
import { rldPoolRows, scaledDistance, sparseRld, SparseRld } from './rld-sparse.ts';
import { similarityTopK } from './top-k.ts';

/** `K` Gaussian classes in `d` dimensions, centres at unit σ, noise `spread`. */
function mixture(seed: number, n: number, d: number, K: number, spread: number) {
  const rng = new Rng(seed);
  const centres = rng.normalArray(K * d);
  const data = new Float32Array(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % K;
    for (let j = 0; j < d; j++) data[i * d + j] = centres[y[i] * d + j] + spread * rng.normal();
  }
  return { x: { data, n, d } as Embeddings, y };
}

const T = [1, 0.5, 0.1];

test('sparse RLD with the pool covering every row is the exact RLD (any k: the tail is then summed exactly)', async () => {
  const { x, y } = mixture(1, 300, 12, 4, 0.8);
  const exact = (await relativeLocalDensity(x, y, { temperatures: T, backend: 'js' })).rld;
  for (const k of [5, 60]) {
    const s = await sparseRld(x, y, { temperatures: T, k, samples: 300, backend: 'js' });
    expect(s.sparse).toEqual({ k, samples: 300, seed: 0 });
    s.rld.forEach((v, i) => expect(Math.abs(v - exact[i])).toBeLessThan(1e-5));
  }
});

test('sparse RLD with k = 30 and a 256-row pool agrees with the exact RLD within 0.02 (n = 3,000, overlapping classes)', async () => {
  // overlapping classes (spread 1.5 against unit centres in 16-d) and label-pure ones (0.4): the estimate must
  // carry the cross-class tail; measured |error| ≤ 0.005 over pool seeds 0–2
  for (const spread of [1.5, 0.4]) {
    const { x, y } = mixture(2, 3000, 16, 8, spread);
    const exact = (await relativeLocalDensity(x, y, { temperatures: T })).rld;
    const s = (await sparseRld(x, y, { temperatures: T, k: 30, samples: 256 })).rld;
    s.forEach((v, i) => expect(Math.abs(v - exact[i])).toBeLessThan(0.02));
    // the tolerance separates: a 2-row pool misses the label-pure case's tail by more than 0.1 at T = 0.5
    if (spread === 0.4) {
      const poor = (await sparseRld(x, y, { temperatures: T, k: 30, samples: 2 })).rld;
      expect(Math.abs(poor[1] - exact[1])).toBeGreaterThan(0.1);
    }
  }
});

test('SparseRld: the result does not depend on how the rows are batched or ordered', async () => {
  const { x, y } = mixture(3, 400, 8, 5, 1);
  const z = l2Normalize(x);
  const k = 10;
  const nn = await similarityTopK(z, z, k, { excludeSelf: true, backend: 'js' });
  const dist = Float32Array.from(nn.score, (s) => scaledDistance(s, z.d));
  const pool = rldPoolRows(x.n, 64, 7);
  const rows = (idx: ArrayLike<number>) => {
    const pick = <A extends Int32Array | Float32Array>(a: A, out: A) => {
      Array.from(idx).forEach((r, b) => out.set(a.subarray(r * k, (r + 1) * k), b * k));
      return out;
    };
    return [
      Int32Array.from(idx),
      takeRows(z, Array.from(idx)),
      pick(nn.index, new Int32Array(idx.length * k)),
      pick(dist, new Float32Array(idx.length * k)),
    ] as const;
  };
  const run = (batches: number[][]) => {
    const est = new SparseRld(y, T, k, { rows: pool, z: takeRows(z, Array.from(pool)) });
    est.addRows(...rows(pool), { pool: true });
    for (const b of batches) est.addRows(...rows(b));
    return est.result();
  };
  const all = Array.from({ length: x.n }, (_, i) => i);
  const one = run([all]);
  const reversed = run([all.slice(200).reverse(), all.slice(0, 200)]);
  one.forEach((v, i) => expect(reversed[i]).toBeCloseTo(v, 10));
  // every row must be added exactly once
  const est = new SparseRld(y, T, k, { rows: pool, z: takeRows(z, Array.from(pool)) });
  expect(() => est.addRows(...rows([0]))).toThrow(/pool rows first/);
  est.addRows(...rows(pool), { pool: true });
  est.addRows(...rows([0, 1]));
  expect(() => est.addRows(...rows([1]))).toThrow(/added twice/);
  expect(() => est.result()).toThrow(/added 2 of 400/);
});

test('CalinskiHarabaszSums over batches equals calinskiHarabasz', () => {
  const { x, y } = mixture(4, 500, 6, 5, 0.7);
  // far from the origin: the one-pass sums must not cancel
  const shifted = { ...x, data: Float32Array.from(x.data, (v) => v + 100) };
  for (const e of [x, shifted]) {
    const ch = new CalinskiHarabaszSums(5, e.d);
    for (let a = 0; a < e.n; a += 128) {
      const idx = Array.from({ length: Math.min(128, e.n - a) }, (_, i) => a + i);
      ch.add(takeRows(e, idx), y.subarray(a, a + idx.length));
    }
    const want = calinskiHarabasz(e, y);
    expect(Math.abs(ch.value() - want) / want).toBeLessThan(1e-6);
  }
});
