import type { Embeddings } from '../io/embeddings.ts';
import { l2Normalize } from '../io/embeddings.ts';
import { CladeError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { checkLabels } from './labels.ts';

/** Separation of one attribute over a set of unit vectors, with its permutation baseline. */
export interface Separation {
  /** mean cosine distance between items with different values ÷ mean distance between items with the same value. */
  readonly ratio: number;
  /** The same ratio with the values permuted, averaged over the permutations (≈ 1 when values are exchangeable). */
  readonly baseline: number;
  /** Permutation p value `(1 + #{perm ≥ observed}) / (1 + permutations)`. */
  readonly p: number;
  /** Items the ratio was computed over. */
  readonly items: number;
}

export interface AttributeSeparationResult {
  /** Between classes: class means labelled by their majority value; null when fewer than 2 values have ≥ 2 classes… */
  readonly between: (Separation & { classes: number; mixedClasses: number }) | null;
  /** Within classes: the unweighted mean over classes holding ≥ 2 values with ≥ 2 samples each; null when none does. */
  readonly within: (Separation & { classes: number; perClass: { cls: number; ratio: number }[] }) | null;
  /** The attribute values in first-seen order. */
  readonly values: string[];
}

export interface AttributeSeparationOptions {
  /** Seeded permutations for the baseline and p value (default 100). */
  readonly permutations?: number;
  /** Rows per class for the within-class ratio, a seeded subsample above it (default 500: the pairs are m²). */
  readonly maxPerClass?: number;
  readonly seed?: number;
}

/**
 * **clade's own operationalisation** of BioCLIP 2's ecological alignment (methods §B.1, *Habitat*: freshwater fish
 * separate in the embedding without habitat supervision; the paper publishes no metric): how an attribute of the
 * samples (habitat, diet, …) organises the space, **between** and **within** classes. Embeddings are L2-normalised;
 * distance is `1 − cos`.
 *
 * - *Between*: each class's normalised mean, labelled by the class's majority value (ties → first seen); ratio of
 *   the mean distance between class means with different values to that between class means sharing a value.
 * - *Within*: per class whose rows hold ≥ 2 values with ≥ 2 rows each, the same ratio over its rows (pairs `i < j`);
 *   the unweighted mean over those classes.
 *
 * A ratio above 1 means the attribute separates; the baseline permutes the values (between: across classes;
 * within: inside each class), so compare against it rather than 1. Rows whose value is null are left out.
 *
 * @example
 * attributeSeparation(x, species, habitat).between?.ratio; // 1.4 (baseline 1.0, p 0.01)
 */
export function attributeSeparation(
  x: Embeddings,
  labels: ArrayLike<number>,
  attribute: readonly (string | null)[],
  opts: AttributeSeparationOptions = {},
): AttributeSeparationResult {
  const K = checkLabels(labels, x.n);
  if (attribute.length !== x.n)
    throw new CladeError(`expected ${x.n} attribute values, got ${attribute.length}`);
  const P = opts.permutations ?? 100;
  const maxPer = opts.maxPerClass ?? 500;
  const rng = new Rng(opts.seed ?? 0);
  const z = l2Normalize(x);
  const d = z.d;
  const values: string[] = [];
  const valueId = new Map<string, number>();
  const a = Int32Array.from(attribute, (v) => {
    if (v === null) return -1;
    let id = valueId.get(v);
    if (id === undefined) valueId.set(v, (id = values.push(v) - 1));
    return id;
  });
  const rowsOf: number[][] = Array.from({ length: K }, () => []);
  for (let i = 0; i < z.n; i++) if (a[i] >= 0) rowsOf[labels[i]].push(i);

  // Between classes: majority value of each class, normalised class means.
  const means: number[][] = [];
  const meanValue: number[] = [];
  let mixed = 0;
  for (const rows of rowsOf) {
    if (!rows.length) continue;
    const cnt = new Map<number, number>();
    for (const i of rows) cnt.set(a[i], (cnt.get(a[i]) ?? 0) + 1);
    if (cnt.size > 1) mixed++;
    let best = -1;
    for (const [v, c] of cnt)
      if (best < 0 || c > cnt.get(best)! || (c === cnt.get(best)! && v < best)) best = v;
    const m = new Array<number>(d).fill(0);
    for (const i of rows) for (let j = 0; j < d; j++) m[j] += z.data[i * d + j];
    const norm = Math.hypot(...m) || 1;
    means.push(m.map((v) => v / norm));
    meanValue.push(best);
  }
  const gram = (vecs: (i: number, j: number) => number, n: number) => {
    const g = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) g[i * n + j] = 1 - vecs(i, j);
    return g;
  };
  const meanDot = (i: number, j: number) => {
    let s = 0;
    for (let k = 0; k < d; k++) s += means[i][k] * means[j][k];
    return s;
  };
  const between = separation(gram(meanDot, means.length), Int32Array.from(meanValue), P, rng);

  // Within classes.
  const perClass: { cls: number; ratio: number; baseline: number; exceed: number }[] = [];
  rowsOf.forEach((all, cls) => {
    const byValue = new Map<number, number>();
    for (const i of all) byValue.set(a[i], (byValue.get(a[i]) ?? 0) + 1);
    if ([...byValue.values()].filter((c) => c >= 2).length < 2) return;
    const rows =
      all.length > maxPer ? Array.from(rng.permutation(all.length).subarray(0, maxPer), (k) => all[k]) : all;
    const rowDot = (i: number, j: number) => {
      let s = 0;
      const oi = rows[i] * d;
      const oj = rows[j] * d;
      for (let k = 0; k < d; k++) s += z.data[oi + k] * z.data[oj + k];
      return s;
    };
    const s = separation(
      gram(rowDot, rows.length),
      Int32Array.from(rows, (i) => a[i]),
      P,
      rng,
    );
    if (s) perClass.push({ cls, ratio: s.ratio, baseline: s.baseline, exceed: s.p * (1 + P) - 1 });
  });
  const avg = (f: (v: (typeof perClass)[number]) => number) =>
    perClass.reduce((t, v) => t + f(v), 0) / perClass.length;
  return {
    values,
    between: between && { ...between, classes: means.length, mixedClasses: mixed },
    within: perClass.length
      ? {
          ratio: avg((v) => v.ratio),
          baseline: avg((v) => v.baseline),
          // the pooled p value of the class-mean statistic is not defined by per-class permutations: report the
          // mean of the per-class p values (each a valid permutation p for its class)
          p: avg((v) => (1 + v.exceed) / (1 + P)),
          items: perClass.length,
          classes: perClass.length,
          perClass: perClass.map(({ cls, ratio }) => ({ cls, ratio })),
        }
      : null,
  };
}

/** The different/same distance ratio over the pairs of `dist` (upper triangle, `[n, n]`), and its permutations. */
function separation(dist: Float64Array, value: Int32Array, P: number, rng: Rng): Separation | null {
  const n = value.length;
  const ratioOf = (v: Int32Array): number => {
    let sd = 0;
    let cd = 0;
    let ss = 0;
    let cs = 0;
    for (let i = 0; i < n; i++)
      for (let j = i + 1; j < n; j++) {
        const w = dist[i * n + j];
        if (v[i] === v[j]) {
          ss += w;
          cs++;
        } else {
          sd += w;
          cd++;
        }
      }
    return cs && cd ? sd / cd / (ss / cs) : NaN;
  };
  const ratio = ratioOf(value);
  if (!Number.isFinite(ratio)) return null;
  let sum = 0;
  let exceed = 0;
  const v = Int32Array.from(value);
  for (let p = 0; p < P; p++) {
    const perm = rng.permutation(n);
    for (let i = 0; i < n; i++) v[i] = value[perm[i]];
    const r = ratioOf(v);
    sum += r;
    if (r >= ratio) exceed++;
  }
  return { ratio, baseline: P ? sum / P : NaN, p: (1 + exceed) / (1 + P), items: n };
}
