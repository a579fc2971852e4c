import { CladeError } from '../util/errors.ts';

/** The seven Linnaean ranks of pybioclip's label store, coarsest first (BioCLIP 2 methods §A.7). */
export const RANKS = ['kingdom', 'phylum', 'class', 'order', 'family', 'genus', 'species'] as const;
export type Rank = (typeof RANKS)[number];

/** A lineage: names from kingdom down to species epithet; `null` where a rank is missing. */
export type Lineage = readonly (string | null)[];

/** Index of a rank name (or pass-through of an index). */
export function rankIndex(rank: Rank | number): number {
  const r = typeof rank === 'number' ? rank : RANKS.indexOf(rank);
  if (!(r >= 0)) throw new CladeError(`unknown rank '${rank}' (expected one of ${RANKS.join(', ')})`);
  return r;
}

/**
 * Grouping key of a lineage at a rank: the full prefix kingdom..rank **as a tuple**, so homonyms in different
 * lineages stay apart and so do ('Alpha beta', 'gamma') and ('Alpha', 'beta gamma'), which a space-joined key would
 * merge. The same key as the Taxonomy's `prefixKey` (src/data/taxonomy; analysis sits below data, so it is written
 * here too and tested equal): the JSON of the prefix, a missing or empty name as null. `RankScore.name` is the
 * space-joined form, for display only.
 */
export function rankKey(lineage: Lineage, rank: number): string {
  return JSON.stringify(lineage.slice(0, rank + 1).map((n) => (n === undefined || n === '' ? null : n)));
}

/** The display name of a lineage prefix: its names joined by spaces (missing ranks left out). */
export function rankName(lineage: Lineage, rank: number): string {
  return lineage
    .slice(0, rank + 1)
    .filter((s) => s)
    .join(' ');
}

/**
 * Integer group of every label column at a rank (columns sharing the full rank prefix share a group), with the
 * group keys. Precompute once when aggregating many images.
 */
export function rankGroups(
  lineages: readonly Lineage[],
  rank: Rank | number,
): { groupOf: Int32Array; keys: string[] } {
  const r = rankIndex(rank);
  const ids = new Map<string, number>();
  const groupOf = new Int32Array(lineages.length);
  lineages.forEach((l, j) => {
    const key = rankKey(l, r);
    let g = ids.get(key);
    if (g === undefined) ids.set(key, (g = ids.size));
    groupOf[j] = g;
  });
  return { groupOf, keys: [...ids.keys()] };
}

/** One aggregated prediction at a rank. */
export interface RankScore {
  /** The prefix as a tuple key (`rankKey`): compare predictions by this. */
  readonly key: string;
  /** The prefix's names joined by spaces, for display. */
  readonly name: string;
  readonly lineage: Lineage; /* prefix kingdom..rank */
  readonly score: number;
}

/**
 * Species probabilities summed to any rank, as pybioclip does (methods §A.7 step 4): keep `p_j > minProb`, group by
 * the full rank prefix, sum, return the top `k` (ties → key order). `probs` holds one image's probabilities over the
 * label-store columns `[K]`.
 *
 * @example
 * aggregateByRank(p, lineages, 'genus', { k: 3 }); // [{ key: '["Animalia",…,"Felis"]', name: 'Animalia … Felis', score: 0.91, … }]
 */
export function aggregateByRank(
  probs: ArrayLike<number>,
  lineages: readonly Lineage[],
  rank: Rank | number,
  opts: { minProb?: number; k?: number } = {},
): RankScore[] {
  if (probs.length !== lineages.length)
    throw new CladeError(
      `expected ${lineages.length} probabilities (one per label column), got ${probs.length}`,
    );
  const r = rankIndex(rank);
  const minProb = opts.minProb ?? 1e-9;
  const acc = new Map<string, { score: number; j: number }>();
  for (let j = 0; j < probs.length; j++) {
    const p = probs[j];
    if (!(p > minProb)) continue;
    const key = rankKey(lineages[j], r);
    const e = acc.get(key);
    if (e) e.score += p;
    else acc.set(key, { score: p, j });
  }
  const out = [...acc].map(([key, { score, j }]) => ({
    key,
    name: rankName(lineages[j], r),
    lineage: lineages[j].slice(0, r + 1),
    score,
  }));
  out.sort((a, b) => b.score - a.score || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return out.slice(0, opts.k ?? 5);
}

/**
 * Per-rank top-1 accuracy of zero-shot predictions: at each rank the predicted group is the arg-max of the
 * aggregated probabilities and is correct when its key equals the key of the true lineage.
 *
 * @example
 * perRankAccuracy(P, K, lineages, trueLineages); // { kingdom: 0.99, ..., species: 0.71 }
 */
export function perRankAccuracy(
  probs: Float32Array /* [N, K] */,
  K: number,
  lineages: readonly Lineage[],
  truth: readonly Lineage[],
  opts: { minProb?: number; ranks?: readonly (Rank | number)[] } = {},
): Record<string, number> {
  const n = truth.length;
  if (probs.length !== n * K) throw new CladeError(`expected ${n} × ${K} probabilities, got ${probs.length}`);
  const ranks = (opts.ranks ?? RANKS).map(rankIndex);
  const out: Record<string, number> = {};
  for (const r of ranks) {
    // Group ids per column, computed once per rank (keys are strings; the inner loop is numeric).
    const { groupOf, keys } = rankGroups(lineages, r);
    const keyId = new Map(keys.map((k, g) => [k, g]));
    const score = new Float64Array(keys.length);
    const minProb = opts.minProb ?? 1e-9;
    let correct = 0;
    for (let i = 0; i < n; i++) {
      score.fill(0);
      for (let j = 0; j < K; j++) {
        const p = probs[i * K + j];
        if (p > minProb) score[groupOf[j]] += p;
      }
      // arg-max with the same tie rule as aggregateByRank (score, then key order)
      let best = -1;
      for (let g = 0; g < keys.length; g++)
        if (
          score[g] > 0 &&
          (best < 0 || score[g] > score[best] || (score[g] === score[best] && keys[g] < keys[best]))
        )
          best = g;
      if (best >= 0 && best === keyId.get(rankKey(truth[i], r))) correct++;
    }
    out[RANKS[r] ?? String(r)] = correct / n;
  }
  return out;
}

/**
 * Subset filter (methods §A.7 step 5): a boolean mask over label-store columns whose name at `rank` is in `values`.
 * Apply it with `applyFilter` before the softmax so probabilities renormalise within the subset.
 *
 * @example
 * const mask = taxaFilter(lineages, 'class', ['Aves']);
 */
export function taxaFilter(
  lineages: readonly Lineage[],
  rank: Rank | number,
  values: readonly string[],
): Uint8Array {
  const r = rankIndex(rank);
  const set = new Set(values);
  const mask = Uint8Array.from(lineages, (l) => (l[r] !== null && set.has(l[r] as string) ? 1 : 0));
  if (!mask.some((v) => v))
    throw new CladeError(`subset filter on ${RANKS[r] ?? r} ∈ {${values.join(', ')}} keeps no taxa`);
  return mask;
}

/** Keeps the masked rows of a class-embedding matrix (and returns the kept column indices). */
export function applyFilter<T extends { data: Float32Array; n: number; d: number }>(
  W: T,
  mask: Uint8Array,
): { W: { data: Float32Array; n: number; d: number }; columns: Int32Array } {
  if (mask.length !== W.n) throw new CladeError(`mask has ${mask.length} entries for ${W.n} classes`);
  const columns = Int32Array.from(mask.reduce<number[]>((a, v, i) => (v ? (a.push(i), a) : a), []));
  const data = new Float32Array(columns.length * W.d);
  columns.forEach((c, k) => data.set(W.data.subarray(c * W.d, (c + 1) * W.d), k * W.d));
  return { W: { data, n: columns.length, d: W.d }, columns };
}

/**
 * Binning classifier (pybioclip `--bins`): sums class probabilities into user bins through a class → bin map.
 * Classes without a bin are dropped.
 *
 * @example
 * binProbabilities(p, ['cat', 'cat', 'dog']); // Map { cat → p0+p1, dog → p2 }
 */
export function binProbabilities(
  probs: ArrayLike<number>,
  classToBin: readonly (string | null)[],
): Map<string, number> {
  if (probs.length !== classToBin.length)
    throw new CladeError(`expected ${classToBin.length} probabilities, got ${probs.length}`);
  const out = new Map<string, number>();
  for (let j = 0; j < probs.length; j++) {
    const b = classToBin[j];
    if (b === null) continue;
    out.set(b, (out.get(b) ?? 0) + probs[j]);
  }
  return out;
}

/**
 * Abstention: the deepest rank whose top aggregated probability clears `threshold` (probabilities only grow towards
 * the root, so this scans from species upwards). `null` when even the coarsest rank is below the threshold.
 *
 * @example
 * abstain(p, lineages, 0.8); // { rank: 'genus', name: '… Felis', score: 0.86, lineage: [...] }
 */
export function abstain(
  probs: ArrayLike<number>,
  lineages: readonly Lineage[],
  threshold: number,
  opts: { minProb?: number } = {},
): (RankScore & { rank: Rank }) | null {
  for (let r = RANKS.length - 1; r >= 0; r--) {
    const top = aggregateByRank(probs, lineages, r, { minProb: opts.minProb, k: 1 })[0];
    if (top && top.score >= threshold) return { ...top, rank: RANKS[r] };
  }
  return null;
}

/**
 * Depth of the lowest common ancestor of two lineages: the number of leading ranks on which they agree (0 = differ
 * already at kingdom; 7 = same species). Missing names never match.
 */
export function lcaDepth(a: Lineage, b: Lineage): number {
  const L = Math.min(a.length, b.length);
  let k = 0;
  while (k < L && a[k] !== null && a[k] === b[k]) k++;
  return k;
}

/**
 * Mistake severity over predictions: mean LCA depth of the wrong predictions and the histogram of LCA depths
 * (a shallower LCA is a worse mistake). `severity = L − depth` is also averaged.
 *
 * @example
 * mistakeSeverity(predLineages, trueLineages).meanLcaDepth;
 */
export function mistakeSeverity(
  pred: readonly Lineage[],
  truth: readonly Lineage[],
): { mistakes: number; meanLcaDepth: number; meanSeverity: number; histogram: number[] } {
  if (pred.length !== truth.length)
    throw new CladeError(`expected ${truth.length} predictions, got ${pred.length}`);
  const L = truth.length ? truth[0].length : RANKS.length;
  const histogram = new Array<number>(L + 1).fill(0);
  let m = 0;
  let sum = 0;
  for (let i = 0; i < pred.length; i++) {
    const d = lcaDepth(pred[i], truth[i]);
    histogram[d]++;
    if (d < L) {
      m++;
      sum += d;
    }
  }
  return { mistakes: m, meanLcaDepth: m ? sum / m : NaN, meanSeverity: m ? L - sum / m : NaN, histogram };
}
