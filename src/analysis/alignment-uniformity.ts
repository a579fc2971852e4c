import type { Embeddings } from '../io/embeddings.ts';
import { l2Normalize } from '../io/embeddings.ts';
import { CladeError } from '../util/errors.ts';
import { forEachTile } from './kernels.ts';

/**
 * Alignment (Wang & Isola, ICML 2020): `E ‖f(x) − f(y)‖₂^α` over positive pairs (row `i` of `a` with row `i` of `b`),
 * on L2-normalised embeddings; default α = 2. Lower is better.
 *
 * @example
 * alignment(view1, view2); // 0.42
 */
export function alignment(a: Embeddings, b: Embeddings, alpha = 2): number {
  if (a.n !== b.n || a.d !== b.d)
    throw new CladeError(`positive pairs need equal shapes, got [${a.n}, ${a.d}] and [${b.n}, ${b.d}]`);
  const x = l2Normalize(a);
  const y = l2Normalize(b);
  let s = 0;
  for (let i = 0; i < a.n; i++) {
    let q = 0;
    for (let k = 0; k < a.d; k++) q += (x.data[i * a.d + k] - y.data[i * a.d + k]) ** 2;
    s += Math.pow(q, alpha / 2);
  }
  return s / a.n;
}

/**
 * Uniformity (Wang & Isola 2020): `log E_{i<j} exp(−t ‖f(x_i) − f(x_j)‖²)` on L2-normalised embeddings, t = 2,
 * over all distinct pairs (chunked, exact; log-sum-exp for stability). Lower is more uniform.
 *
 * @example
 * uniformity(z); // −3.1
 */
export function uniformity(x: Embeddings, t = 2): number {
  if (x.n < 2) throw new CladeError('uniformity needs at least 2 points');
  const z = l2Normalize(x);
  // ‖a − b‖² = 2 − 2⟨a, b⟩ for unit vectors; the maximum exponent is 0 (at distance 0) so exp never overflows.
  let s = 0;
  forEachTile(
    z,
    z,
    (i0, i1, j0, j1, tile) => {
      const w = j1 - j0;
      for (let i = i0; i < i1; i++)
        for (let j = Math.max(j0, i + 1); j < j1; j++)
          s += Math.exp(-t * Math.max(0, 2 - 2 * tile[(i - i0) * w + j - j0]));
    },
    { upper: true },
  );
  return Math.log(s / ((x.n * (x.n - 1)) / 2));
}
