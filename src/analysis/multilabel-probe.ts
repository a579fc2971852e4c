import type { Embeddings } from '../io/embeddings.ts';
import { takeRows } from '../io/embeddings.ts';
import { CladeError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { gemmNT, transpose } from './kernels.ts';
import { lbfgs, linearScores } from './softmax-regression.ts';

export interface MultiLabelProbeOptions {
  /** L2 strengths λ tried on the validation split (default 1e-2, 1e-3, 1e-4, 1e-5). */
  lambdas?: readonly number[];
  /** Fraction of the training rows held out to choose λ by validation mAP (default 0.2; 0 = `lambdas[0]`). */
  valFraction?: number;
  seed?: number;
  maxIter?: number;
}

export interface MultiLabelProbeResult {
  /** Mean over labels with a positive test row of the average precision (scikit-learn's definition). */
  readonly mAP: number;
  /** Mean over the same labels of F1 at p ≥ 0.5 (logit ≥ 0). */
  readonly macroF1: number;
  /** Share of test rows whose every label is predicted right (FishNet's metric). */
  readonly exactMatch: number;
  /** Labels scored (with at least one positive test row). */
  readonly labelsScored: number;
  readonly lambda: number;
  readonly validation: { lambda: number; mAP: number }[];
  /** Weights `[L, D]` then bias `[L]`. */
  readonly theta: Float64Array;
}

/**
 * Multi-label linear probe: one L2-regularised logistic regression per label (one-vs-rest, fitted jointly by
 * full-batch L-BFGS on the mean summed binary cross-entropy; bias unpenalised), λ chosen by validation mAP on a seeded
 * split, then refitted on all training rows. `Y` rows are 0/1 per label `[N, L]`.
 *
 * @example
 * (await multiLabelProbe(train, Ytr, test, Yte, 9)).mAP;
 */
export async function multiLabelProbe(
  train: Embeddings,
  trainY: Uint8Array /* [Ntr, L] */,
  test: Embeddings,
  testY: Uint8Array /* [Nte, L] */,
  L: number,
  opts: MultiLabelProbeOptions = {},
): Promise<MultiLabelProbeResult> {
  if (train.d !== test.d) throw new CladeError(`train has dimension ${train.d}, test ${test.d}`);
  if (trainY.length !== train.n * L || testY.length !== test.n * L)
    throw new CladeError(`expected ${train.n} × ${L} and ${test.n} × ${L} label matrices`);
  const lambdas = [...(opts.lambdas ?? [1e-2, 1e-3, 1e-4, 1e-5])].sort((a, b) => b - a);
  const valFraction = opts.valFraction ?? 0.2;
  const maxIter = opts.maxIter ?? 300;
  const validation: { lambda: number; mAP: number }[] = [];
  let best = lambdas[0];
  let warm: Float64Array = new Float64Array(L * (train.d + 1));
  if (valFraction > 0 && lambdas.length > 1) {
    const perm = new Rng(opts.seed ?? 0).permutation(train.n);
    const nVal = Math.max(1, Math.round(train.n * valFraction));
    const val = perm.subarray(0, nVal);
    const fit = perm.subarray(nVal);
    const rowsOf = (idx: Int32Array) => {
      const y = new Uint8Array(idx.length * L);
      idx.forEach((i, k) => y.set(trainY.subarray(i * L, (i + 1) * L), k * L));
      return y;
    };
    const fx = takeRows(train, fit);
    const fy = rowsOf(fit);
    const vx = takeRows(train, val);
    const vy = rowsOf(val);
    let bestMap = -1;
    let theta: Float64Array = warm;
    for (const lambda of lambdas) {
      theta = (await lbfgs(bceObjective(fx, fy, L, lambda), theta, { maxIter, tol: 1e-5 })).theta;
      const m = scoreMultiLabel(linearScores(theta, vx, L), vy, L).mAP;
      validation.push({ lambda, mAP: m });
      if (m > bestMap) {
        bestMap = m;
        best = lambda;
        warm = Float64Array.from(theta);
      }
    }
  }
  const fit = await lbfgs(bceObjective(train, trainY, L, best), warm, { maxIter, tol: 1e-5 });
  return {
    ...scoreMultiLabel(linearScores(fit.theta, test, L), testY, L),
    lambda: best,
    validation,
    theta: fit.theta,
  };
}

/** The probe's objective `f(θ, g)`: mean over rows of Σ_l BCE(y_il, ⟨w_l, x_i⟩ + b_l) + λ/2 ‖W‖², and its gradient (float64). */
export function bceObjective(x: Embeddings, y: Uint8Array, L: number, lambda: number) {
  const { n, d } = x;
  const xt = transpose(Float64Array.from(x.data), n, d); // [D, N]
  return (theta: Float64Array, g: Float64Array): number => {
    const z = linearScores(theta, x, L); // [N, L]
    let loss = 0;
    const r = new Float64Array(n * L); // (σ(z) − y) / n
    for (let k = 0; k < n * L; k++) {
      const t = z[k];
      // log(1 + e^t) − y t, stable
      loss += Math.max(t, 0) + Math.log1p(Math.exp(-Math.abs(t))) - y[k] * t;
      r[k] = (1 / (1 + Math.exp(-t)) - y[k]) / n;
    }
    const rt = transpose(r, n, L); // [L, N]
    g.fill(0);
    gemmNT(rt, 0, L, xt, 0, d, n, g.subarray(0, L * d));
    let reg = 0;
    for (let k = 0; k < L * d; k++) {
      reg += theta[k] * theta[k];
      g[k] += lambda * theta[k];
    }
    for (let l = 0; l < L; l++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += rt[l * n + i];
      g[L * d + l] = s;
    }
    return loss / n + (lambda / 2) * reg;
  };
}

/**
 * mAP, macro-F1 (threshold: score ≥ 0, i.e. p ≥ 0.5) and exact-match accuracy of `[N, L]` scores against 0/1
 * labels. AP is scikit-learn's `average_precision_score`: Σ_n (R_n − R_{n−1}) P_n over distinct score thresholds.
 * Labels without a positive row are left out of both means (their AP and recall are undefined).
 *
 * @example
 * scoreMultiLabel(scores, y, 9).mAP;
 */
export function scoreMultiLabel(
  scores: ArrayLike<number>,
  y: Uint8Array,
  L: number,
): { mAP: number; macroF1: number; exactMatch: number; labelsScored: number } {
  const n = y.length / L;
  let apSum = 0;
  let f1Sum = 0;
  let scored = 0;
  for (let l = 0; l < L; l++) {
    const order = Array.from({ length: n }, (_, i) => i).sort(
      (a, b) => scores[b * L + l] - scores[a * L + l],
    );
    let pos = 0;
    for (let i = 0; i < n; i++) pos += y[i * L + l];
    if (!pos) continue;
    scored++;
    let tp = 0;
    let fp = 0;
    let ap = 0;
    let prevRecall = 0;
    for (let k = 0; k < n; k++) {
      const i = order[k];
      if (y[i * L + l]) tp++;
      else fp++;
      // a threshold sits only after the last of a run of equal scores
      if (k + 1 < n && scores[order[k + 1] * L + l] === scores[i * L + l]) continue;
      const recall = tp / pos;
      ap += (recall - prevRecall) * (tp / (tp + fp));
      prevRecall = recall;
    }
    apSum += ap;
    let tp5 = 0;
    let fp5 = 0;
    for (let i = 0; i < n; i++) {
      if (scores[i * L + l] >= 0) {
        if (y[i * L + l]) tp5++;
        else fp5++;
      }
    }
    const fn5 = pos - tp5;
    f1Sum += tp5 ? (2 * tp5) / (2 * tp5 + fp5 + fn5) : 0;
  }
  let exact = 0;
  for (let i = 0; i < n; i++) {
    let ok = true;
    for (let l = 0; l < L && ok; l++) ok = (scores[i * L + l] >= 0 ? 1 : 0) === y[i * L + l];
    if (ok) exact++;
  }
  return {
    mAP: scored ? apSum / scored : NaN,
    macroF1: scored ? f1Sum / scored : NaN,
    exactMatch: n ? exact / n : NaN,
    labelsScored: scored,
  };
}
