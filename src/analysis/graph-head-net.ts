/**
 * The 2-layer GCN of the RLD paper's graph head (arXiv 2305.10229, docs/methods.md) as engine code: parameter
 * shapes, initialisation and the symbolic forward pass. Gradients come from the engine's `grad` (graph-head.ts
 * trains it with `FullBatchFit` and AdamW from `src/optim`).
 */
import { F, type Tensor } from '../engine/index.ts';
import type { Rng } from '../util/rng.ts';

const H = 16;
const BN_EPS = 1e-5;

/**
 * Parameter count of the graph head: `16(C+1) + (16·16 + 1 + 16) + 2·16 + (16C + 1 + C)` — 652 for C = 10, 3,622 for
 * C = 100.
 */
export function graphHeadParameters(C: number): number {
  return H * (C + 1) + (H * H + 1 + H) + 2 * H + (H * C + 1 + C);
}

/** Parameter shapes by name: label-token embeddings, GraphConv 1 (Θ, bias, self-loop λ), BatchNorm, GraphConv 2. */
export function graphHeadShapes(C: number): Record<string, number[]> {
  return {
    emb: [C + 1, H],
    th1: [H, H],
    b1: [H],
    l1: [1],
    gamma: [H],
    beta: [H],
    th2: [H, C],
    b2: [C],
    l2: [1],
  };
}

/** Initial parameters: embeddings N(0, 1), Θ Xavier-uniform, biases and λ_loop 0, BatchNorm γ = 1, β = 0. */
export function graphHeadInit(C: number, rng: Rng): Record<string, { shape: number[]; data: Float64Array }> {
  const shapes = graphHeadShapes(C);
  const p = Object.fromEntries(
    Object.entries(shapes).map(([k, s]) => [
      k,
      { shape: s, data: new Float64Array(s.reduce((a, b) => a * b, 1)) },
    ]),
  );
  for (let k = 0; k < p.emb.data.length; k++) p.emb.data[k] = rng.normal();
  const x1 = Math.sqrt(6 / (H + H));
  for (let k = 0; k < p.th1.data.length; k++) p.th1.data[k] = rng.uniform(-x1, x1);
  const x2 = Math.sqrt(6 / (H + C));
  for (let k = 0; k < p.th2.data.length; k++) p.th2.data[k] = rng.uniform(-x2, x2);
  p.gamma.data.fill(1);
  return p;
}

/** How node features `Z [n, h]` are aggregated over the normalised graph: `Â · Z`. */
export type Propagate = (z: Tensor) => Tensor;

/** Dense graph `Â [n, n]`: one matrix product. */
export const denseGraph =
  (A: Tensor): Propagate =>
  (z) =>
    A.matmul(z);

/**
 * Sparse kNN graph: node `i` sums `weight[i, r] · Z[index[i, r]]` over its `k` neighbours (gather `[n, k, h]`, scale,
 * sum over `k`); the engine's gradient of the gather is a scatter-add, so nothing `n × n` exists.
 */
export const knnGraph =
  (index: Tensor /* [n, k] int64 */, weight: Tensor /* [n, k] */): Propagate =>
  (z) =>
    z
      .gather(index)
      .mul(weight.reshape([...weight.shape, 1]))
      .sum(1);

/**
 * Logits `[n, C]` of the graph head over the normalised graph (`propagate`: `denseGraph` or `knnGraph`) for node
 * label tokens `[n]` (int64; token `C` = unknown): GraphConv 16 → 16 with learnable self-loop λ, BatchNorm with
 * full-batch statistics (every pass sees all nodes), SELU, residual `+ X`, then GraphConv 16 → C. A DGL GraphConv
 * with a self-loop weight is `Â·(XΘ) + λ·XΘ + b`; the second layer computes it as `(Â·X + λ·X)Θ + b`.
 */
export function graphHeadLogits(
  p: Readonly<Record<string, Tensor>>,
  propagate: Propagate,
  tokens: Tensor,
): Tensor {
  const x0 = p.emb.gather(tokens); /* [n, 16] */
  const z1 = x0.matmul(p.th1);
  const h1 = propagate(z1).add(z1.mul(p.l1)).add(p.b1);
  const centred = h1.sub(h1.mean(0, true));
  const xhat = centred.div(centred.square().mean(0, true).add(BN_EPS).sqrt());
  const o1 = F.selu(xhat.mul(p.gamma).add(p.beta)).add(x0);
  // Â·(o1 Θ2) computed as (Â·o1) Θ2: the same product, but the graph carries 16 channels instead of C (the kNN
  // graph's gathered [n, k, ·] activations are then 16 wide at any class count).
  return propagate(o1).add(o1.mul(p.l2)).matmul(p.th2).add(p.b2); /* [n, C] */
}
/**
 * Mean cross-entropy (with label smoothing `eps`) over the nodes with weight `1/m` in `w [n]` (0 elsewhere), against
 * int64 labels `y [n]`.
 */
export function maskedCrossEntropy(logits: Tensor, y: Tensor, w: Tensor, C: number, eps: number): Tensor {
  let t = F.oneHot(y, C);
  if (eps > 0) t = t.mul(1 - eps).add(eps / C);
  return logits.logSoftmax(-1).mul(t).sum(-1).neg().mul(w).sum();
}
