import type { Embeddings } from '../io/embeddings.ts';
import { l2Normalize, takeRows } from '../io/embeddings.ts';
import { Rng } from '../util/rng.ts';
import { checkTrainTest } from './labels.ts';
import type { Backend } from './backend.ts';
import {
  lbfgs,
  linearScores,
  scoreAccuracy,
  softmaxObjective,
  type LbfgsResult,
} from './softmax-regression.ts';

export interface LinearProbeOptions {
  /** L2 strengths λ to try on the validation split (default 1e-2, 1e-3, 1e-4, 1e-5; per-sample objective; sklearn's C = 1 / (λ n)). */
  lambdas?: readonly number[];
  /** Fraction of the training set held out to choose λ (default 0.2). 0 = use `lambdas[0]` directly. */
  valFraction?: number;
  seed?: number;
  maxIter?: number;
  tol?: number;
  /** L2-normalise features first (default false: probe the features as given). */
  normalize?: boolean;
  /** Objective on ONNX Runtime (`ort`, default) or the float64 TypeScript reference (`js`). */
  backend?: Backend;
}

/**
 * Fits multinomial logistic regression with L2 strength `lambda` (per-sample objective, bias unpenalised) by
 * full-batch L-BFGS from `theta0` (default zeros), on ONNX Runtime by default. The one fitting routine behind
 * `linearProbe` and `npm run bench:analysis` case (c).
 *
 * @example
 * const fit = await fitSoftmaxRegression(x, y, 100, 1e-4, { tol: 1e-4 });
 */
export async function fitSoftmaxRegression(
  x: Embeddings,
  y: ArrayLike<number>,
  classes: number,
  lambda: number,
  opts: {
    theta0?: Float64Array;
    maxIter?: number;
    tol?: number;
    ftol?: number;
    backend?: Backend;
  } = {},
): Promise<LbfgsResult> {
  const theta0 = opts.theta0 ?? new Float64Array(classes * (x.d + 1));
  const obj = await softmaxObjective(x, y, classes, lambda, { backend: opts.backend });
  return lbfgs((t, g) => obj.evaluate(t, g), theta0, {
    maxIter: opts.maxIter,
    tol: opts.tol,
    ftol: opts.ftol,
  });
}

export interface LinearProbeResult {
  readonly top1: number;
  readonly top5: number;
  /** Balanced accuracy: recall per test class, averaged unweighted. */
  readonly meanPerClassRecall: number;
  readonly lambda: number;
  readonly validation: { lambda: number; top1: number }[];
  readonly iterations: number;
  readonly trainTop1: number;
  /** Weights `[C, D]` then bias `[C]`. */
  readonly theta: Float64Array;
  readonly classes: number;
}

/**
 * Linear probe: multinomial logistic regression with L2 on frozen features, fitted by full-batch L-BFGS
 * (`fitSoftmaxRegression`; objective on ONNX Runtime unless `backend: 'js'`). λ is chosen on a seeded validation split (warm-started path from strong to weak regularisation), then
 * the model is refitted on the whole training set and scored on the test set (top-1/top-5).
 *
 * @example
 * (await linearProbe(trainX, trainY, testX, testY, { lambdas: [1e-4, 1e-3] })).top1;
 */
export async function linearProbe(
  train: Embeddings,
  trainLabels: ArrayLike<number>,
  test: Embeddings,
  testLabels: ArrayLike<number>,
  opts: LinearProbeOptions = {},
): Promise<LinearProbeResult> {
  const C = checkTrainTest(train, trainLabels, test, testLabels);
  const tr = opts.normalize ? l2Normalize(train) : train;
  const te = opts.normalize ? l2Normalize(test) : test;
  const lambdas = [...(opts.lambdas ?? [1e-2, 1e-3, 1e-4, 1e-5])].sort((a, b) => b - a);
  const valFraction = opts.valFraction ?? 0.2;
  const fitOpts = { maxIter: opts.maxIter ?? 300, tol: opts.tol ?? 1e-5, backend: opts.backend };
  const validation: { lambda: number; top1: number }[] = [];
  let best = lambdas[0];
  let warm: Float64Array = new Float64Array(C * (train.d + 1));
  if (valFraction > 0 && lambdas.length > 1) {
    const perm = new Rng(opts.seed ?? 0).permutation(train.n);
    const nVal = Math.max(1, Math.round(train.n * valFraction));
    const valIdx = perm.subarray(0, nVal);
    const fitIdx = perm.subarray(nVal);
    const fx = takeRows(tr, fitIdx);
    const fy = Int32Array.from(fitIdx, (i) => trainLabels[i]);
    const vx = takeRows(tr, valIdx);
    const vy = Int32Array.from(valIdx, (i) => trainLabels[i]);
    let bestAcc = -1;
    let theta: Float64Array = warm;
    for (const lambda of lambdas) {
      theta = (await fitSoftmaxRegression(fx, fy, C, lambda, { ...fitOpts, theta0: theta })).theta;
      const acc = scoreAccuracy(linearScores(theta, vx, C), C, vy).top1;
      validation.push({ lambda, top1: acc });
      if (acc > bestAcc) {
        bestAcc = acc;
        best = lambda;
        warm = Float64Array.from(theta);
      }
    }
  }
  const fit = await fitSoftmaxRegression(tr, trainLabels, C, best, { ...fitOpts, theta0: warm });
  const acc = scoreAccuracy(linearScores(fit.theta, te, C), C, testLabels);
  return {
    ...acc,
    lambda: best,
    validation,
    iterations: fit.iterations,
    trainTop1: scoreAccuracy(linearScores(fit.theta, tr, C), C, trainLabels).top1,
    theta: fit.theta,
    classes: C,
  };
}
