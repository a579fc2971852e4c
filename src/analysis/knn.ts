import type { Embeddings } from '../io/embeddings.ts';
import { l2Normalize } from '../io/embeddings.ts';
import type { Backend } from './backend.ts';
import type { TopK } from './kernels.ts';
import { checkTrainTest, meanPerClassRecall } from './labels.ts';
import { similarityTopK } from './top-k.ts';

/**
 * Neighbour similarity: `cosine` (default; solo-learn/Lightly), `dot` (raw inner product) or `euclidean`
 * (similarity = −‖q − x‖ on the raw features).
 */
export type KnnMetric = 'cosine' | 'dot' | 'euclidean';

export interface KnnOptions {
  /** Similarity of the search and the vote weights (default `cosine`). */
  metric?: KnnMetric;
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
  /** Balanced accuracy: recall per test class, averaged unweighted (NaN without test labels). */
  readonly meanPerClassRecall: number;
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
  const metric = opts.metric ?? 'cosine';
  let nn: TopK;
  if (metric === 'euclidean') {
    // top-k of 2⟨q, x⟩ − ‖x‖² = ‖q‖² − ‖q − x‖² as one dot product of augmented rows [2q, −1] · [x, ‖x‖²]
    const aug = (e: Embeddings, f: (row: Float32Array) => [number, number]): Embeddings => {
      const d = e.d + 1;
      const data = new Float32Array(e.n * d);
      for (let i = 0; i < e.n; i++) {
        const r = e.data.subarray(i * e.d, (i + 1) * e.d);
        const [scale, last] = f(r);
        for (let j = 0; j < e.d; j++) data[i * d + j] = scale * r[j];
        data[i * d + e.d] = last;
      }
      return { data, n: e.n, d };
    };
    const sq = (r: Float32Array) => r.reduce((a, v) => a + v * v, 0);
    nn = await similarityTopK(
      aug(test, () => [2, -1]),
      aug(train, (r) => [1, sq(r)]),
      k,
      { backend: opts.backend },
    );
    const score = Float32Array.from(nn.score);
    for (let i = 0; i < test.n; i++) {
      const q2 = sq(test.data.subarray(i * test.d, (i + 1) * test.d));
      for (let r = 0; r < nn.k; r++)
        score[i * nn.k + r] = -Math.sqrt(Math.max(0, q2 - nn.score[i * nn.k + r]));
    }
    nn = { ...nn, score };
  } else
    nn =
      metric === 'dot'
        ? await similarityTopK(test, train, k, { backend: opts.backend })
        : await similarityTopK(l2Normalize(test), l2Normalize(train), k, { backend: opts.backend });
  return knnVote(nn, trainLabels, testLabels, { ...opts, classes: C });
}

/**
 * The vote of `knnClassify` on precomputed neighbours (`similarityTopK` of L2-normalised test against train
 * embeddings), so one neighbour search can serve several label sets (e.g. fine and coarse classes). `classes`
 * defaults to the largest label + 1. An index of −1 is no neighbour (an approximate search that came back short).
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
    // exp((s − s_max) / T): the same order as exp(s / T) (a common factor), but no overflow on raw dot products
    let top = -Infinity;
    for (let r = 0; r < nn.k; r++)
      if (nn.index[i * nn.k + r] >= 0) top = Math.max(top, nn.score[i * nn.k + r]);
    for (let r = 0; r < nn.k; r++) {
      const j = nn.index[i * nn.k + r];
      if (j < 0) continue; // fewer than k neighbours (an approximate search)
      const s = nn.score[i * nn.k + r];
      const c = trainLabels[j];
      if (opts.vote === 'majority') {
        score[c] += 1;
        tie[c] += s;
      } else score[c] += Math.exp((s - top) / T);
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
  return {
    top1: testLabels ? c1 / test.n : NaN,
    top5: testLabels ? c5 / test.n : NaN,
    meanPerClassRecall: testLabels ? meanPerClassRecall(predictions, testLabels) : NaN,
    predictions,
  };
}
