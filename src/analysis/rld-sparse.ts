import type { Embeddings } from '../io/embeddings.ts';
import { l2Normalize, takeRows } from '../io/embeddings.ts';
import { CladeError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import type { Backend } from './backend.ts';
import { gemmNT } from './kernels.ts';
import { checkLabels } from './labels.ts';
import { similarityTopK } from './top-k.ts';

/** Settings of the sparse RLD estimate (recorded in results). */
export interface SparseRldSettings {
  /** Nearest neighbours per row counted exactly (from an exact or an ANN search). */
  readonly k: number;
  /** Size of the seeded uniform partner pool standing in for the rest of every row (≥ 2). */
  readonly samples: number;
  readonly seed: number;
}

/** The seeded partner pool of `sparseRld` / `SparseRld`: `min(samples, n)` distinct rows of `0..n−1`, sorted. */
export function rldPoolRows(n: number, samples: number, seed: number): Int32Array /* [m] */ {
  if (!(Number.isInteger(samples) && samples >= 2))
    throw new CladeError(`the sparse RLD needs at least 2 pool samples, got ${samples}`, {
      option: '--rld-samples',
    });
  return new Rng(seed).permutation(n).subarray(0, Math.min(samples, n)).sort();
}

/**
 * The sparse RLD estimate (clade's, not the paper's; docs/methods.md §E.2 defines the exact value), fed row batches
 * so that nothing `n × n` and no `n × D` matrix is held: each row `i` of the dense graph is its `k` nearest
 * neighbours `N(i)` counted exactly plus a seeded uniform pool `P` of `m` rows shared by all rows, standing in for the
 * rest of the row by Horvitz–Thompson, `Σ_{j ∉ N(i)} f(j) ≈ (n − 1)/|P∖{i}| · Σ_{j ∈ P∖{i}, j ∉ N(i)} f(j)` — for the
 * row sums, the degrees and the in-class weight alike. The tail estimate is unbiased for any neighbour set `N(i)`,
 * so approximate (ANN) neighbour lists change its variance, not its target. `μ` is the mean distance over the pool's
 * pairs. Rows are L2-normalised (`d_ij = √(2 − 2 cos)/√D`).
 *
 * Memory: `n · k` neighbour ids and distances (8 bytes each) plus `n · |T|` row sums; the pool is `m × D`.
 *
 * Use: `addRows(…, { pool: true })` once with the pool rows (their row sums are needed by every other row), then
 * `addRows` with every row exactly once (any batches, any order), then `result()`.
 */
export class SparseRld {
  readonly n: number;
  readonly k: number;
  readonly m: number;
  /** Mean pairwise distance estimate μ (over the pool's pairs). */
  readonly mu: number;
  private readonly temps: readonly number[];
  private readonly K: number;
  private readonly poolZ: Float32Array; /* [m, D] */
  private readonly poolRows: Int32Array; /* [m] */
  private readonly poolAt: Map<number, number>; /* row -> pool index */
  private readonly poolR: Float64Array; /* [m, |T|] */
  private readonly poolMin: Float64Array; /* [m] */
  private poolSeen = 0;
  private readonly nnIdx: Int32Array; /* [n, k], −1 = none */
  private readonly nnDist: Float32Array; /* [n, k] */
  private readonly R: Float64Array; /* [n, |T|] shifted row sums */
  private readonly rowMin: Float64Array; /* [n] shift */
  private readonly seen: Uint8Array; /* [n] */
  private added = 0;
  private readonly vol: Float64Array; /* [|T|, K] */
  private readonly inside: Float64Array; /* [|T|] */
  private readonly mark: Int32Array; /* [n] scratch: row + 1 marks N(row) */

  constructor(
    readonly labels: Int32Array /* [n] */,
    temperatures: readonly number[],
    k: number,
    pool: { rows: Int32Array /* [m] sorted */; z: Embeddings /* [m, D] unit rows */ },
  ) {
    const n = (this.n = labels.length);
    this.K = checkLabels(labels, n);
    if (temperatures.some((t) => !(t > 0)))
      throw new CladeError(`temperatures must be positive, got [${temperatures}]`);
    if (n < 3) throw new CladeError(`the sparse RLD needs at least 3 points, got ${n}`);
    this.temps = [...temperatures];
    this.k = k;
    const m = (this.m = pool.rows.length);
    if (m < 2 || pool.z.n !== m) throw new CladeError(`expected ≥ 2 pool rows and their vectors, got ${m}`);
    const d = pool.z.d;
    this.poolZ = pool.z.data;
    this.poolRows = Int32Array.from(pool.rows);
    this.poolAt = new Map(Array.from(pool.rows, (r, p) => [r, p]));
    if (this.poolAt.size !== m) throw new CladeError('the pool rows must be distinct');
    // μ over the pool's pairs
    const g = new Float64Array(m * m);
    gemmNT(this.poolZ, 0, m, this.poolZ, 0, m, d, g);
    let s = 0;
    for (let a = 0; a < m; a++) for (let b = a + 1; b < m; b++) s += dist(g[a * m + b], d);
    this.mu = s / ((m * (m - 1)) / 2);
    if (!(this.mu > 0)) throw new CladeError('all points coincide (mean distance 0); RLD is undefined');
    const nt = this.temps.length;
    this.poolR = new Float64Array(m * nt);
    this.poolMin = new Float64Array(m);
    this.nnIdx = new Int32Array(n * k).fill(-1);
    this.nnDist = new Float32Array(n * k);
    this.R = new Float64Array(n * nt);
    this.rowMin = new Float64Array(n);
    this.seen = new Uint8Array(n);
    this.vol = new Float64Array(nt * this.K);
    this.inside = new Float64Array(nt);
    this.mark = new Int32Array(n);
  }

  /**
   * A batch of rows: their ids `rows` [B], unit vectors `z` [B, D], and their neighbours best first, self excluded:
   * `idx` [B, kk] (−1 = none) with distances `distance` [B, kk] (`d_ij`, see `scaledDistance`); `kk ≥ k` (the first
   * `k` are used). `pool: true`: the batch is (part of) the pool, added before any other rows.
   */
  addRows(
    rows: ArrayLike<number>,
    z: Embeddings,
    idx: Int32Array,
    distance: Float32Array,
    o: { pool?: boolean } = {},
  ): void {
    const { n, k, m, temps, mark } = this;
    const nt = temps.length;
    const B = rows.length;
    const kk = B ? idx.length / B : k;
    if (B && (kk < k || !Number.isInteger(kk) || distance.length !== idx.length || z.n !== B))
      throw new CladeError(`expected ${B} rows of ≥ ${k} neighbours, got ${idx.length} ids for ${B} rows`);
    if (!o.pool && this.poolSeen < m)
      throw new CladeError(`add the ${m} pool rows first (${this.poolSeen} added)`);
    const pd = new Float64Array(B * m);
    gemmNT(z.data, 0, B, this.poolZ, 0, m, z.d, pd);
    const tail = new Float64Array(m); // distances to the row's tail partners (NaN = not a partner)
    const sums = new Float64Array(nt);
    for (let b = 0; b < B; b++) {
      const i = rows[b];
      if (!(i >= 0 && i < n)) throw new CladeError(`row ${i} out of range [0, ${n})`);
      // the neighbour list (first k valid entries) and the row's shift
      let lo = Infinity;
      const lst: number[] = [];
      const ld: number[] = [];
      for (let r = 0; r < kk && lst.length < k; r++) {
        const j = idx[b * kk + r];
        if (j < 0 || j === i) continue;
        lst.push(j);
        ld.push(distance[b * kk + r]);
        mark[j] = i + 1;
        lo = Math.min(lo, distance[b * kk + r]);
      }
      const self = this.poolAt.get(i);
      const mi = m - (self === undefined ? 0 : 1);
      for (let p = 0; p < m; p++) {
        const j = this.poolRowAt(p);
        if (j === i || mark[j] === i + 1) tail[p] = NaN;
        else {
          tail[p] = dist(pd[b * m + p], z.d);
          lo = Math.min(lo, tail[p]);
        }
      }
      const scale = (n - 1) / mi;
      // shifted row sums at every T
      for (let t = 0; t < nt; t++) {
        const inv = 1 / (this.mu * temps[t]);
        let s = 0;
        for (const v of ld) s += Math.exp(-(v - lo) * inv);
        let ts = 0;
        for (let p = 0; p < m; p++) if (tail[p] === tail[p]) ts += Math.exp(-(tail[p] - lo) * inv);
        sums[t] = s + scale * ts;
      }
      for (let r = 0; r < lst.length; r++) mark[lst[r]] = 0;
      if (o.pool) {
        if (self === undefined) throw new CladeError(`row ${i} is not a pool row`);
        this.poolMin[self] = lo;
        for (let t = 0; t < nt; t++) this.poolR[self * nt + t] = sums[t];
        this.poolSeen++;
        continue;
      }
      if (this.seen[i]) throw new CladeError(`row ${i} added twice`);
      this.seen[i] = 1;
      this.added++;
      // a pool row keeps the row sums the pool phase gave it (every tail that reaches it used those)
      const useLo = self === undefined ? lo : this.poolMin[self];
      this.rowMin[i] = useLo;
      for (let t = 0; t < nt; t++)
        this.R[i * nt + t] = self === undefined ? sums[t] : this.poolR[self * nt + t];
      for (let r = 0; r < k; r++) {
        this.nnIdx[i * k + r] = r < lst.length ? lst[r] : -1;
        this.nnDist[i * k + r] = r < lst.length ? ld[r] : 0;
      }
      // the tail's degree and in-class weight now: the pool rows' sums are known
      const yi = this.labels[i];
      for (let t = 0; t < nt; t++) {
        const inv = 1 / (this.mu * temps[t]);
        const Ri = this.R[i * nt + t];
        let deg = 0;
        let same = 0;
        for (let p = 0; p < m; p++) {
          if (tail[p] !== tail[p]) continue;
          const j = this.poolRowAt(p);
          const w =
            (scale * Math.exp(-(2 * tail[p] - useLo - this.poolMin[p]) * inv)) /
            (Ri * this.poolR[p * nt + t]);
          deg += w;
          if (this.labels[j] === yi) same += w;
        }
        this.vol[t * this.K + yi] += deg;
        this.inside[t] += same;
      }
    }
  }

  private poolRowAt(p: number): number {
    return this.poolRows[p];
  }

  /** RLD per temperature once every row has been added. */
  result(): number[] {
    const { n, k, temps, K } = this;
    const nt = temps.length;
    if (this.added !== n) throw new CladeError(`added ${this.added} of ${n} rows`);
    const vol = Float64Array.from(this.vol);
    const inside = Float64Array.from(this.inside);
    for (let i = 0; i < n; i++) {
      const yi = this.labels[i];
      for (let r = 0; r < k; r++) {
        const j = this.nnIdx[i * k + r];
        if (j < 0) continue;
        const v = this.nnDist[i * k + r];
        for (let t = 0; t < nt; t++) {
          const inv = 1 / (this.mu * temps[t]);
          const w =
            Math.exp(-(2 * v - this.rowMin[i] - this.rowMin[j]) * inv) /
            (this.R[i * nt + t] * this.R[j * nt + t]);
          vol[t * K + yi] += w;
          if (this.labels[j] === yi) inside[t] += w;
        }
      }
    }
    return temps.map((_, t) => {
      let m2 = 0;
      for (let c = 0; c < K; c++) m2 += vol[t * K + c];
      let e = 0;
      for (let c = 0; c < K; c++) e += (vol[t * K + c] / m2) ** 2;
      return inside[t] / m2 - e;
    });
  }
}

/** `d_ij = ‖z_i − z_j‖ / √D` of unit rows from their cosine similarity. */
const dist = (cos: number, d: number) => Math.sqrt(Math.max(0, 2 - 2 * cos) / d);

/** The sparse RLD's distance from a cosine similarity of unit rows of width `d`. */
export const scaledDistance = dist;

/**
 * The sparse RLD estimate on embeddings in memory (`clade analyze --rld-method sparse`): exact top-`k` neighbours
 * (`similarityTopK`, cosine, self excluded) fed to `SparseRld` with a seeded pool of `samples` rows. Features are
 * L2-normalised (the paper's setting); with `k = n − 1` or `samples ≥ n` it is the exact RLD up to μ (exactly it
 * when both hold: μ then comes from all pairs).
 *
 * @example
 * (await sparseRld(x, y, { temperatures: [1, 0.1], k: 50, samples: 256 })).rld;
 */
export async function sparseRld(
  x: Embeddings,
  labels: ArrayLike<number>,
  o: { temperatures: readonly number[]; k: number; samples: number; seed?: number; backend?: Backend },
): Promise<{ rld: number[]; meanDistance: number; n: number; sparse: SparseRldSettings }> {
  const n = x.n;
  checkLabels(labels, n);
  if (n < 3) throw new CladeError(`the sparse RLD needs at least 3 points, got ${n}`);
  if (!(Number.isInteger(o.k) && o.k >= 1))
    throw new CladeError(`expected a positive integer k, got ${o.k}`, { option: '--rld-k' });
  const k = Math.min(o.k, n - 1);
  const seed = o.seed ?? 0;
  const z = l2Normalize(x);
  const nn = await similarityTopK(z, z, k, { excludeSelf: true, backend: o.backend });
  const distance = Float32Array.from(nn.score, (s) => dist(s, z.d));
  const pool = rldPoolRows(n, o.samples, seed);
  const y = Int32Array.from(labels);
  const est = new SparseRld(y, o.temperatures, k, { rows: pool, z: takeRows(z, pool) });
  const pick = <T extends Int32Array | Float32Array>(a: T): T => {
    const out = new (a.constructor as new (n: number) => T)(pool.length * k);
    pool.forEach((r, p) => out.set(a.subarray(r * k, (r + 1) * k), p * k));
    return out;
  };
  est.addRows(pool, takeRows(z, pool), pick(nn.index), pick(distance), { pool: true });
  est.addRows(
    Int32Array.from({ length: n }, (_, i) => i),
    z,
    nn.index,
    distance,
  );
  return { rld: est.result(), meanDistance: est.mu, n, sparse: { k, samples: pool.length, seed } };
}
