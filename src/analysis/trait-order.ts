import type { Embeddings } from '../io/embeddings.ts';
import { l2Normalize } from '../io/embeddings.ts';
import { CladeError } from '../util/errors.ts';
import { symmetricEigen } from './linalg.ts';
import { checkLabels } from './labels.ts';
import { kendallTauB, spearman } from './rank-correlation.ts';

/**
 * **clade's own operationalisation** (methods §B.3 item 5; mirrors BioCLIP 2's Darwin's-finches figure, which
 * publishes no metric): project the centred class means onto their first principal component (or a supplied
 * `axis`) and correlate the positions with an external trait value per class (Spearman ρ and Kendall τ-b). PC1's
 * sign is arbitrary, so it is **oriented so that Spearman ρ ≥ 0** (reported as `oriented: true`); a supplied axis
 * is used as given.
 *
 * @example
 * traitOrderCorrelation(z, species, beakSizeBySpecies); // { spearman: 0.83, kendall: 0.67, positions: [...] }
 */
export function traitOrderCorrelation(
  x: Embeddings,
  labels: ArrayLike<number>,
  trait: ArrayLike<number> /* [K] one value per class id */,
  opts: { axis?: ArrayLike<number> } = {},
): { spearman: number; kendall: number; positions: Float64Array; classes: number[]; oriented: boolean } {
  const K0 = checkLabels(labels, x.n);
  if (trait.length < K0)
    throw new CladeError(`expected a trait value for each of ${K0} classes, got ${trait.length}`);
  const z = l2Normalize(x);
  const d = z.d;
  const sums = new Float64Array(K0 * d);
  const cnt = new Float64Array(K0);
  for (let i = 0; i < z.n; i++) {
    cnt[labels[i]]++;
    for (let j = 0; j < d; j++) sums[labels[i] * d + j] += z.data[i * d + j];
  }
  const classes = Array.from({ length: K0 }, (_, c) => c).filter(
    (c) => cnt[c] > 0 && Number.isFinite(trait[c]),
  );
  const K = classes.length;
  if (K < 3)
    throw new CladeError(`trait-order correlation needs at least 3 classes with a trait value, got ${K}`);
  const M = new Float64Array(K * d);
  const g = new Float64Array(d);
  classes.forEach((c, k) => {
    for (let j = 0; j < d; j++) g[j] += (M[k * d + j] = sums[c * d + j] / cnt[c]) / K;
  });
  for (let k = 0; k < K; k++) for (let j = 0; j < d; j++) M[k * d + j] -= g[j];
  let axis: Float64Array;
  if (opts.axis) {
    if (opts.axis.length !== d) throw new CladeError(`axis has dimension ${opts.axis.length}, expected ${d}`);
    axis = Float64Array.from(opts.axis);
  } else {
    const G = new Float64Array(K * K);
    for (let a = 0; a < K; a++)
      for (let b = a; b < K; b++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += M[a * d + j] * M[b * d + j];
        G[a * K + b] = G[b * K + a] = s;
      }
    const { vectors } = symmetricEigen(G, K);
    axis = new Float64Array(d);
    for (let k = 0; k < K; k++) for (let j = 0; j < d; j++) axis[j] += vectors[k * K] * M[k * d + j];
  }
  const positions = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += M[k * d + j] * axis[j];
    positions[k] = s;
  }
  const t = classes.map((c) => trait[c]);
  let rho = spearman(positions, t);
  const oriented = !opts.axis;
  if (oriented && rho < 0) {
    for (let k = 0; k < K; k++) positions[k] = -positions[k];
    rho = -rho;
  }
  return { spearman: rho, kendall: kendallTauB(positions, t), positions, classes, oriented };
}
