import type { Embeddings } from '../io/embeddings.ts';
import { l2Normalize } from '../io/embeddings.ts';
import { CladeError } from '../util/errors.ts';
import { symmetricEigen } from './linalg.ts';
import { checkLabels } from './labels.ts';

/**
 * **clade's own operationalisation** (methods §B.3; not the BioCLIP 2 paper's method): the inter-class subspace is
 * spanned by the top-`r` left singular vectors of the centred class-mean matrix `M = [μ_c − μ̄]` (D × K), default
 * `r = K − 1`. Returns the orthonormal basis as rows `[r, D]` and the class means.
 *
 * @example
 * const S = interClassSubspace(z, species); // S.basis: [K-1, D]
 */
export function interClassSubspace(
  x: Embeddings,
  labels: ArrayLike<number>,
  opts: { r?: number } = {},
): { basis: Float64Array; r: number; d: number; means: Float64Array; classes: number[] } {
  const K0 = checkLabels(labels, x.n);
  const d = x.d;
  const sums = new Float64Array(K0 * d);
  const cnt = new Float64Array(K0);
  for (let i = 0; i < x.n; i++) {
    cnt[labels[i]]++;
    for (let j = 0; j < d; j++) sums[labels[i] * d + j] += x.data[i * d + j];
  }
  const classes = Array.from({ length: K0 }, (_, c) => c).filter((c) => cnt[c] > 0);
  const K = classes.length;
  if (K < 2) throw new CladeError('the inter-class subspace needs at least 2 classes');
  const means = new Float64Array(K * d);
  classes.forEach((c, k) => {
    for (let j = 0; j < d; j++) means[k * d + j] = sums[c * d + j] / cnt[c];
  });
  const grand = new Float64Array(d);
  for (let k = 0; k < K; k++) for (let j = 0; j < d; j++) grand[j] += means[k * d + j] / K;
  const M = new Float64Array(K * d); // rows = centred means
  for (let k = 0; k < K; k++) for (let j = 0; j < d; j++) M[k * d + j] = means[k * d + j] - grand[j];
  const r = Math.min(opts.r ?? K - 1, K, d);
  // Left singular vectors of Mᵀ (D × K) via the K × K Gram M Mᵀ: u_c = Mᵀ v_c / σ_c.
  const G = new Float64Array(K * K);
  for (let a = 0; a < K; a++)
    for (let b = a; b < K; b++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += M[a * d + j] * M[b * d + j];
      G[a * K + b] = G[b * K + a] = s;
    }
  const { values, vectors } = symmetricEigen(G, K);
  const basis = new Float64Array(r * d);
  let kept = 0;
  for (let c = 0; c < r; c++) {
    const sv = Math.sqrt(Math.max(values[c], 0));
    if (sv < 1e-12) break;
    for (let k = 0; k < K; k++) {
      const v = vectors[k * K + c] / sv;
      for (let j = 0; j < d; j++) basis[c * d + j] += v * M[k * d + j];
    }
    kept++;
  }
  return { basis: basis.subarray(0, kept * d), r: kept, d, means, classes };
}

function project(basis: Float64Array, r: number, d: number, v: Float64Array): Float64Array {
  const out = new Float64Array(d);
  for (let c = 0; c < r; c++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += basis[c * d + j] * v[j];
    for (let j = 0; j < d; j++) out[j] += s * basis[c * d + j];
  }
  return out;
}

/** Per-class result of the variant analysis. */
export interface VariantShift {
  readonly cls: number;
  /** ρ = ‖U Uᵀ δ‖² / ‖δ‖², lower = more orthogonal to the inter-class subspace. */
  readonly ratio: number;
  /** θ = arccos √ρ in degrees (90° = orthogonal). */
  readonly angleDeg: number;
  /** 1-D Fisher ratio along δ⊥ (or δ with `fisherAxis: 'shift'`). */
  readonly fisher: number;
  /** Trace-ratio Fisher criterion on the projection onto S⊥. */
  readonly fisherTrace: number;
}

/**
 * **clade's own operationalisation** (methods §B.3, items 2–4): for every class with both variants `a` and `b`
 * (≥ 2 samples each): variant shift `δ = mean(X[a]) − mean(X[b])`, orthogonality ratio `ρ` and angle `θ` against
 * the inter-class subspace, Fisher ratio `(mean(a) − mean(b))² / (var(a) + var(b))` (population variances) along
 * `u = δ⊥/‖δ⊥‖`, and the trace ratio on `S⊥`. Embeddings are L2-normalised first. Baseline: a random direction has
 * `E[ρ] = r / D` (returned as `randomBaseline`). Aggregates are unweighted means over classes.
 *
 * @example
 * variantAnalysis(x, species, stage, 'adult', 'juvenile').meanRatio;
 */
export function variantAnalysis(
  x: Embeddings,
  labels: ArrayLike<number>,
  variants: ArrayLike<string | number | null>,
  a: string | number,
  b: string | number,
  opts: { r?: number; fisherAxis?: 'orthogonal' | 'shift' } = {},
): {
  perClass: VariantShift[];
  meanRatio: number;
  meanAngleDeg: number;
  meanFisher: number;
  meanFisherTrace: number;
  randomBaseline: number;
  r: number;
} {
  if (variants.length !== x.n) throw new CladeError(`expected ${x.n} variant values, got ${variants.length}`);
  const z = l2Normalize(x);
  const d = z.d;
  const S = interClassSubspace(z, labels, { r: opts.r });
  const perClass: VariantShift[] = [];
  for (const c of S.classes) {
    const ia: number[] = [];
    const ib: number[] = [];
    for (let i = 0; i < z.n; i++) {
      if (labels[i] !== c) continue;
      if (variants[i] === a) ia.push(i);
      else if (variants[i] === b) ib.push(i);
    }
    if (ia.length < 2 || ib.length < 2) continue;
    const ma = meanOf(z, ia);
    const mb = meanOf(z, ib);
    const delta = ma.map((v, j) => v - mb[j]);
    const dd = dot(delta, delta);
    if (dd === 0) continue;
    const inS = project(S.basis, S.r, d, delta);
    const ratio = Math.min(1, dot(inS, inS) / dd);
    const perp = delta.map((v, j) => v - inS[j]);
    const u = opts.fisherAxis === 'shift' ? delta : perp;
    const un = Math.sqrt(dot(u, u));
    let fisher = NaN;
    if (un > 0) {
      const pa = ia.map((i) => rowDot(z, i, u) / un);
      const pb = ib.map((i) => rowDot(z, i, u) / un);
      fisher = (mean(pa) - mean(pb)) ** 2 / (popVar(pa) + popVar(pb));
    }
    // Trace ratio on S⊥: ‖m_A − m_B‖² / (tr Σ_A + tr Σ_B), all after removing the S component.
    const trOf = (idx: number[], m: Float64Array) => {
      const pm = project(S.basis, S.r, d, m); // once, not once per coordinate
      const mp = m.map((v, j) => v - pm[j]);
      let tr = 0;
      for (const i of idx) {
        const v = new Float64Array(d);
        for (let j = 0; j < d; j++) v[j] = z.data[i * d + j];
        const vp = project(S.basis, S.r, d, v);
        for (let j = 0; j < d; j++) tr += (v[j] - vp[j] - mp[j]) ** 2;
      }
      return tr / idx.length;
    };
    const fisherTrace = dot(perp, perp) / (trOf(ia, ma) + trOf(ib, mb));
    perClass.push({
      cls: c,
      ratio,
      angleDeg: (Math.acos(Math.sqrt(ratio)) * 180) / Math.PI,
      fisher,
      fisherTrace,
    });
  }
  if (!perClass.length)
    throw new CladeError(`no class has at least 2 samples of both variants '${a}' and '${b}'`);
  const avg = (f: (v: VariantShift) => number) => perClass.reduce((s, v) => s + f(v), 0) / perClass.length;
  return {
    perClass,
    meanRatio: avg((v) => v.ratio),
    meanAngleDeg: avg((v) => v.angleDeg),
    meanFisher: avg((v) => v.fisher),
    meanFisherTrace: avg((v) => v.fisherTrace),
    randomBaseline: S.r / d,
    r: S.r,
  };
}

function meanOf(x: Embeddings, idx: number[]): Float64Array {
  const m = new Float64Array(x.d);
  for (const i of idx) for (let j = 0; j < x.d; j++) m[j] += x.data[i * x.d + j] / idx.length;
  return m;
}
function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j] * b[j];
  return s;
}
function rowDot(x: Embeddings, i: number, u: Float64Array): number {
  let s = 0;
  for (let j = 0; j < x.d; j++) s += x.data[i * x.d + j] * u[j];
  return s;
}
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const popVar = (v: number[]) => {
  const m = mean(v);
  return v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length;
};
