import type { Embeddings } from '../io/embeddings.ts';
import { CladeError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { gemmNT, transpose } from './kernels.ts';
import { symmetricEigen, orthonormalizeRows } from './linalg.ts';

/** A fitted PCA: mean `[D]`, components as rows `[k, D]`, explained variances (descending). */
export interface Pca {
  readonly mean: Float64Array;
  readonly components: Float64Array; /* [k, D] */
  readonly k: number;
  readonly d: number;
  readonly explainedVariance: Float64Array; /* [k] */
  readonly explainedVarianceRatio: Float64Array; /* [k] */
}

/**
 * Principal component analysis. `exact` eigendecomposes the `D × D` covariance (D ≤ ~600); `randomized` uses
 * Halko et al.'s subspace iteration (oversampling 10, `powerIterations` passes, seeded `Rng`), which is what
 * large `D` (e.g. 3072 CIFAR pixels) needs. Variances use the `n − 1` denominator like scikit-learn.
 *
 * @example
 * const p = pcaFit(x, 50); const y = pcaTransform(p, x); // [N, 50]
 */
export function pcaFit(
  x: Embeddings,
  k: number,
  opts: { method?: 'auto' | 'exact' | 'randomized'; rng?: Rng; powerIterations?: number } = {},
): Pca {
  const { n, d } = x;
  if (!(k >= 1 && k <= Math.min(n, d)))
    throw new CladeError(`PCA needs 1 ≤ k ≤ min(n, D) = ${Math.min(n, d)}, got ${k}`);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x.data[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const xc = new Float32Array(n * d); // float32 keeps 10k × 3072 inputs at 120 MB; products accumulate in float64
  let totalVar = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) {
      const v = x.data[i * d + j] - mean[j];
      xc[i * d + j] = v;
      totalVar += v * v;
    }
  totalVar /= n - 1;
  const method = opts.method === 'auto' || !opts.method ? (d <= 600 ? 'exact' : 'randomized') : opts.method;
  const xt = transpose(xc, n, d); // [D, N]
  let comps: Float64Array;
  let vars: Float64Array;
  if (method === 'exact') {
    const cov = new Float64Array(d * d);
    gemmNT(xt, 0, d, xt, 0, d, n, cov);
    for (let i = 0; i < d * d; i++) cov[i] /= n - 1;
    const { values, vectors } = symmetricEigen(cov, d);
    comps = new Float64Array(k * d);
    for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) comps[c * d + j] = vectors[j * d + c];
    vars = values.slice(0, k);
  } else {
    const rng = opts.rng ?? new Rng(0);
    const l = Math.min(k + 10, Math.min(n, d));
    // Q^T [l, N]: range of X via random test matrix Ω^T [l, D].
    const omega = Float64Array.from({ length: l * d }, () => rng.normal());
    let qt = new Float64Array(l * n);
    gemmNT(omega, 0, l, xc, 0, n, d, qt); // (X Ω)^T = Ω^T X^T → [l, N]
    orthonormalizeRows(qt, l, n);
    const zt = new Float64Array(l * d);
    for (let it = 0; it < (opts.powerIterations ?? 2); it++) {
      gemmNT(qt, 0, l, xt, 0, d, n, zt); // (X^T Q)^T = Q^T X → [l, D]
      orthonormalizeRows(zt, l, d);
      qt = new Float64Array(l * n);
      gemmNT(zt, 0, l, xc, 0, n, d, qt); // (X Z)^T → [l, N]
      orthonormalizeRows(qt, l, n);
    }
    const B = new Float64Array(l * d);
    gemmNT(qt, 0, l, xt, 0, d, n, B); // B = Q^T X [l, D]
    const bbt = new Float64Array(l * l);
    gemmNT(B, 0, l, B, 0, l, d, bbt);
    const { values, vectors } = symmetricEigen(bbt, l);
    comps = new Float64Array(k * d);
    vars = new Float64Array(k);
    for (let c = 0; c < k; c++) {
      const sv = Math.sqrt(Math.max(values[c], 0));
      vars[c] = Math.max(values[c], 0) / (n - 1);
      if (sv === 0) continue;
      for (let r = 0; r < l; r++) {
        const u = vectors[r * l + c] / sv;
        if (u === 0) continue;
        for (let j = 0; j < d; j++) comps[c * d + j] += u * B[r * d + j];
      }
    }
  }
  // Deterministic sign: the largest-magnitude loading of each component is positive.
  for (let c = 0; c < k; c++) {
    let m = 0;
    for (let j = 0; j < d; j++) if (Math.abs(comps[c * d + j]) > Math.abs(m)) m = comps[c * d + j];
    if (m < 0) for (let j = 0; j < d; j++) comps[c * d + j] = -comps[c * d + j];
  }
  return {
    mean,
    components: comps,
    k,
    d,
    explainedVariance: vars,
    explainedVarianceRatio: vars.map((v) => v / totalVar),
  };
}

/** Projects onto fitted components: `(x − mean) · componentsᵀ` → `[N, k]` float32. */
export function pcaTransform(p: Pca, x: Embeddings): Embeddings {
  if (x.d !== p.d) throw new CladeError(`PCA was fitted on dimension ${p.d}, got ${x.d}`);
  const xc = new Float32Array(x.n * x.d);
  for (let i = 0; i < x.n; i++)
    for (let j = 0; j < x.d; j++) xc[i * x.d + j] = x.data[i * x.d + j] - p.mean[j];
  const out = new Float64Array(x.n * p.k);
  gemmNT(xc, 0, x.n, p.components, 0, p.k, x.d, out);
  return { data: Float32Array.from(out), n: x.n, d: p.k };
}

/** Fit and project in one call. */
export function pca(x: Embeddings, k: number, opts: Parameters<typeof pcaFit>[2] = {}): Embeddings {
  return pcaTransform(pcaFit(x, k, opts), x);
}
