import type { Embeddings } from '../io/embeddings.ts';
import { l2Normalize } from '../io/embeddings.ts';
import { CladeError } from '../util/errors.ts';
import { radius } from './radial.ts';
import { argsort, kendallTauB } from './rank-correlation.ts';

/**
 * HierarCaps hierarchical retrieval for one image (methods §C.6, port of `hierarchical_retrieval.py`): thresholds
 * `τ = linspace(min d, max d, steps)` over the candidate radii; for each τ in increasing order take
 * `argmax_{t : d_t ≤ τ} ⟨n(v), e_t⟩` (first index on ties) and append it unless it equals the previous prediction.
 * Returns candidate indices in retrieval order.
 *
 * @example
 * hierarchicalRetrieval(imageVec, candidates, radii); // [12, 40, 41, 3]
 */
export function hierarchicalRetrieval(
  image: ArrayLike<number>,
  candidates: Embeddings,
  radii: ArrayLike<number>,
  opts: { steps?: number } = {},
): number[] {
  const steps = opts.steps ?? 50;
  const { n, d } = candidates;
  if (image.length !== d)
    throw new CladeError(`image dimension ${image.length} differs from candidate dimension ${d}`);
  if (radii.length !== n) throw new CladeError(`expected ${n} radii, got ${radii.length}`);
  let norm = 0;
  for (let j = 0; j < d; j++) norm += image[j] * image[j];
  norm = Math.sqrt(norm) || 1;
  const sims = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += candidates.data[t * d + j] * image[j];
    sims[t] = s / norm;
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (let t = 0; t < n; t++) {
    if (radii[t] < lo) lo = radii[t];
    if (radii[t] > hi) hi = radii[t];
  }
  const preds: number[] = [];
  for (let s = 0; s < steps; s++) {
    // numpy.linspace: lo + s * (hi - lo) / (steps - 1), with the last point exactly hi.
    const tau = steps === 1 ? lo : s === steps - 1 ? hi : lo + (s * (hi - lo)) / (steps - 1);
    let best = -Infinity;
    let arg = -1;
    for (let t = 0; t < n; t++)
      if (radii[t] <= tau && sims[t] > best) {
        best = sims[t];
        arg = t;
      }
    if (arg >= 0 && preds[preds.length - 1] !== arg) preds.push(arg);
  }
  return preds;
}

/** Precision `|set(preds) ∩ G| / max(1, |set(preds)|)` over strings (methods §C.6 step 4). */
export function hcPrecision(predTexts: readonly string[], groundTruth: ReadonlySet<string>): number {
  const s = new Set(predTexts);
  let hit = 0;
  for (const t of s) if (groundTruth.has(t)) hit++;
  return hit / Math.max(1, s.size);
}

/** Recall `¼ Σ_k 1[level-k string of any chain ∈ set(preds)]` (methods §C.6 step 5); chains are `[L]` strings. */
export function hcRecall(predTexts: readonly string[], chains: readonly (readonly string[])[]): number {
  const s = new Set(predTexts);
  const L = chains[0]?.length ?? 4;
  let hit = 0;
  for (let k = 0; k < L; k++) if (chains.some((c) => s.has(c[k]))) hit++;
  return hit / L;
}

/**
 * d_corr (τ_d, methods §C.6 step 7): per chain, Kendall τ-b between `argsort(radii of its levels)` and `[1..L]`,
 * averaged over chains — the reference's argsort form (stable argsort, so tied radii keep level order).
 *
 * @example
 * dCorr([[0.2, 0.4, 0.6, 0.8]]); // 1
 */
export function dCorr(chainRadii: readonly ArrayLike<number>[]): number {
  if (!chainRadii.length) throw new CladeError('d_corr needs at least one chain');
  let s = 0;
  for (const r of chainRadii) {
    const order = argsort(r);
    s += kendallTauB(
      order,
      Float64Array.from({ length: r.length }, (_, i) => i + 1),
    );
  }
  return s / chainRadii.length;
}

/** One HierarCaps test item: its image row and its chain(s) of level strings (general → specific). */
export interface HierarCapsItem {
  readonly image: number;
  readonly chains: readonly (readonly string[])[];
}

/**
 * The full HierarCaps evaluation (methods §C.6): candidate pool = all positive test texts (duplicates kept), radii
 * around `root`, 50-step sweep per image, mean precision and recall over images, and d_corr over chains (using each
 * chain's own text embeddings, looked up by its pool position).
 *
 * `texts` rows are the pool in order; `poolText[t]` its string; `chainRows[c]` the pool rows of chain `c`'s levels.
 *
 * @example
 * hierarcapsEvaluate(images, texts, poolText, root, items, chainRows); // { precision, recall, dCorr }
 */
export function hierarcapsEvaluate(
  images: Embeddings,
  texts: Embeddings,
  poolText: readonly string[],
  root: ArrayLike<number>,
  items: readonly HierarCapsItem[],
  chainRows: readonly (readonly number[])[],
  opts: { steps?: number; normalize?: boolean } = {},
): {
  precision: number;
  recall: number;
  dCorr: number;
  perImage: { precision: number; recall: number; preds: string[] }[];
} {
  if (poolText.length !== texts.n)
    throw new CladeError(`expected ${texts.n} pool strings, got ${poolText.length}`);
  const T = opts.normalize === false ? texts : l2Normalize(texts);
  const radii = Float64Array.from({ length: T.n }, (_, t) =>
    radius(T.data.subarray(t * T.d, (t + 1) * T.d), root),
  );
  let P = 0;
  let R = 0;
  const perImage = items.map((it) => {
    const v = images.data.subarray(it.image * images.d, (it.image + 1) * images.d);
    const preds = hierarchicalRetrieval(v, T, radii, { steps: opts.steps }).map((t) => poolText[t]);
    const gt = new Set(it.chains.flat());
    const p = hcPrecision(preds, gt);
    const r = hcRecall(preds, it.chains);
    P += p;
    R += r;
    return { precision: p, recall: r, preds };
  });
  const dc = dCorr(chainRows.map((rows) => rows.map((t) => radii[t])));
  return { precision: P / items.length, recall: R / items.length, dCorr: dc, perImage };
}
