import { aggregateByRank, type RankScore } from '../analysis/rank-aggregation.ts';

/**
 * Zero-shot labels of one embedding at every rank: softmax of `scale · cos` over the deepest taxonomy nodes (the
 * class texts), summed to each rank by lineage prefix (pybioclip's aggregation, `aggregateByRank`).
 *
 * @example
 * zeroShotByRank(z, classTexts, D, lineages, 100, 3); // [[{ key: 'Aves', score: 0.9, ... }], ...] one list per rank
 */
export function zeroShotByRank(
  q: ArrayLike<number> /* [D], L2-normalised */,
  classText: Float32Array /* [K, D], L2-normalised */,
  d: number,
  lineages: readonly (readonly string[])[] /* [K] */,
  scale: number,
  k = 3,
): RankScore[][] {
  const K = lineages.length;
  const p = new Float64Array(K);
  let m = -Infinity;
  for (let c = 0; c < K; c++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += classText[c * d + j] * q[j];
    p[c] = scale * s;
    if (p[c] > m) m = p[c];
  }
  let sum = 0;
  for (let c = 0; c < K; c++) sum += p[c] = Math.exp(p[c] - m);
  for (let c = 0; c < K; c++) p[c] /= sum;
  const R = Math.max(0, ...lineages.map((l) => l.length));
  return Array.from({ length: R }, (_, r) => aggregateByRank(p, lineages, r, { k }));
}
