/**
 * Exact cosine k-nearest neighbours of one query among L2-normalised rows, in the page. Same order as
 * `similarityTopK` (clade analyze's kNN): higher similarity first, ties by lower row index.
 */
export interface Neighbour {
  readonly index: number;
  readonly similarity: number;
}

/**
 * Top-`k` rows of `z` by dot product with `q` (cosine when both are L2-normalised), excluding row `exclude`.
 * Products accumulate in float64 over float32 inputs.
 *
 * @example
 * cosineTopK(z, 512, z.subarray(7 * 512, 8 * 512), 10, 7); // the 10 neighbours of point 7
 */
export function cosineTopK(
  z: Float32Array /* [N, D] */,
  d: number,
  q: ArrayLike<number> /* [D] */,
  k: number,
  exclude = -1,
): Neighbour[] {
  const n = z.length / d;
  const kk = Math.min(k, n - (exclude >= 0 && exclude < n ? 1 : 0));
  const best: Neighbour[] = [];
  if (kk <= 0) return best;
  let worst = -Infinity;
  for (let i = 0; i < n; i++) {
    if (i === exclude) continue;
    let s = 0;
    const o = i * d;
    for (let j = 0; j < d; j++) s += z[o + j] * q[j];
    if (best.length === kk && s <= worst) continue; // ties keep the earlier (lower) index
    let p = best.length;
    if (p === kk) best.pop();
    p = best.length;
    while (p > 0 && best[p - 1].similarity < s) p--;
    best.splice(p, 0, { index: i, similarity: s });
    worst = best.length === kk ? best[kk - 1].similarity : -Infinity;
  }
  return best;
}

/** L2-normalised copy of a vector. */
export function normalized(v: ArrayLike<number>): Float32Array {
  let s = 0;
  for (let j = 0; j < v.length; j++) s += v[j] * v[j];
  const r = s > 0 ? 1 / Math.sqrt(s) : 0;
  return Float32Array.from(v, (x) => x * r);
}
