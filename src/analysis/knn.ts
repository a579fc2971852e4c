import type { Embeddings } from '../io/embeddings.ts';
import { l2Normalize } from '../io/embeddings.ts';
import { CladeError } from '../util/errors.ts';
import { similarityTopK } from './top-k.ts';
import type { TopK } from './kernels.ts';
import { checkLabels } from './labels.ts';

export interface KnnOptions {
  /** Neighbours (default 200). */
  k?: number;
  /** Temperature of the weighted vote (default 0.1). */
  temperature?: number;
  /** `weighted` (solo-learn / Lightly `knn_predict`: vote weight exp(sim / T)) or plain `majority`. */
  vote?: 'weighted' | 'majority';
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
 * counts votes (ties broken by summed similarity, then lower class index). Exact top-k, chunked.
 *
 * @example
 * knnClassify(train, trainY, test, testY, { k: 200, temperature: 0.1 }).top1;
 */
export function knnClassify(
  train: Embeddings,
  trainLabels: ArrayLike<number>,
  test: Embeddings,
  testLabels: ArrayLike<number> | undefined,
  opts: KnnOptions = {},
): KnnResult {
  if (train.d !== test.d) throw new CladeError(`train has dimension ${train.d}, test ${test.d}`);
  const C = Math.max(
    checkLabels(trainLabels, train.n, 'train labels'),
    testLabels ? checkLabels(testLabels, test.n, 'test labels') : 0,
  );
  const k = opts.k ?? 200;
  return knnVote(similarityTopK(l2Normalize(test), l2Normalize(train), k), trainLabels, testLabels, C, opts);
}

/**
 * The vote of `knnClassify` on precomputed neighbours (e.g. from the ONNX Runtime top-k `similarityTopKOrt` on
 * L2-normalised inputs). `C` is the number of classes.
 *
 * @example
 * knnVote(await similarityTopKOrt(zTest, zTrain, 200), trainY, testY, 10).top1;
 */
export function knnVote(
  nn: TopK,
  trainLabels: ArrayLike<number>,
  testLabels: ArrayLike<number> | undefined,
  C: number,
  opts: Pick<KnnOptions, 'temperature' | 'vote'> = {},
): KnnResult {
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
