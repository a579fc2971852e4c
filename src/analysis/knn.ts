import type { Embeddings } from '../io/embeddings.ts';
import { l2Normalize } from '../io/embeddings.ts';
import type { Backend } from './backend.ts';
import type { TopK } from './kernels.ts';
import { checkTrainTest } from './labels.ts';
import { similarityTopK } from './top-k.ts';

export interface KnnOptions {
  /** Neighbours (default 200). */
  k?: number;
  /** Temperature of the weighted vote (default 0.1). */
  temperature?: number;
  /** `weighted` (solo-learn / Lightly `knn_predict`: vote weight exp(sim / T)) or plain `majority`. */
  vote?: 'weighted' | 'majority';
  /** Neighbour search on ONNX Runtime (`ort`, default) or in float64 TypeScript (`js`); the vote is the same. */
  backend?: Backend;
}

export interface KnnResult {
  readonly top1: number;
  readonly top5: number;
  /** Predicted class per query. */
  readonly predictions: Int32Array; /* [Nq] */
}

/**
 * kNN classifier on cosine similarity. `weighted` reproduces solo-learn/Lightly `knn_predict`: class score
 * `Σ_{j ∈ topk} exp(sim_j / T) · 1[y_j = c]`, classes ranked by score (ties → lower class index). `majority`
 * counts votes (ties broken by summed similarity, then lower class index). Exact top-k (`similarityTopK`), chunked.
 *
 * @example
 * (await knnClassify(train, trainY, test, testY, { k: 200, temperature: 0.1 })).top1;
 */
export async function knnClassify(
  train: Embeddings,
  trainLabels: ArrayLike<number>,
  test: Embeddings,
  testLabels: ArrayLike<number> | undefined,
  opts: KnnOptions = {},
): Promise<KnnResult> {
  const C = checkTrainTest(train, trainLabels, test, testLabels);
  const k = opts.k ?? 200;
  const nn = await similarityTopK(l2Normalize(test), l2Normalize(train), k, { backend: opts.backend });
  return knnVote(nn, trainLabels, testLabels, { ...opts, classes: C });
}

/**
 * The vote of `knnClassify` on precomputed neighbours (`similarityTopK` of L2-normalised test against train
 * embeddings), so one neighbour search can serve several label sets (e.g. fine and coarse classes). `classes`
 * defaults to the largest label + 1.
 *
 * @example
 * const nn = await similarityTopK(l2Normalize(test), l2Normalize(train), 200);
 * knnVote(nn, fineTrain, fineTest).top1; knnVote(nn, coarseTrain, coarseTest).top1;
 */
export function knnVote(
  nn: TopK,
  trainLabels: ArrayLike<number>,
  testLabels: ArrayLike<number> | undefined,
  opts: Pick<KnnOptions, 'temperature' | 'vote'> & { classes?: number } = {},
): KnnResult {
  let C = opts.classes ?? 0;
  if (opts.classes === undefined) {
    for (let i = 0; i < trainLabels.length; i++) C = Math.max(C, trainLabels[i] + 1);
    for (let i = 0; testLabels && i < testLabels.length; i++) C = Math.max(C, testLabels[i] + 1);
  }
  const T = opts.temperature ?? 0.1;
  const nq = nn.index.length / nn.k;
  const test = { n: nq };
  const predictions = new Int32Array(test.n);
  const score = new Float64Array(C);
  const tie = new Float64Array(C);
  let c1 = 0;
  let c5 = 0;
  for (let i = 0; i < test.n; i++) {
    score.fill(0);
    tie.fill(0);
    for (let r = 0; r < nn.k; r++) {
      const j = nn.index[i * nn.k + r];
      const s = nn.score[i * nn.k + r];
      const c = trainLabels[j];
      if (opts.vote === 'majority') {
        score[c] += 1;
        tie[c] += s;
      } else score[c] += Math.exp(s / T);
    }
    const order = Array.from({ length: C }, (_, c) => c).sort(
      (a, b) => score[b] - score[a] || tie[b] - tie[a] || a - b,
    );
    predictions[i] = order[0];
    if (testLabels) {
      if (order[0] === testLabels[i]) c1++;
      if (order.slice(0, 5).includes(testLabels[i])) c5++;
    }
  }
  return { top1: testLabels ? c1 / test.n : NaN, top5: testLabels ? c5 / test.n : NaN, predictions };
}
