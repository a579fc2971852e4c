import { meanPerClassRecall } from './labels.ts';
import type { Embeddings } from '../io/embeddings.ts';
import { backendOf, type Backend } from './backend.ts';
import { gemmNT, transpose } from './kernels.ts';

/**
 * Multinomial logistic regression objective on typed arrays: parameters `θ = [W (C × D, row-major), b (C)]`,
 * `f(θ) = mean_i CE(W x_i + b, y_i) + (λ/2)‖W‖²` (bias unpenalised) and its gradient. Products run through the
 * blocked `gemmNT` kernel on row chunks, so memory is O(chunk · C + C · D).
 */
export class SoftmaxObjective {
  readonly n: number;
  readonly d: number;
  readonly c: number;
  private readonly xt: Float32Array; /* [D, N] */
  private readonly rt: Float64Array; /* [C, N] residuals P − Y */
  private readonly logits: Float64Array; /* [chunk, C] */

  constructor(
    readonly x: Embeddings,
    readonly y: ArrayLike<number>,
    classes: number,
    readonly lambda: number,
    readonly labelSmoothing = 0,
  ) {
    this.n = x.n;
    this.d = x.d;
    this.c = classes;
    this.xt = transpose(x.data, x.n, x.d);
    this.rt = new Float64Array(classes * x.n);
    this.logits = new Float64Array(Math.min(x.n, 4096) * classes);
  }

  get size(): number {
    return this.c * (this.d + 1);
  }

  /** Loss at `theta`, writing the gradient into `grad`. */
  evaluate(theta: Float64Array, grad: Float64Array): number {
    const { n, d, c } = this;
    const W = theta.subarray(0, c * d);
    const b = theta.subarray(c * d);
    const eps = this.labelSmoothing;
    let loss = 0;
    const chunk = this.logits.length / c;
    for (let i0 = 0; i0 < n; i0 += chunk) {
      const i1 = Math.min(n, i0 + chunk);
      const L = this.logits.subarray(0, (i1 - i0) * c);
      gemmNT(this.x.data, i0, i1, W, 0, c, d, L);
      for (let i = i0; i < i1; i++) {
        const o = (i - i0) * c;
        let m = -Infinity;
        for (let k = 0; k < c; k++) if ((L[o + k] += b[k]) > m) m = L[o + k];
        let s = 0;
        for (let k = 0; k < c; k++) s += Math.exp(L[o + k] - m);
        const lse = m + Math.log(s);
        const yi = this.y[i];
        for (let k = 0; k < c; k++) {
          const p = Math.exp(L[o + k] - lse);
          const t = (k === yi ? 1 - eps : 0) + eps / c;
          loss -= t * (L[o + k] - lse);
          this.rt[k * n + i] = p - t;
        }
      }
    }
    loss /= n;
    grad.fill(0);
    gemmNT(this.rt, 0, c, this.xt, 0, d, n, grad.subarray(0, c * d));
    const inv = 1 / n;
    let reg = 0;
    for (let k = 0; k < c * d; k++) {
      grad[k] = grad[k] * inv + this.lambda * W[k];
      reg += W[k] * W[k];
    }
    for (let k = 0; k < c; k++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += this.rt[k * n + i];
      grad[c * d + k] = s * inv;
    }
    return loss + 0.5 * this.lambda * reg;
  }
}

/** A differentiable objective over a flat parameter vector, as `lbfgs` and the heads consume it. */
export interface Objective {
  readonly size: number;
  /** Loss at `theta`; writes the gradient into `grad`. */
  evaluate(theta: Float64Array, grad: Float64Array): number | Promise<number>;
}

/**
 * The multinomial logistic objective `mean_i CE(W x_i + b, y_i) + (λ/2)‖W‖²` (optional label smoothing) on the
 * chosen backend (`ort`: `SoftmaxObjectiveOrt`, softmax-ort.ts, float32 products and float64 sums; `js`: the float64
 * `SoftmaxObjective`) — the objective `linearProbe` minimises.
 *
 * @example
 * const obj = await softmaxObjective(x, y, 10, 1e-4);
 */
export async function softmaxObjective(
  x: Embeddings,
  y: ArrayLike<number>,
  classes: number,
  lambda: number,
  opts: { backend?: Backend; labelSmoothing?: number; chunk?: number } = {},
): Promise<Objective> {
  if (backendOf(opts.backend) === 'js')
    return new SoftmaxObjective(x, y, classes, lambda, opts.labelSmoothing);
  const { SoftmaxObjectiveOrt } = await import('./softmax-ort.ts');
  return SoftmaxObjectiveOrt.create(x, y, classes, lambda, opts);
}

/** Class scores `W x + b` for every row → `[N, C]`. */
export function linearScores(theta: Float64Array, x: Embeddings, c: number): Float64Array {
  const out = new Float64Array(x.n * c);
  gemmNT(x.data, 0, x.n, theta.subarray(0, c * x.d), 0, c, x.d, out);
  const b = theta.subarray(c * x.d);
  for (let i = 0; i < x.n; i++) for (let k = 0; k < c; k++) out[i * c + k] += b[k];
  return out;
}

/** Top-1 and top-5 accuracy of `[N, C]` scores (ties → lower class index). */
export function scoreAccuracy(
  scores: Float64Array,
  c: number,
  y: ArrayLike<number>,
): { top1: number; top5: number; meanPerClassRecall: number } {
  let a1 = 0;
  let a5 = 0;
  const n = y.length;
  const pred = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const t = scores[i * c + y[i]];
    let above = 0;
    let best = 0;
    for (let k = 0; k < c; k++) {
      const s = scores[i * c + k];
      if (s > t || (s === t && k < y[i])) above++;
      if (s > scores[i * c + best]) best = k;
    }
    pred[i] = best;
    if (above === 0) a1++;
    if (above < 5) a5++;
  }
  return { top1: a1 / n, top5: a5 / n, meanPerClassRecall: meanPerClassRecall(pred, y) };
}

export interface LbfgsResult {
  theta: Float64Array;
  loss: number;
  iterations: number;
  evaluations: number;
  converged: boolean;
}

/**
 * Minimises `f` with L-BFGS (two-loop recursion, history `m`, backtracking Armijo line search, curvature check).
 * Stops when `max |∇f| < tol`, when the relative decrease `(f_k − f_{k+1}) / max(|f_k|, |f_{k+1}|, 1)` falls below
 * `ftol` (default 1e-10; SciPy's L-BFGS-B, which scikit-learn uses, defaults to 2.2e-9), or after `maxIter` iterations. `f` may be synchronous (the float64 `SoftmaxObjective`)
 * or return a promise (the ONNX Runtime objective in softmax-ort.ts); the minimiser itself is always async.
 *
 * @example
 * const { theta, iterations } = await lbfgs((t, g) => obj.evaluate(t, g), new Float64Array(obj.size));
 */
export async function lbfgs(
  f: (theta: Float64Array, grad: Float64Array) => number | Promise<number>,
  theta0: Float64Array,
  opts: { maxIter?: number; tol?: number; ftol?: number; m?: number } = {},
): Promise<LbfgsResult> {
  const n = theta0.length;
  const m = opts.m ?? 10;
  const maxIter = opts.maxIter ?? 200;
  const tol = opts.tol ?? 1e-4;
  const ftol = opts.ftol ?? 1e-10;
  let x = Float64Array.from(theta0);
  let g = new Float64Array(n);
  let fx = await f(x, g);
  let evals = 1;
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const dir = new Float64Array(n);
  const alpha = new Float64Array(m);
  let it = 0;
  let converged = false;
  const gmax = (v: Float64Array) => v.reduce((a, b) => Math.max(a, Math.abs(b)), 0);
  for (; it < maxIter; it++) {
    if (gmax(g) < tol) {
      converged = true;
      break;
    }
    dir.set(g);
    for (let k = S.length - 1; k >= 0; k--) {
      alpha[k] = rho[k] * dot(S[k], dir);
      axpy(-alpha[k], Y[k], dir);
    }
    const gamma = S.length
      ? dot(S[S.length - 1], Y[Y.length - 1]) / dot(Y[Y.length - 1], Y[Y.length - 1])
      : 1 / Math.max(1e-12, Math.sqrt(dot(g, g)));
    for (let k = 0; k < n; k++) dir[k] *= gamma;
    for (let k = 0; k < S.length; k++) {
      const beta = rho[k] * dot(Y[k], dir);
      axpy(alpha[k] - beta, S[k], dir);
    }
    for (let k = 0; k < n; k++) dir[k] = -dir[k];
    let slope = dot(g, dir);
    if (slope >= 0) {
      // not a descent direction: reset to steepest descent
      S.length = Y.length = rho.length = 0;
      for (let k = 0; k < n; k++) dir[k] = -g[k] / Math.max(1e-12, Math.sqrt(dot(g, g)));
      slope = dot(g, dir);
    }
    let step = 1;
    const xn = new Float64Array(n);
    const gn = new Float64Array(n);
    let fn = Infinity;
    for (let ls = 0; ls < 30; ls++) {
      for (let k = 0; k < n; k++) xn[k] = x[k] + step * dir[k];
      fn = await f(xn, gn);
      evals++;
      if (fn <= fx + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(fn < fx || fn <= fx + 1e-4 * step * slope)) break; // line search failed: at numerical optimum
    const s = new Float64Array(n);
    const yv = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      s[k] = xn[k] - x[k];
      yv[k] = gn[k] - g[k];
    }
    const sy = dot(s, yv);
    if (sy > 1e-10 * Math.sqrt(dot(s, s) * dot(yv, yv))) {
      if (S.length === m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(yv);
      rho.push(1 / sy);
    }
    const rel = Math.abs(fx - fn) / Math.max(Math.abs(fx), Math.abs(fn), 1);
    x = xn;
    g = gn;
    fx = fn;
    if (rel < ftol) {
      converged = true;
      it++;
      break;
    }
  }
  return { theta: x, loss: fx, iterations: it, evaluations: evals, converged };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k] * b[k];
  return s;
}
function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let k = 0; k < x.length; k++) y[k] += a * x[k];
}
