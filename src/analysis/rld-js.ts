/**
 * The `js` backend of exact RLD (`relativeLocalDensity`, rld.ts) and the pairwise-distance passes the dense RLD graph
 * (rld-graph.ts) shares with it, in float64 TypeScript tiles.
 */
import type { Embeddings } from '../io/embeddings.ts';
import { CladeError } from '../util/errors.ts';
import { forEachTile, rowSqNorms } from './kernels.ts';
import type { RldOptions } from './rld.ts';

/**
 * Distance geometry shared by RLD and the graph head: `d_ij = ‖x_i − x_j‖ / √D` computed from tiles of dot products.
 * Calls `fn(i, j, d_ij)` for every pair `i < j` (upper triangle), tile by tile.
 */
export function forEachPairDistance(
  x: Embeddings,
  fn: (i0: number, i1: number, j0: number, j1: number, dist: Float64Array) => void,
  opts: { rowBlock?: number; colBlock?: number; progress?: string } = {},
): void {
  const sq = rowSqNorms(x);
  const invD = 1 / x.d;
  forEachTile(
    x,
    x,
    (i0, i1, j0, j1, t) => {
      const w = j1 - j0;
      for (let i = i0; i < i1; i++) {
        const o = (i - i0) * w;
        for (let j = j0; j < j1; j++) {
          const v = sq[i] + sq[j] - 2 * t[o + j - j0];
          t[o + j - j0] = Math.sqrt(v > 0 ? v * invD : 0);
        }
      }
      fn(i0, i1, j0, j1, t);
    },
    { ...opts, upper: true },
  );
}

/**
 * Mean scaled distance `μ = mean_{i<j} d_ij` and each row's nearest-neighbour distance (for stable exponentials).
 */
export function distanceStats(
  x: Embeddings,
  opts: { rowBlock?: number; colBlock?: number; progress?: string } = {},
): { mu: number; rowMin: Float64Array } {
  const n = x.n;
  const rowMin = new Float64Array(n).fill(Infinity);
  let sum = 0;
  forEachPairDistance(
    x,
    (i0, i1, j0, j1, dist) => {
      const w = j1 - j0;
      for (let i = i0; i < i1; i++) {
        const o = (i - i0) * w;
        let rm = rowMin[i];
        for (let j = Math.max(j0, i + 1); j < j1; j++) {
          const v = dist[o + j - j0];
          sum += v;
          if (v < rm) rm = v;
          if (v < rowMin[j]) rowMin[j] = v;
        }
        rowMin[i] = rm;
      }
    },
    opts,
  );
  return { mu: sum / ((n * (n - 1)) / 2), rowMin };
}

/**
 * Exact RLD in TypeScript: three chunked passes over the upper triangle (μ; row sums; degrees and in-class weight),
 * all temperatures at once, memory O(n · |T| + tile) (plus the optional float32 distance cache). `z` is already
 * normalised (or not) and the inputs checked by `relativeLocalDensity`.
 */
export function rldExactJs(
  z: Embeddings,
  labels: ArrayLike<number>,
  K: number,
  temps: readonly number[],
  opts: Pick<RldOptions, 'rowBlock' | 'colBlock' | 'progress' | 'cacheBytes' | 'shift'> = {},
): { rld: number[]; meanDistance: number } {
  const n = z.n;
  const tile = { rowBlock: opts.rowBlock, colBlock: opts.colBlock };
  const label = (k: number) => (opts.progress ? `RLD pass ${k}/3` : undefined);
  // Pass 1: μ and nearest distances; when the packed upper triangle fits the cache budget, keep the distances
  // (float32) so passes 2 and 3 stream them instead of recomputing the products.
  const pairs = (n * (n - 1)) / 2;
  const cache = pairs * 4 <= (opts.cacheBytes ?? 256 * 2 ** 20) ? new Float32Array(pairs) : undefined;
  const rowOff = (i: number) => i * n - (i * (i + 1)) / 2; // packed offset of (i, i+1)
  let mu: number;
  let rowMin: Float64Array;
  if (cache) {
    rowMin = new Float64Array(n).fill(Infinity);
    let sum = 0;
    forEachPairDistance(
      z,
      (i0, i1, j0, j1, dist) => {
        const w = j1 - j0;
        for (let i = i0; i < i1; i++) {
          const o = (i - i0) * w;
          const po = rowOff(i) - i - 1;
          let rm = rowMin[i];
          for (let j = Math.max(j0, i + 1); j < j1; j++) {
            const v = dist[o + j - j0];
            cache[po + j] = v;
            sum += v;
            if (v < rm) rm = v;
            if (v < rowMin[j]) rowMin[j] = v;
          }
          rowMin[i] = rm;
        }
      },
      { ...tile, progress: label(1) },
    );
    mu = sum / pairs;
  } else ({ mu, rowMin } = distanceStats(z, { ...tile, progress: label(1) }));
  if (!(mu > 0)) throw new CladeError('all points coincide (mean distance 0); RLD is undefined');
  const visit = (
    fn: (i0: number, i1: number, j0: number, j1: number, d: Float32Array | Float64Array) => void,
    pass: number,
  ) => {
    if (!cache) return forEachPairDistance(z, fn, { ...tile, progress: label(pass) });
    for (let i = 0; i < n - 1; i++) fn(i, i + 1, i + 1, n, cache.subarray(rowOff(i), rowOff(i) + n - i - 1));
  };
  return { rld: rldFromPairs(z, labels, K, temps, mu, rowMin, visit, opts.shift), meanDistance: mu };
}

/** Visits the upper-triangle distances `d_ij`, `i < j`, in row blocks; `pass` labels progress. */
export type PairVisitor = (
  fn: (i0: number, i1: number, j0: number, j1: number, d: Float32Array | Float64Array) => void,
  pass: number,
) => void;

/**
 * Passes 2–3 of `rldExactJs` (row sums, then degrees and in-class weight → modularity) from `μ`, each row's nearest
 * distance and a pair visitor (fresh tiles or the distance cache).
 */
export function rldFromPairs(
  z: Embeddings,
  labels: ArrayLike<number>,
  K: number,
  temps: readonly number[],
  mu: number,
  rowMin: Float64Array,
  visit: PairVisitor,
  shiftMode: 'auto' | 'row' = 'auto',
): number[] {
  const n = z.n;
  const nt = temps.length;
  const inv = temps.map((t) => 1 / (mu * t));
  // Exponent shifts. With one global shift g = min_i m_i, W_ij = e_ij² / (P_i P_j) where
  // e_ij = exp(−(d_ij − g)/(μT)) and P_i = Σ_j e_ij — all shifts cancel — as long as no e_ij can underflow
  // (checked against an upper bound on distances). Otherwise fall back to per-row shifts m_i.
  let g = Infinity;
  for (let i = 0; i < n; i++) g = Math.min(g, rowMin[i]);
  let maxSq = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < z.d; k++) s += z.data[i * z.d + k] ** 2;
    maxSq = Math.max(maxSq, s);
  }
  const bound = (2 * Math.sqrt(maxSq)) / Math.sqrt(z.d);
  const global = shiftMode !== 'row' && inv.every((c) => (bound - g) * c < 600);
  const shift = global ? new Float64Array(n).fill(g) : rowMin;
  // Pass 2: shifted row sums R_i = Σ_j exp(−(d_ij − shift_i)/(μT)).
  const R = new Float64Array(n * nt);
  visit((i0, i1, j0, j1, dist) => {
    const w = j1 - j0;
    for (let i = i0; i < i1; i++) {
      const o = (i - i0) * w;
      const si = shift[i];
      for (let j = Math.max(j0, i + 1); j < j1; j++) {
        const v = dist[o + j - j0];
        if (global) {
          for (let t = 0; t < nt; t++) {
            const e = Math.exp(-(v - si) * inv[t]);
            R[i * nt + t] += e;
            R[j * nt + t] += e;
          }
        } else {
          const sj = shift[j];
          for (let t = 0; t < nt; t++) {
            R[i * nt + t] += Math.exp(-(v - si) * inv[t]);
            R[j * nt + t] += Math.exp(-(v - sj) * inv[t]);
          }
        }
      }
    }
  }, 2);
  const invR = R.map((r) => 1 / r);
  // Pass 3: w_ij ∝ exp(−(2 d_ij − s_i − s_j)/(μT)) / (R_i R_j) (the n² and shift factors cancel in modularity).
  const deg = new Float64Array(n * nt);
  const inClass = new Float64Array(nt);
  visit((i0, i1, j0, j1, dist) => {
    const w = j1 - j0;
    for (let i = i0; i < i1; i++) {
      const o = (i - i0) * w;
      const si = shift[i];
      const yi = labels[i];
      for (let j = Math.max(j0, i + 1); j < j1; j++) {
        const v = dist[o + j - j0];
        const same = labels[j] === yi;
        for (let t = 0; t < nt; t++) {
          let wij: number;
          if (global) {
            const e = Math.exp(-(v - si) * inv[t]);
            wij = e * invR[i * nt + t] * (e * invR[j * nt + t]);
          } else wij = Math.exp(-(2 * v - si - shift[j]) * inv[t]) * invR[i * nt + t] * invR[j * nt + t];
          deg[i * nt + t] += wij;
          deg[j * nt + t] += wij;
          if (same) inClass[t] += 2 * wij;
        }
      }
    }
  }, 3);
  const rld = temps.map((_, t) => {
    let two_m = 0;
    const vol = new Float64Array(K);
    for (let i = 0; i < n; i++) {
      two_m += deg[i * nt + t];
      vol[labels[i]] += deg[i * nt + t];
    }
    let expected = 0;
    for (let c = 0; c < K; c++) expected += (vol[c] / two_m) ** 2;
    return inClass[t] / two_m - expected;
  });
  return rld;
}
