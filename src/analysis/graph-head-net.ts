/**
 * The 2-layer GCN of the RLD paper's graph head (methods §E.5) as plain typed-array code: parameter layout,
 * initialisation, and one forward pass with a hand-written backward pass.
 */
import type { Rng } from '../util/rng.ts';
import { gemmNT, transpose } from './kernels.ts';

const H = 16;
const SELU_L = 1.0507009873554805;
const SELU_A = 1.6732632423543772;
const BN_EPS = 1e-5;

/**
 * Parameter count of the graph head (methods §E.5): `16(C+1) + (16·16 + 1 + 16) + 2·16 + (16C + 1 + C)`
 * — 652 for C = 10, 3,622 for C = 100.
 */
export function graphHeadParameters(C: number): number {
  return H * (C + 1) + (H * H + 1 + H) + 2 * H + (H * C + 1 + C);
}

/** Offsets of each parameter block inside the flat vector. */
function layout(C: number) {
  const emb = 0;
  const th1 = emb + H * (C + 1);
  const b1 = th1 + H * H;
  const l1 = b1 + H;
  const gam = l1 + 1;
  const bet = gam + H;
  const th2 = bet + H;
  const b2 = th2 + H * C;
  const l2 = b2 + C;
  return { emb, th1, b1, l1, gam, bet, th2, b2, l2, size: l2 + 1 };
}

/** `Â · M` for symmetric dense `Â [n, n]` and `M [n, f]` (row-major), via the blocked kernel. */
function propagate(A: Float32Array, n: number, M: Float64Array, f: number): Float64Array {
  const out = new Float64Array(n * f);
  gemmNT(A, 0, n, transpose(M, n, f), 0, f, n, out);
  return out;
}

/** `X [n, a] · Θ [a, b]`. */
function mm(X: Float64Array, n: number, a: number, Th: Float64Array, b: number): Float64Array {
  const out = new Float64Array(n * b);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < a; k++) {
      const x = X[i * a + k];
      if (x === 0) continue;
      for (let o = 0; o < b; o++) out[i * b + o] += x * Th[k * b + o];
    }
  return out;
}

/**
 * Forward pass (and, with `dlogitsFn`, the hand-written backward pass) of the 2-layer graph head over the
 * normalised graph `A`. Node inputs are 16-d embeddings of label tokens (`C` = unknown). Returns the logits
 * `[n, C]` and, when requested, the loss and gradient.
 */
export function graphHeadStep(
  theta: Float64Array,
  A: Float32Array,
  n: number,
  C: number,
  tokens: Int32Array,
  lossNodes?: { nodes: Int32Array; labels: ArrayLike<number>; smoothing: number; grad: Float64Array },
): { logits: Float64Array; loss: number } {
  const L = layout(C);
  const X0 = new Float64Array(n * H);
  for (let i = 0; i < n; i++) for (let k = 0; k < H; k++) X0[i * H + k] = theta[L.emb + tokens[i] * H + k];
  const Th1 = theta.subarray(L.th1, L.th1 + H * H);
  const Z1 = mm(X0, n, H, Th1, H);
  const AZ1 = propagate(A, n, Z1, H);
  const lam1 = theta[L.l1];
  const H1 = new Float64Array(n * H);
  for (let i = 0; i < n; i++)
    for (let o = 0; o < H; o++) H1[i * H + o] = AZ1[i * H + o] + lam1 * Z1[i * H + o] + theta[L.b1 + o];
  const mean = new Float64Array(H);
  const varr = new Float64Array(H);
  for (let i = 0; i < n; i++) for (let o = 0; o < H; o++) mean[o] += H1[i * H + o] / n;
  for (let i = 0; i < n; i++) for (let o = 0; o < H; o++) varr[o] += (H1[i * H + o] - mean[o]) ** 2 / n;
  const invstd = varr.map((v) => 1 / Math.sqrt(v + BN_EPS));
  const xhat = new Float64Array(n * H);
  const Bo = new Float64Array(n * H);
  const O1 = new Float64Array(n * H);
  for (let i = 0; i < n; i++)
    for (let o = 0; o < H; o++) {
      const k = i * H + o;
      xhat[k] = (H1[k] - mean[o]) * invstd[o];
      const b = (Bo[k] = theta[L.gam + o] * xhat[k] + theta[L.bet + o]);
      O1[k] = (b > 0 ? SELU_L * b : SELU_L * SELU_A * (Math.exp(b) - 1)) + X0[k];
    }
  const Th2 = theta.subarray(L.th2, L.th2 + H * C);
  const Z2 = mm(O1, n, H, Th2, C);
  const AZ2 = propagate(A, n, Z2, C);
  const lam2 = theta[L.l2];
  const logits = new Float64Array(n * C);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < C; c++) logits[i * C + c] = AZ2[i * C + c] + lam2 * Z2[i * C + c] + theta[L.b2 + c];
  if (!lossNodes) return { logits, loss: NaN };

  // Cross-entropy over the loss nodes (mean), with label smoothing.
  const { nodes, labels, smoothing, grad } = lossNodes;
  grad.fill(0);
  const dlog = new Float64Array(n * C);
  let loss = 0;
  const m = nodes.length;
  for (const i of nodes) {
    let mx = -Infinity;
    for (let c = 0; c < C; c++) mx = Math.max(mx, logits[i * C + c]);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(logits[i * C + c] - mx);
    const lse = mx + Math.log(s);
    for (let c = 0; c < C; c++) {
      const t = (c === labels[i] ? 1 - smoothing : 0) + smoothing / C;
      loss -= (t * (logits[i * C + c] - lse)) / m;
      dlog[i * C + c] = (Math.exp(logits[i * C + c] - lse) - t) / m;
    }
  }
  // Layer 2 backward.
  const AdL = propagate(A, n, dlog, C);
  const dZ2 = new Float64Array(n * C);
  for (let k = 0; k < n * C; k++) {
    grad[L.b2 + (k % C)] += dlog[k];
    grad[L.l2] += Z2[k] * dlog[k];
    dZ2[k] = AdL[k] + lam2 * dlog[k];
  }
  const dO1 = new Float64Array(n * H);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < H; k++) {
      let s = 0;
      const o1 = O1[i * H + k];
      for (let c = 0; c < C; c++) {
        grad[L.th2 + k * C + c] += o1 * dZ2[i * C + c];
        s += dZ2[i * C + c] * Th2[k * C + c];
      }
      dO1[i * H + k] = s;
    }
  // Residual, SELU, BatchNorm backward.
  const dX0 = Float64Array.from(dO1);
  const dxhat = new Float64Array(n * H);
  const sumDx = new Float64Array(H);
  const sumDxX = new Float64Array(H);
  for (let i = 0; i < n; i++)
    for (let o = 0; o < H; o++) {
      const k = i * H + o;
      const b = Bo[k];
      const dB = dO1[k] * (b > 0 ? SELU_L : SELU_L * SELU_A * Math.exp(b));
      grad[L.gam + o] += dB * xhat[k];
      grad[L.bet + o] += dB;
      dxhat[k] = dB * theta[L.gam + o];
      sumDx[o] += dxhat[k];
      sumDxX[o] += dxhat[k] * xhat[k];
    }
  const dH1 = new Float64Array(n * H);
  for (let i = 0; i < n; i++)
    for (let o = 0; o < H; o++) {
      const k = i * H + o;
      dH1[k] = (invstd[o] / n) * (n * dxhat[k] - sumDx[o] - xhat[k] * sumDxX[o]);
    }
  // Layer 1 backward.
  const AdH = propagate(A, n, dH1, H);
  const dZ1 = new Float64Array(n * H);
  for (let k = 0; k < n * H; k++) {
    grad[L.b1 + (k % H)] += dH1[k];
    grad[L.l1] += Z1[k] * dH1[k];
    dZ1[k] = AdH[k] + lam1 * dH1[k];
  }
  for (let i = 0; i < n; i++)
    for (let a = 0; a < H; a++) {
      let s = 0;
      const x = X0[i * H + a];
      for (let o = 0; o < H; o++) {
        grad[L.th1 + a * H + o] += x * dZ1[i * H + o];
        s += dZ1[i * H + o] * Th1[a * H + o];
      }
      dX0[i * H + a] += s;
    }
  for (let i = 0; i < n; i++) for (let k = 0; k < H; k++) grad[L.emb + tokens[i] * H + k] += dX0[i * H + k];
  return { logits, loss };
}

/** Initial parameters: embeddings N(0, 1), Θ Xavier-uniform, biases and λ_loop 0, BatchNorm γ = 1, β = 0. */
export function graphHeadInit(C: number, rng: Rng): Float64Array {
  const L = layout(C);
  const t = new Float64Array(L.size);
  for (let k = 0; k < H * (C + 1); k++) t[L.emb + k] = rng.normal();
  const x1 = Math.sqrt(6 / (H + H));
  for (let k = 0; k < H * H; k++) t[L.th1 + k] = rng.uniform(-x1, x1);
  const x2 = Math.sqrt(6 / (H + C));
  for (let k = 0; k < H * C; k++) t[L.th2 + k] = rng.uniform(-x2, x2);
  for (let o = 0; o < H; o++) t[L.gam + o] = 1;
  return t;
}
