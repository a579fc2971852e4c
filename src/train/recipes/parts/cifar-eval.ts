/**
 * Frozen-feature evaluation of a recipe's image tower on CIFAR-100 at both ranks (the data suite's and
 * `npm run bench:train`'s scores): kNN, linear probe, the tower's own classifier, zero-shot by rank.
 */
import { join } from 'node:path';
import { readCifar100 } from '../../../data/readers/cifar.ts';
import { cifar100CoarseOfFine } from '../../../data/taxonomy/cifar100-taxonomy.ts';
import type { Embeddings } from '../../../io/embeddings.ts';
import type { Params } from '../../../nn/context.ts';
import { knnVote } from '../../../analysis/knn.ts';
import { FIXED_BUDGET_HEAD, linearHead, type LinearHeadOptions } from '../../../analysis/linear-head.ts';
import { similarityTopK } from '../../../analysis/top-k.ts';
import { l2Normalize } from '../../../io/embeddings.ts';
import { cifarEvalImages } from '../../../data/pipelines/cifar.ts';
import type { Recipe } from '../../recipe.ts';
import { runImageTower } from './tower-runner.ts';

export interface RankScores {
  readonly fine: number;
  readonly coarse: number;
}
export interface CifarProbeResult {
  /** Weighted kNN top-1 (k 200, T 0.1) at each rank. */
  readonly knn: RankScores;
  /** Linear-probe top-1 at each rank. */
  readonly probe: RankScores;
}

export interface CifarProbeOptions {
  /** kNN neighbours (default 200, as InstDisc / solo-learn on CIFAR); vote temperature 0.1. */
  readonly k?: number;
  /** Linear-probe options over `FIXED_BUDGET_HEAD` (300 full-batch AdamW steps on standardised features). */
  readonly linear?: LinearHeadOptions;
  /** Skip the linear probe (kNN only). */
  readonly probe?: boolean;
}

/**
 * kNN and linear-probe accuracy of frozen embeddings at CIFAR-100's two ranks: the 100 fine classes and the 20
 * superclasses (coarse labels from the official grouping). kNN: weighted vote over the 200 nearest training
 * embeddings by cosine similarity (T 0.1). Linear probe: features standardised per dimension with training
 * statistics, then `Linear(D, C)` by full-batch AdamW for a fixed budget (`linearHead` with `FIXED_BUDGET_HEAD`).
 *
 * @example
 * const r = await probeCifar(trainEmb, trainFine, testEmb, testFine); // r.knn.coarse
 */
export async function probeCifar(
  train: Embeddings,
  trainFine: ArrayLike<number>,
  test: Embeddings,
  testFine: ArrayLike<number>,
  opts: CifarProbeOptions = {},
): Promise<CifarProbeResult> {
  const coarseOf = cifar100CoarseOfFine();
  const coarse = (y: ArrayLike<number>) => Int32Array.from(y as ArrayLike<number>, (f) => coarseOf[f]);
  const trC = coarse(trainFine);
  const teC = coarse(testFine);
  const nn = await similarityTopK(l2Normalize(test), l2Normalize(train), Math.min(opts.k ?? 200, train.n));
  const vote = (tr: ArrayLike<number>, te: ArrayLike<number>) =>
    knnVote(nn, tr, te, { temperature: 0.1 }).top1;
  const knn = { fine: vote(trainFine, testFine), coarse: vote(trC, teC) };
  if (opts.probe === false) return { knn, probe: { fine: NaN, coarse: NaN } };
  const [tr, te] = standardise(train, test);
  const head = { ...FIXED_BUDGET_HEAD, ...opts.linear };
  const probe = {
    fine: (await linearHead(tr, trainFine, te, testFine, head)).testTop1,
    coarse: (await linearHead(tr, trC, te, teC, head)).testTop1,
  };
  return { knn, probe };
}

/** z-score both sets with the training set's per-dimension mean and standard deviation. */
function standardise(train: Embeddings, test: Embeddings): [Embeddings, Embeddings] {
  const d = train.d;
  const mean = new Float64Array(d);
  const sq = new Float64Array(d);
  for (let i = 0; i < train.n; i++)
    for (let j = 0; j < d; j++) {
      const v = train.data[i * d + j];
      mean[j] += v;
      sq[j] += v * v;
    }
  const inv = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    mean[j] /= train.n;
    inv[j] = 1 / Math.sqrt(Math.max(sq[j] / train.n - mean[j] ** 2, 0) + 1e-8);
  }
  const z = (e: Embeddings): Embeddings => {
    const data = new Float32Array(e.data.length);
    for (let i = 0; i < e.n; i++)
      for (let j = 0; j < d; j++) data[i * d + j] = (e.data[i * d + j] - mean[j]) * inv[j];
    return { data, n: e.n, d };
  };
  return [z(train), z(test)];
}

/** Top-1 accuracy of [N, C] logits against labels. */
export function logitAccuracy(logits: Embeddings, labels: ArrayLike<number>): number {
  let correct = 0;
  for (let i = 0; i < logits.n; i++) {
    let best = 0;
    for (let c = 1; c < logits.d; c++)
      if (logits.data[i * logits.d + c] > logits.data[i * logits.d + best]) best = c;
    correct += +(best === labels[i]);
  }
  return correct / logits.n;
}

/** CIFAR-100 train and test images (normalised, NCHW) with fine labels, loaded once for evaluation. */
export interface CifarEvalData {
  readonly train: { readonly images: Float32Array; readonly labels: Int32Array; readonly n: number };
  readonly test: { readonly images: Float32Array; readonly labels: Int32Array; readonly n: number };
}

/**
 * Read `train.bin` and `test.bin` of a CIFAR-100 folder (optionally only the first records of each, which
 * are class-balanced in the shared files) for `evaluateCifarEncoder`.
 *
 * @example
 * const data = loadCifarEval('../shared/datasets/cifar-100');
 */
export function loadCifarEval(dir: string, limits: { train?: number; test?: number } = {}): CifarEvalData {
  const part = (name: string, limit?: number) => {
    const ds = readCifar100(join(dir, name));
    const n = Math.min(limit || ds.length, ds.length);
    const idx = Int32Array.from({ length: n }, (_, i) => i);
    return { images: cifarEvalImages(ds, idx), labels: ds.labels.slice(0, n), n };
  };
  return { train: part('train.bin', limits.train), test: part('test.bin', limits.test) };
}

export interface CifarEncoderScores extends CifarProbeResult {
  /** Test top-1 of the recipe's own classifier (`logits` output), when its tower has one. */
  readonly testAccuracy?: number;
  /** Zero-shot test accuracy by mode and rank (`zeroshot/class`, …), for image-text recipes (`zeroShotImages`). */
  readonly zeroShot?: Record<string, number>;
  /** Seconds spent embedding train + test. */
  readonly embedSeconds: number;
}

/**
 * Embed CIFAR-100 train and test through a recipe's image tower with `params`, then kNN and linear-probe at
 * both ranks, plus the test accuracy of the tower's `logits` when present (100 outputs: fine, 20: coarse) and,
 * for image-text recipes, zero-shot accuracy by rank against the text tower's class embeddings.
 *
 * @example
 * const before = await evaluateCifarEncoder(recipe, recipe.init(rng), data);
 */
export async function evaluateCifarEncoder(
  recipe: Recipe,
  params: Params,
  data: CifarEvalData,
  opts: CifarProbeOptions = {},
): Promise<CifarEncoderScores> {
  const t0 = performance.now();
  const tr = await runImageTower(recipe, params, data.train.images, data.train.n);
  const te = await runImageTower(recipe, params, data.test.images, data.test.n);
  const embedSeconds = (performance.now() - t0) / 1000;
  const scores = await probeCifar(tr.embedding, data.train.labels, te.embedding, data.test.labels, opts);
  const zeroShot = recipe.zeroShotImages
    ? { zeroShot: await recipe.zeroShotImages(params, te, data.test.labels) }
    : {};
  if (!te.logits) return { ...scores, ...zeroShot, embedSeconds };
  const coarseOf = cifar100CoarseOfFine();
  const labels = te.logits.d === 20 ? data.test.labels.map((f) => coarseOf[f]) : data.test.labels;
  return { ...scores, ...zeroShot, testAccuracy: logitAccuracy(te.logits, labels), embedSeconds };
}
