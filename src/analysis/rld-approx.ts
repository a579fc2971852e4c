import type { Embeddings } from '../io/embeddings.ts';
import { CladeError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { rowSqNorms, type TopK } from './kernels.ts';

/**
 * The dense RLD graph (docs/methods.md §E.2) seen through each row's exact top-`k` neighbours `nn` (cosine on the
 * normalised features `z`, self excluded) plus `samples` seeded uniform partners per row standing in for the other
 * `n − 1 − k` entries (a Horvitz–Thompson estimate, `(n − 1)/m · Σ 1[j ∉ N_k(i)] f(j)`); `μ` is the mean of the
 * sampled distances. Memory O(n · (k + samples)). Shared by the sparse RLD estimate and the graph head's kNN graph.
 */
export class SoftKnnRows {
  readonly n: number;
  readonly k: number;
  /** Mean pairwise distance estimate μ. */
  readonly mu: number;
  private readonly D: Float64Array; /* [n, k] kNN distances */
  private readonly rowMin: Float64Array; /* [n] */
  private readonly SJ: Int32Array; /* [n, m] sampled partner, −1 when it is a kNN neighbour */
  private readonly SD: Float64Array; /* [n, m] */
  private readonly m: number;

  constructor(
    z: Embeddings,
    readonly nn: TopK,
    opts: { samples: number; seed: number },
  ) {
    const n = (this.n = z.n);
    const d = z.d;
    const sq = rowSqNorms(z);
    const dist = (s: number, i: number, j: number) => Math.sqrt(Math.max(0, (sq[i] + sq[j] - 2 * s) / d));
    const rng = new Rng(opts.seed);
    const k = (this.k = nn.k);
    const m = (this.m = opts.samples);
    const D = (this.D = new Float64Array(n * k));
    const rowMin = (this.rowMin = new Float64Array(n));
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
    const SJ = (this.SJ = new Int32Array(n * m));
    const SD = (this.SD = new Float64Array(n * m));
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
    this.mu = mu;
  }

  /**
   * The graph at temperature `T`: `edge(i, r)` is `W_ij` for the `r`-th neighbour `j` of `i` (up to the constant
   * factor shared by all entries), `tail(i, each)` visits the sampled partners outside the kNN with their weights
   * already scaled by `(n − 1)/m`. Row sums are shifted by each row's nearest distance (no underflow at small T).
   */
  at(T: number): {
    edge: (i: number, r: number) => number;
    tail: (i: number, each: (j: number, w: number) => void) => void;
  } {
    const { n, k, m, D, rowMin, SJ, SD } = this;
    const inv = 1 / (this.mu * T);
    const scale = m > 0 ? (n - 1) / m : 0;
    const R = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let r = 0; r < k; r++) s += Math.exp(-(D[i * k + r] - rowMin[i]) * inv);
      let tail = 0;
      for (let q = 0; q < m; q++)
        if (SJ[i * m + q] >= 0) tail += Math.exp(-(SD[i * m + q] - rowMin[i]) * inv);
      R[i] = s + scale * tail;
    }
    const w = (v: number, i: number, j: number) =>
      Math.exp(-(2 * v - rowMin[i] - rowMin[j]) * inv) / (R[i] * R[j]);
    return {
      edge: (i, r) => w(D[i * k + r], i, this.nn.index[i * k + r]),
      tail: (i, each) => {
        for (let q = 0; q < m; q++) {
          const j = SJ[i * m + q];
          if (j >= 0) each(j, scale * w(SD[i * m + q], i, j));
        }
      },
    };
  }
}

/**
 * The sparse RLD estimate behind `relativeLocalDensity(x, y, { approximate })` (clade's, not the paper's): the
 * modularity of the label partition on `SoftKnnRows` — exact top-`k` neighbours plus sampled tails, row-wise
 * (ordered pairs). With `samples: 0` it is the plain kNN truncation, which overstates RLD badly when neighbourhoods
 * are label-pure. Measured errors: docs/analysis.md.
 */
export function rldApprox(
  z: Embeddings,
  labels: ArrayLike<number>,
  K: number,
  temps: readonly number[],
  nn: TopK,
  opts: { samples: number; seed: number },
): { rld: number[]; meanDistance: number } {
  const rows = new SoftKnnRows(z, nn, opts);
  const { n, k } = rows;
  const rld = temps.map((T) => {
    const g = rows.at(T);
    const deg = new Float64Array(n);
    let inside = 0;
    for (let i = 0; i < n; i++) {
      let ki = 0;
      let same = 0;
      for (let r = 0; r < k; r++) {
        const wij = g.edge(i, r);
        ki += wij;
        if (labels[nn.index[i * k + r]] === labels[i]) same += wij;
      }
      g.tail(i, (j, wij) => {
        ki += wij;
        if (labels[j] === labels[i]) same += wij;
      });
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
  return { rld, meanDistance: rows.mu };
}
