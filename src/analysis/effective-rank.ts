import type { Embeddings } from '../io/embeddings.ts';
import { gemmNT, transpose } from './kernels.ts';
import { symmetricEigen } from './linalg.ts';

/**
 * Effective rank (Roy & Vetterli 2007; RankMe, Garrido et al. 2023): `exp(H(p))` with `p_k = σ_k / Σ σ` over the
 * singular values of the embedding matrix (no centering by default, as RankMe; `center: true` uses the covariance
 * spectrum). Values lie in [1, min(n, D)]. σ² are the eigenvalues of the `D × D` Gram matrix `XᵀX`.
 *
 * @example
 * effectiveRank(z); // 37.2
 */
export function effectiveRank(x: Embeddings, opts: { center?: boolean; eps?: number } = {}): number {
  const { n, d } = x;
  const xc = Float64Array.from(x.data);
  if (opts.center) {
    for (let j = 0; j < d; j++) {
      let m = 0;
      for (let i = 0; i < n; i++) m += xc[i * d + j];
      m /= n;
      for (let i = 0; i < n; i++) xc[i * d + j] -= m;
    }
  }
  const xt = transpose(xc, n, d);
  const g = new Float64Array(d * d);
  gemmNT(xt, 0, d, xt, 0, d, n, g);
  const { values } = symmetricEigen(g, d);
  const sv = Array.from(values, (v) => Math.sqrt(Math.max(v, 0)));
  const total = sv.reduce((a, b) => a + b, 0);
  const eps = opts.eps ?? 1e-7;
  let h = 0;
  for (const s of sv) {
    const p = s / total + eps;
    h -= p * Math.log(p);
  }
  return Math.exp(h);
}
