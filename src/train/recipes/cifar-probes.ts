/**
 * Fast frozen-feature probes for the real-data results, run on ONNX Runtime (multithreaded GEMM + TopK) rather
 * than in JavaScript: the analysis suite's `knnClassify` and L-BFGS `linearProbe` compute the same kind of
 * numbers but take minutes on 20k × 10k CIFAR-100 features on 2 cores.
 */
import { compile, defineGraph, F, input, type Tensor } from '../../engine/node.ts';
import type { Embeddings } from '../../io/embeddings.ts';
import { l2Normalize } from '../../io/embeddings.ts';
import { adamw } from '../../optim/adamw.ts';
import { warmupCosine } from '../../optim/schedule.ts';
import { Rng } from '../../util/rng.ts';
import { TrainStep } from '../step.ts';

export interface Neighbours {
  readonly k: number;
  readonly index: Int32Array; /* [Nq, k] best first */
  readonly score: Float32Array; /* [Nq, k] cosine similarity */
}

/** Exact top-k cosine neighbours of each query among `keys` (chunked matmul + TopK on ORT). */
export async function cosineTopK(
  queries: Embeddings,
  keys: Embeddings,
  k: number,
  chunk = 500,
): Promise<Neighbours> {
  const q = l2Normalize(queries);
  const kk = l2Normalize(keys);
  const d = q.d;
  const qi = input('q', [chunk, d]);
  const ki = input('keys', [kk.n, d]);
  const top = qi.matmul(ki, { transB: true }).topK(k);
  const run = await compile(defineGraph([qi, ki], { values: top.values, indices: top.indices }));
  const index = new Int32Array(q.n * k);
  const score = new Float32Array(q.n * k);
  const buf = new Float32Array(chunk * d);
  for (let s = 0; s < q.n; s += chunk) {
    const rows = Math.min(chunk, q.n - s);
    buf.fill(0);
    buf.set(q.data.subarray(s * d, (s + rows) * d));
    const out = await run.run({ q: buf, keys: kk.data });
    const vi = out.indices as BigInt64Array;
    score.set((out.values as Float32Array).subarray(0, rows * k), s * k);
    for (let i = 0; i < rows * k; i++) index[s * k + i] = Number(vi[i]);
  }
  return { k, index, score };
}

/**
 * Weighted kNN vote (solo-learn / Lightly `knn_predict`, as the analysis suite's `knnClassify`): class score
 * Σ_{j ∈ top-k} exp(sim_j / T)·1[y_j = c]; ties go to the lower class. Returns top-1 accuracy.
 */
export function knnVote(
  nn: Neighbours,
  trainLabels: ArrayLike<number>,
  testLabels: ArrayLike<number>,
  temperature = 0.1,
): number {
  let classes = 0;
  for (let i = 0; i < trainLabels.length; i++) classes = Math.max(classes, trainLabels[i] + 1);
  const score = new Float64Array(classes);
  let correct = 0;
  for (let i = 0; i < testLabels.length; i++) {
    score.fill(0);
    for (let r = 0; r < nn.k; r++)
      score[trainLabels[nn.index[i * nn.k + r]]] += Math.exp(nn.score[i * nn.k + r] / temperature);
    let best = 0;
    for (let c = 1; c < classes; c++) if (score[c] > score[best]) best = c;
    correct += +(best === testLabels[i]);
  }
  return correct / testLabels.length;
}

export interface SoftmaxProbeOptions {
  /** Full-batch AdamW steps (default 300). */
  readonly steps?: number;
  /** Peak learning rate (default 0.01), warm-up 10 steps then cosine. */
  readonly lr?: number;
  /** Decoupled weight decay on the weights (default 1e-4). */
  readonly weightDecay?: number;
}

/**
 * Linear probe: `Linear(D, C)` on frozen features, softmax cross-entropy, full-batch AdamW for a fixed number of
 * steps (methods.md §E.6 trains its probe with full-batch AdamW; here the step count is fixed rather than chosen
 * on the test set). Inputs should be standardised. Returns test top-1.
 */
export async function softmaxProbe(
  train: Embeddings,
  trainLabels: ArrayLike<number>,
  test: Embeddings,
  testLabels: ArrayLike<number>,
  opts: SoftmaxProbeOptions = {},
): Promise<number> {
  let classes = 0;
  for (let i = 0; i < trainLabels.length; i++) classes = Math.max(classes, trainLabels[i] + 1);
  const d = train.d;
  const rng = new Rng(0);
  const bound = 1 / Math.sqrt(d);
  const params = {
    w: { shape: [d, classes], data: rng.uniformArray(d * classes, -bound, bound) },
    b: { shape: [classes], data: new Float32Array(classes) },
  };
  const logitsOf = (p: { w: Tensor; b: Tensor }, x: Tensor) => x.matmul(p.w).add(p.b);
  const step = await TrainStep.create({
    params,
    batch: { x: { shape: [train.n, d] }, y: { shape: [train.n], dtype: 'int64' } },
    loss: (p: any, b) => ({ loss: F.crossEntropy(logitsOf(p, b.x), b.y) }),
    optimizer: adamw({ weightDecay: opts.weightDecay ?? 1e-4 }),
  });
  const steps = opts.steps ?? 300;
  const lr = warmupCosine({ base: opts.lr ?? 0.01, warmup: 10, total: steps });
  const y = BigInt64Array.from({ length: train.n }, (_, i) => BigInt(trainLabels[i]));
  for (let s = 0; s < steps; s++) await step.run({ x: train.data, y }, lr(s));
  const p = step.params() as unknown as { w: { data: Float32Array }; b: { data: Float32Array } };
  let correct = 0;
  const row = new Float64Array(classes);
  for (let i = 0; i < test.n; i++) {
    row.set(p.b.data);
    for (let j = 0; j < d; j++) {
      const v = test.data[i * d + j];
      if (v === 0) continue;
      const w = j * classes;
      for (let c = 0; c < classes; c++) row[c] += v * p.w.data[w + c];
    }
    let best = 0;
    for (let c = 1; c < classes; c++) if (row[c] > row[best]) best = c;
    correct += +(best === testLabels[i]);
  }
  return correct / test.n;
}
