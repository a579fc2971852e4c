import type { Embeddings } from '../io/embeddings.ts';
import { CladeError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { rowSqNorms, type TopK } from './kernels.ts';

/**
 * The sparse RLD estimate behind `relativeLocalDensity(x, y, { approximate })` (clade's, not the paper's). Every row
 * of the dense graph is split into its exact top-`k` neighbours `nn` (cosine on the normalised features `z`, self
 * excluded) and the remaining `n − 1 − k` entries, which are estimated from `samples` seeded uniform partners (a
 * Horvitz–Thompson estimate, `(n − 1)/m · Σ 1[j ∉ N_k(i)] f(j)`). Row sums `r_i`, degrees `k_i` and the in-class
 * weight are accumulated row-wise (ordered pairs), `μ` is the mean of the sampled distances. Memory
 * O(n · (k + samples)). With `samples: 0` it is the plain kNN truncation, which overstates RLD badly when
 * neighbourhoods are label-pure. Measured errors: docs/analysis.md.
 */
export function rldApprox(
  z: Embeddings,
  labels: ArrayLike<number>,
  K: number,
  temps: readonly number[],
  nn: TopK,
  opts: { samples: number; seed: number },
): { rld: number[]; meanDistance: number } {
  const n = z.n;
  const d = z.d;
  const sq = rowSqNorms(z);
  const dist = (s: number, i: number, j: number) => Math.sqrt(Math.max(0, (sq[i] + sq[j] - 2 * s) / d));
  const rng = new Rng(opts.seed);
  const k = nn.k;
  const m = opts.samples;
  const D = new Float64Array(n * k);
  const rowMin = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < k; r++) D[i * k + r] = dist(nn.score[i * k + r], i, nn.index[i * k + r]);
    rowMin[i] = D[i * k];
  }
  const sortedIdx = new Int32Array(nn.index);
  for (let i = 0; i < n; i++) sortedIdx.subarray(i * k, (i + 1) * k).sort();
  const inKnn = (row: number, j: number) => {
    let lo = row * k;
    let hi = lo + k - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = sortedIdx[mid];
      if (v === j) return true;
      if (v < j) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  };
  // Uniform partners per row; μ from all sampled distances (or from the kNN distances when m = 0, a rough proxy).
  const SJ = new Int32Array(n * m);
  const SD = new Float64Array(n * m);
  let mu = 0;
  for (let i = 0; i < n; i++)
    for (let s = 0; s < m; s++) {
      let j = rng.int(n - 1);
      if (j >= i) j++;
      let dot = 0;
      for (let t = 0; t < d; t++) dot += z.data[i * d + t] * z.data[j * d + t];
      const v = dist(dot, i, j);
      SJ[i * m + s] = inKnn(i, j) ? -1 : j; // kNN partners are already counted exactly
      SD[i * m + s] = v;
      mu += v;
    }
  mu = m > 0 ? mu / (n * m) : D.reduce((a, b) => a + b, 0) / (n * k);
  if (!(mu > 0)) throw new CladeError('all points coincide (mean distance 0); RLD is undefined');
  const scale = m > 0 ? (n - 1) / m : 0;
  const rld = temps.map((T) => {
    const inv = 1 / (mu * T);
    // Row sums shifted by each row's nearest distance (no underflow at small T).
    const R = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let r = 0; r < k; r++) s += Math.exp(-(D[i * k + r] - rowMin[i]) * inv);
      let tail = 0;
      for (let q = 0; q < m; q++)
        if (SJ[i * m + q] >= 0) tail += Math.exp(-(SD[i * m + q] - rowMin[i]) * inv);
      R[i] = s + scale * tail;
    }
    const deg = new Float64Array(n);
    let inside = 0;
    const w = (v: number, i: number, j: number) =>
      Math.exp(-(2 * v - rowMin[i] - rowMin[j]) * inv) / (R[i] * R[j]);
    for (let i = 0; i < n; i++) {
      let ki = 0;
      let same = 0;
      for (let r = 0; r < k; r++) {
        const j = nn.index[i * k + r];
        const wij = w(D[i * k + r], i, j);
        ki += wij;
        if (labels[j] === labels[i]) same += wij;
      }
      for (let q = 0; q < m; q++) {
        const j = SJ[i * m + q];
        if (j < 0) continue;
        const wij = scale * w(SD[i * m + q], i, j);
        ki += wij;
        if (labels[j] === labels[i]) same += wij;
      }
      deg[i] = ki;
      inside += same;
    }
    let m2 = 0;
    const vol = new Float64Array(K);
    for (let i = 0; i < n; i++) {
      m2 += deg[i];
      vol[labels[i]] += deg[i];
    }
    let e = 0;
    for (let c = 0; c < K; c++) e += (vol[c] / m2) ** 2;
    return inside / m2 - e;
  });
  return { rld, meanDistance: mu };
}
