import type { Embeddings } from '../io/embeddings.ts';
import { l2Normalize, takeRows } from '../io/embeddings.ts';
import { CladeError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { backendOf, type Backend } from './backend.ts';
import { checkLabels } from './labels.ts';
import { rldApprox } from './rld-approx.ts';
import { rldExactJs } from './rld-js.ts';
import { similarityTopK } from './top-k.ts';

export interface RldOptions {
  /** Temperatures `T` (smaller = more local). Default `[1, 0.5, 0.1]`. */
  temperatures?: readonly number[];
  /** L2-normalise the features first, as in all the paper's experiments (default true). */
  normalize?: boolean;
  /** `ort` (default): three chunked passes of ONNX Runtime graphs; `js`: float64 TypeScript tiles. */
  backend?: Backend;
  /** Evaluate on a seeded random subset of `size` points (recorded in the result) instead of all `n`. */
  subsample?: { size: number; seed: number };
  /** The sparse estimate (clade's, not the paper's) instead of the exact value: each row's exact top-`k`
   *  neighbours (default 100) plus `samples` seeded uniform partners (default 256; 0 = plain kNN truncation). */
  approximate?: { k?: number; samples?: number; seed?: number };
  /** `ort`: rows per chunk (default 16 M / n). */
  chunk?: number;
  /** `js`: rows and columns per tile (memory is `rowBlock × colBlock` float64). */
  rowBlock?: number;
  colBlock?: number;
  /** `js`: show terminal progress for the three passes. */
  progress?: boolean;
  /** `js`: keep the packed pairwise distances (float32) when they fit in this many bytes (default 256 MiB), so the
   *  second and third passes skip the products. 0 disables the cache (memory then stays O(n · |T| + tile)). */
  cacheBytes?: number;
  /** `js`: exponent shift, `auto` (one global shift when no exponential can underflow, else per row) or `row`. */
  shift?: 'auto' | 'row';
}

/** Per-temperature RLD, plus the mean scaled distance `μ` used for normalisation and how it was computed. */
export interface RldResult {
  readonly temperatures: number[];
  readonly rld: number[];
  readonly meanDistance: number;
  readonly n: number;
  readonly subsample?: { size: number; seed: number };
  readonly approximate?: { k: number; samples: number; seed: number };
}

/**
 * Relative Local Density (RLD), as defined in Zhang, Lu & Xuan, *How does Contrastive Learning Organize Images?*
 * (arXiv 2305.10229; docs/methods.md): Newman modularity of the label partition on the dense "mutual soft-kNN"
 * graph `W_ij = n² E_ij² / (r_i c_j)`, `E_ij = exp(−d_ij / (μ T))`, `d_ij = ‖x_i − x_j‖ / √D`, `μ = mean_{i<j} d_ij`,
 * `E_ii = 0`.
 *
 * Exact for any `n` on both backends: three chunked passes (μ and each row's nearest distance; row sums; degrees and
 * in-class weight), all temperatures at once, no `n × n` matrix; exponentials are shifted by nearest distances so
 * small `T` cannot underflow. Time O(n² D). `approximate` switches to the sparse estimate for very large `n`.
 *
 * @example
 * (await relativeLocalDensity(x, y, { temperatures: [1, 0.1], normalize: false })).rld; // case A: [0.392172, 0.5]
 */
export async function relativeLocalDensity(
  x: Embeddings,
  labels: ArrayLike<number>,
  opts: RldOptions = {},
): Promise<RldResult> {
  const backend = backendOf(opts.backend);
  if (opts.subsample) {
    const { size, seed } = opts.subsample;
    if (!(size >= 2 && size <= x.n))
      throw new CladeError(`subsample size must be in [2, ${x.n}], got ${size}`);
    const idx = new Rng(seed).permutation(x.n).subarray(0, size);
    const sub = Int32Array.from(idx, (i) => labels[i]);
    const r = await relativeLocalDensity(takeRows(x, idx), sub, { ...opts, subsample: undefined });
    return { ...r, subsample: { size, seed } };
  }
  const temperatures = [...(opts.temperatures ?? [1, 0.5, 0.1])];
  if (temperatures.some((t) => !(t > 0)))
    throw new CladeError(`temperatures must be positive, got [${temperatures}]`);
  const n = x.n;
  const K = checkLabels(labels, n);
  const z = opts.normalize === false ? x : l2Normalize(x);
  if (opts.approximate) {
    if (n < 3) throw new CladeError(`approximate RLD needs at least 3 points, got ${n}`);
    const k = Math.min(opts.approximate.k ?? 100, n - 1);
    const nn = await similarityTopK(z, z, k, { excludeSelf: true, backend });
    const samples = opts.approximate.samples ?? 256;
    const seed = opts.approximate.seed ?? 0;
    const r = rldApprox(z, labels, K, temperatures, nn, { samples, seed });
    return { temperatures, ...r, n, approximate: { k, samples, seed } };
  }
  if (n < 2) throw new CladeError(`RLD needs at least 2 points, got ${n}`);
  if (backend === 'js') return { temperatures, ...rldExactJs(z, labels, K, temperatures, opts), n };
  const { rldExactOrt } = await import('./rld-ort.ts');
  return { temperatures, ...(await rldExactOrt(z, labels, temperatures, opts)), n };
}
