import type { Embeddings } from '../io/embeddings.ts';
import { l2Normalize } from '../io/embeddings.ts';
import { CladeError } from '../util/errors.ts';
import type { Backend } from './backend.ts';
import type { TopK } from './kernels.ts';
import { checkLabels } from './labels.ts';
import { similarityTopK } from './top-k.ts';

/**
 * kNN class-homogeneity curve (methods §E.4, clade's naming): for each neighbourhood size `p`, the mean over points
 * of the fraction of the `p` nearest neighbours (cosine, the point itself excluded) sharing the point's label.
 * One exact top-`max(p)` pass (`similarityTopK`, chunked, on the chosen backend). arXiv 2305.10229 reports
 * p=1 → 0.873 (contrastive) vs 0.990 (supervised).
 *
 * @example
 * await classHomogeneityCurve(x, y, [1, 10, 100]); // [{ p: 1, value: 0.87 }, ...]
 */
export async function classHomogeneityCurve(
  x: Embeddings,
  labels: ArrayLike<number>,
  ps: readonly number[] = [1, 10, 100, 500, 1000],
  opts: { backend?: Backend } = {},
): Promise<{ p: number; value: number }[]> {
  checkLabels(labels, x.n);
  const pmax = Math.max(...ps);
  if (ps.some((p) => !Number.isInteger(p) || p < 1))
    throw new CladeError(`neighbourhood sizes must be positive integers, got [${ps}]`);
  if (pmax > x.n - 1) throw new CladeError(`neighbourhood size ${pmax} needs more than ${x.n} points`);
  const z = l2Normalize(x);
  const nn = await similarityTopK(z, z, pmax, { excludeSelf: true, backend: opts.backend });
  return homogeneityFromTopK(nn, labels, ps);
}

/**
 * The class-homogeneity curve from precomputed self-neighbours (self excluded, best first, `k ≥ max(ps)`), e.g.
 * `similarityTopK(z, z, pmax, { excludeSelf: true })` on L2-normalised `z`, shared with other neighbour analyses.
 * `queryLabels`: the labels of the rows of `nn` when they are not all of `labels` (a batch of queries; `labels`
 * then labels the keys). An index of −1 (no neighbour) counts as a different label.
 *
 * @example
 * homogeneityFromTopK(await similarityTopK(z, z, 1000, { excludeSelf: true }), y, [1, 10, 100, 1000]);
 */
export function homogeneityFromTopK(
  nn: TopK,
  labels: ArrayLike<number>,
  ps: readonly number[],
  queryLabels: ArrayLike<number> = labels,
): { p: number; value: number }[] {
  const n = queryLabels.length;
  const pmax = Math.max(...ps);
  if (nn.k < pmax || nn.index.length !== n * nn.k)
    throw new CladeError(
      `need ${n} rows of at least ${pmax} neighbours, got ${nn.index.length / nn.k} rows of ${nn.k}`,
    );
  const x = { n };
  const sorted = [...ps].sort((a, b) => a - b);
  const sums = new Float64Array(sorted.length);
  for (let i = 0; i < x.n; i++) {
    let same = 0;
    let s = 0;
    for (let r = 0; r < pmax; r++) {
      const j = nn.index[i * nn.k + r];
      if (j >= 0 && labels[j] === queryLabels[i]) same++;
      while (s < sorted.length && sorted[s] === r + 1) sums[s++] += same / (r + 1);
    }
  }
  const byP = new Map(sorted.map((p, s) => [p, sums[s] / x.n]));
  return ps.map((p) => ({ p, value: byP.get(p)! }));
}

/** Class homogeneity at one neighbourhood size `p` (see `classHomogeneityCurve`). */
export async function classHomogeneity(
  x: Embeddings,
  labels: ArrayLike<number>,
  p: number,
  opts: { backend?: Backend } = {},
): Promise<number> {
  return (await classHomogeneityCurve(x, labels, [p], opts))[0].value;
}
