import type { Embeddings } from '../io/embeddings.ts';
import { l2Normalize } from '../io/embeddings.ts';
import { CladeError } from '../util/errors.ts';
import type { Backend } from './backend.ts';
import { SoftKnnRows } from './rld-approx.ts';
import { distanceStats, forEachPairDistance } from './rld-js.ts';
import { similarityTopK } from './top-k.ts';

/**
 * The dense mutual-soft-kNN graph of RLD (methods §E.2 steps 1–5), materialised: `W_ij = n² E_ij² / (r_i c_j)`,
 * `E_ij = exp(−d_ij / (μT))`, zero diagonal. This is the graph the GCN head propagates over (§E.5).
 * Memory is `n²` float32 — guarded by `maxNodes` (default 8,000 → 256 MB).
 *
 * @example
 * const W = mutualSoftmaxGraph(z, 0.1); // Float32Array [n, n]
 */
export function mutualSoftmaxGraph(
  x: Embeddings,
  T: number,
  opts: { normalize?: boolean; maxNodes?: number } = {},
): Float32Array /* [N, N] */ {
  const n = x.n;
  const maxNodes = opts.maxNodes ?? 8000;
  if (n > maxNodes)
    throw new CladeError(
      `dense graph over ${n} nodes exceeds maxNodes ${maxNodes} (${((n * n * 4) / 2 ** 20).toFixed(0)} MB)`,
    );
  if (!(T > 0)) throw new CladeError(`temperature must be positive, got ${T}`);
  const z = opts.normalize === false ? x : l2Normalize(x);
  const { mu, rowMin } = distanceStats(z);
  const inv = 1 / (mu * T);
  const W = new Float32Array(n * n);
  const R = new Float64Array(n);
  // Store d_ij in W first (one n × n buffer) while accumulating the shifted row sums.
  forEachPairDistance(z, (i0, i1, j0, j1, dist) => {
    const w = j1 - j0;
    for (let i = i0; i < i1; i++)
      for (let j = Math.max(j0, i + 1); j < j1; j++) {
        const v = dist[(i - i0) * w + j - j0];
        W[i * n + j] = W[j * n + i] = v;
        R[i] += Math.exp(-(v - rowMin[i]) * inv);
        R[j] += Math.exp(-(v - rowMin[j]) * inv);
      }
  });
  const n2 = n * n;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      const v = W[i * n + j];
      // n² E_ij² / (r_i r_j) with r_i = exp(−m_i/(μT)) R_i — exact, and free of underflow in the row sums.
      W[i * n + j] = (n2 * Math.exp(-(2 * v - rowMin[i] - rowMin[j]) * inv)) / (R[i] * R[j]);
    }
  return W;
}

/**
 * GraphConv normalisation (DGL, `norm='both'`): `Â = D_dst^{−½} W D_src^{−½}` with `D_src = colsum(W)` and
 * `D_dst = rowsum(W)` clamped to ≥ 1. Returns a new matrix.
 */
export function normalizeGraph(W: Float32Array, n: number): Float32Array {
  const rs = new Float64Array(n);
  const cs = new Float64Array(n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      rs[i] += W[i * n + j];
      cs[j] += W[i * n + j];
    }
  const a = rs.map((v) => 1 / Math.sqrt(Math.max(1, v)));
  const b = cs.map((v) => 1 / Math.sqrt(Math.max(1, v)));
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = a[i] * W[i * n + j] * b[j];
  return out;
}

/** A kNN graph normalised as GraphConv's `Â`: node `i` aggregates from its `k` neighbours `index` with `weight`. */
export interface KnnGraph {
  readonly n: number;
  readonly k: number;
  readonly index: BigInt64Array; /* [n, k] int64, for the engine's gather */
  readonly weight: Float32Array; /* [n, k] Â_ij */
  /** Share of the dense graph's total weight `Σ_ij W_ij` that the kept edges carry (estimated). */
  readonly massKept: number;
}

/**
 * The sparse stand-in for `normalizeGraph(mutualSoftmaxGraph(x, T))` when `n²` is too large (clade's, not the
 * paper's): every node keeps its `k` nearest cosine neighbours (self excluded; exact top-k, `similarityTopK`) with
 * their dense-graph weights `W_ij = n² E_ij² / (r_i r_j)` — the row sums `r_i` estimated over the full row with
 * `samples` seeded partners, as the sparse RLD estimate does (`SoftKnnRows`) — and the kept graph is normalised as
 * GraphConv normalises any graph (`normalizeGraph` on the sparse `W`: degrees of the kept edges, clamped ≥ 1).
 * `massKept` says how much of the dense graph's weight the kept edges carry (estimated). With `k = n − 1` and no
 * samples it is the dense graph exactly. Memory O(n · (k + samples)).
 *
 * @example
 * const g = await mutualSoftmaxKnnGraph(z, 0.1, { k: 20 }); // 60,000 nodes: g.index [60000, 20]
 */
export async function mutualSoftmaxKnnGraph(
  x: Embeddings,
  T: number,
  opts: { k?: number; samples?: number; seed?: number; normalize?: boolean; backend?: Backend } = {},
): Promise<KnnGraph> {
  const n = x.n;
  if (!(T > 0)) throw new CladeError(`temperature must be positive, got ${T}`);
  if (n < 3) throw new CladeError(`a kNN graph needs at least 3 nodes, got ${n}`);
  const k = Math.min(opts.k ?? 20, n - 1);
  const z = opts.normalize === false ? x : l2Normalize(x);
  const nn = await similarityTopK(z, z, k, { excludeSelf: true, backend: opts.backend });
  const rows = new SoftKnnRows(z, nn, { samples: opts.samples ?? 256, seed: opts.seed ?? 0 });
  const g = rows.at(T);
  const n2 = n * n;
  const edge = new Float64Array(n * k);
  const rowSum = new Float64Array(n); /* D_dst: what node i aggregates */
  const colSum = new Float64Array(n); /* D_src: what node j sends */
  let kept = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    let full = 0;
    for (let r = 0; r < k; r++) {
      const w = (edge[i * k + r] = n2 * g.edge(i, r));
      rowSum[i] += w;
      colSum[nn.index[i * k + r]] += w;
      full += w;
    }
    kept += full;
    g.tail(i, (_, w) => (full += n2 * w));
    total += full;
  }
  const a = rowSum.map((v) => 1 / Math.sqrt(Math.max(1, v)));
  const b = colSum.map((v) => 1 / Math.sqrt(Math.max(1, v)));
  const weight = new Float32Array(n * k);
  const index = new BigInt64Array(n * k);
  for (let i = 0; i < n; i++)
    for (let r = 0; r < k; r++) {
      const j = nn.index[i * k + r];
      index[i * k + r] = BigInt(j);
      weight[i * k + r] = a[i] * edge[i * k + r] * b[j];
    }
  return { n, k, index, weight, massKept: kept / total };
}
