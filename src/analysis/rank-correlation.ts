import { CladeError } from '../util/errors.ts';

/** Average ranks (1-based; ties share the mean rank), as `scipy.stats.rankdata`. */
export function rankData(v: ArrayLike<number>): Float64Array {
  const n = v.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => v[a] - v[b]);
  const r = new Float64Array(n);
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && v[idx[j + 1]] === v[idx[i]]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[idx[k]] = avg;
    i = j + 1;
  }
  return r;
}

/** Pearson correlation (NaN when either side is constant). */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length)
    throw new CladeError(`correlation needs equal lengths, got ${a.length} and ${b.length}`);
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

/**
 * Spearman's ρ: Pearson correlation of average ranks (`scipy.stats.spearmanr`).
 *
 * @example
 * spearman([1, 2, 3], [10, 20, 30]); // 1
 */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return pearson(rankData(a), rankData(b));
}

/**
 * Kendall's τ-b (`scipy.stats.kendalltau`, its default variant): `(C − D) / √((n0 − n1)(n0 − n2))` with tie
 * corrections. O(n²), fine for the short sequences it is used on (chains, class orderings).
 *
 * @example
 * kendallTauB([1, 2, 3, 4], [1, 3, 2, 4]); // 0.6667
 */
export function kendallTauB(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length)
    throw new CladeError(`Kendall τ needs equal lengths, got ${a.length} and ${b.length}`);
  const n = a.length;
  let c = 0;
  let d = 0;
  let ta = 0;
  let tb = 0;
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const x = Math.sign(a[i] - a[j]);
      const y = Math.sign(b[i] - b[j]);
      if (x === 0 && y === 0) continue;
      if (x === 0) ta++;
      else if (y === 0) tb++;
      else if (x === y) c++;
      else d++;
    }
  return (c - d) / Math.sqrt((c + d + ta) * (c + d + tb));
}

/** `numpy.argsort` with a stable sort (ties keep index order). */
export function argsort(v: ArrayLike<number>): Int32Array {
  return Int32Array.from(Array.from({ length: v.length }, (_, i) => i).sort((i, j) => v[i] - v[j] || i - j));
}
