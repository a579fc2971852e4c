import type { Embeddings } from '../io/embeddings.ts';
import { l2Normalize } from '../io/embeddings.ts';
import { CladeError } from '../util/errors.ts';
import { forEachTile } from './kernels.ts';
import { checkLabels } from './labels.ts';

/**
 * Class weights from template text embeddings (BioCLIP 2 methods §A.6 step 2; CLIP's prompt ensembling):
 * L2-normalise every template embedding, average per class, L2-normalise again → `w_c`.
 * `text` rows are `[K, M, D]` flattened (class-major, `M` templates per class) unless `classOfRow` is given.
 *
 * @example
 * const W = classEmbeddings(textEmb, { templatesPerClass: 80 }); // [K, D]
 */
export function classEmbeddings(
  text: Embeddings,
  opts: { templatesPerClass?: number; classOfRow?: ArrayLike<number> } = {},
): Embeddings {
  let cls: ArrayLike<number>;
  if (opts.classOfRow) cls = opts.classOfRow;
  else {
    const m = opts.templatesPerClass ?? 1;
    if (text.n % m !== 0)
      throw new CladeError(`${text.n} text rows are not a multiple of ${m} templates per class`);
    cls = Int32Array.from({ length: text.n }, (_, i) => Math.floor(i / m));
  }
  const K = checkLabels(cls, text.n, 'class ids');
  const z = l2Normalize(text);
  const out = new Float32Array(K * text.d);
  const acc = new Float64Array(K * text.d);
  for (let i = 0; i < text.n; i++)
    for (let j = 0; j < text.d; j++) acc[cls[i] * text.d + j] += z.data[i * text.d + j];
  out.set(acc);
  return l2Normalize({ data: out, n: K, d: text.d });
}

/** Resolves the logit scale: `scale` is `s` itself, `logitScale` its log as clade stores it (`s = exp(logitScale)`). */
function scaleOf(o: { scale?: number; logitScale?: number }): number {
  return o.scale ?? (o.logitScale !== undefined ? Math.exp(o.logitScale) : 100);
}

/**
 * Zero-shot class probabilities `softmax(s · ⟨n(x), w_c⟩)` (methods §A.6 step 3, §A.7 step 2). Returns `[N, K]`;
 * for very large K (tree-of-life) process images in batches.
 *
 * @example
 * const p = zeroShot(images, W, { scale: 100 });
 */
export function zeroShot(
  x: Embeddings,
  W: Embeddings,
  o: { scale?: number; logitScale?: number } = {},
): Float32Array /* [N, K] */ {
  if (x.d !== W.d)
    throw new CladeError(`image dimension ${x.d} differs from class-embedding dimension ${W.d}`);
  const s = scaleOf(o);
  const K = W.n;
  const out = new Float32Array(x.n * K);
  const z = l2Normalize(x);
  forEachTile(z, W, (i0, i1, j0, j1, t) => {
    for (let i = i0; i < i1; i++)
      for (let j = j0; j < j1; j++) out[i * K + j] = s * t[(i - i0) * (j1 - j0) + j - j0];
  });
  for (let i = 0; i < x.n; i++) softmaxInPlace(out, i * K, K);
  return out;
}

/** Numerically stable in-place softmax of `a[off .. off+len)`. */
export function softmaxInPlace(a: Float32Array | Float64Array, off: number, len: number): void {
  let m = -Infinity;
  for (let j = 0; j < len; j++) if (a[off + j] > m) m = a[off + j];
  let s = 0;
  for (let j = 0; j < len; j++) s += a[off + j] = Math.exp(a[off + j] - m);
  for (let j = 0; j < len; j++) a[off + j] /= s;
}

/**
 * Zero-shot evaluation: top-1, top-5 and mean per-class recall (balanced accuracy over classes present in the
 * labels). Scores are cosine similarities (the scale does not change rankings). Ties → lower class index.
 *
 * @example
 * zeroShotEvaluate(images, W, labels).top1;
 */
export function zeroShotEvaluate(
  x: Embeddings,
  W: Embeddings,
  labels: ArrayLike<number>,
): { top1: number; top5: number; meanPerClassRecall: number; predictions: Int32Array } {
  if (x.d !== W.d)
    throw new CladeError(`image dimension ${x.d} differs from class-embedding dimension ${W.d}`);
  const K0 = checkLabels(labels, x.n);
  if (K0 > W.n)
    throw new CladeError(`labels reach class ${K0 - 1} but only ${W.n} class embeddings were given`);
  const z = l2Normalize(x);
  const truthScore = new Float64Array(x.n);
  const above = new Int32Array(x.n);
  const best = new Float64Array(x.n).fill(-Infinity);
  const predictions = new Int32Array(x.n);
  for (let i = 0; i < x.n; i++) {
    let s = 0;
    for (let k = 0; k < x.d; k++) s += z.data[i * x.d + k] * W.data[labels[i] * x.d + k];
    truthScore[i] = s;
  }
  forEachTile(z, W, (i0, i1, j0, j1, t) => {
    const w = j1 - j0;
    for (let i = i0; i < i1; i++)
      for (let j = j0; j < j1; j++) {
        const s = t[(i - i0) * w + j - j0];
        if (s > truthScore[i] || (s === truthScore[i] && j < labels[i])) above[i]++;
        if (s > best[i]) {
          best[i] = s;
          predictions[i] = j;
        }
      }
  });
  let c1 = 0;
  let c5 = 0;
  const hit = new Float64Array(K0);
  const cnt = new Float64Array(K0);
  for (let i = 0; i < x.n; i++) {
    cnt[labels[i]]++;
    if (above[i] === 0) {
      c1++;
      hit[labels[i]]++;
    }
    if (above[i] < 5) c5++;
  }
  let rec = 0;
  let present = 0;
  for (let c = 0; c < K0; c++)
    if (cnt[c] > 0) {
      rec += hit[c] / cnt[c];
      present++;
    }
  return { top1: c1 / x.n, top5: c5 / x.n, meanPerClassRecall: rec / present, predictions };
}
