import type { Embeddings } from '../io/embeddings.ts';
import { l2Normalize } from '../io/embeddings.ts';
import { CladeError } from '../util/errors.ts';
import { forEachTile } from './kernels.ts';

/** Recall@K and rank statistics for one direction. Ranks are 1-based. */
export interface DirectionMetrics {
  readonly r1: number;
  readonly r5: number;
  readonly r10: number;
  readonly meanRank: number;
  readonly medianRank: number;
  readonly ranks: Int32Array;
}

/**
 * Cross-modal retrieval in both directions on cosine similarity. `textImage[t]` is the image of text `t` (several
 * captions per image allowed; default: text `t` ↔ image `t`). Image → text: rank of the best-ranked correct caption;
 * text → image: rank of its image. Rank = 1 + number of candidates scoring strictly higher (optimistic on exact ties).
 *
 * @example
 * const { imageToText, textToImage } = retrieval(images, texts);
 * imageToText.r1;
 */
export function retrieval(
  images: Embeddings,
  texts: Embeddings,
  textImage?: ArrayLike<number>,
): { imageToText: DirectionMetrics; textToImage: DirectionMetrics } {
  if (images.d !== texts.d)
    throw new CladeError(`image dimension ${images.d} differs from text dimension ${texts.d}`);
  const map = textImage ?? Int32Array.from({ length: texts.n }, (_, i) => i);
  if (map.length !== texts.n)
    throw new CladeError(`expected ${texts.n} text→image entries, got ${map.length}`);
  for (let t = 0; t < texts.n; t++)
    if (!(map[t] >= 0 && map[t] < images.n))
      throw new CladeError(`text ${t} maps to image ${map[t]}, outside [0, ${images.n})`);
  const I = l2Normalize(images);
  const T = l2Normalize(texts);
  const d = I.d;
  const dot = (i: number, t: number) => {
    let s = 0;
    for (let k = 0; k < d; k++) s += I.data[i * d + k] * T.data[t * d + k];
    return s;
  };
  const posT = Float64Array.from({ length: texts.n }, (_, t) => dot(map[t], t)); // score of each text's image
  const posI = new Float64Array(images.n).fill(-Infinity); // best correct caption per image
  for (let t = 0; t < texts.n; t++) if (posT[t] > posI[map[t]]) posI[map[t]] = posT[t];
  const aboveI = new Int32Array(images.n);
  const aboveT = new Int32Array(texts.n);
  forEachTile(I, T, (i0, i1, j0, j1, tile) => {
    const w = j1 - j0;
    for (let i = i0; i < i1; i++) {
      const o = (i - i0) * w;
      const pi = posI[i];
      let a = 0;
      for (let t = j0; t < j1; t++) {
        const s = tile[o + t - j0];
        if (s > pi) a++;
        if (s > posT[t]) aboveT[t]++;
      }
      aboveI[i] += a;
    }
  });
  const withCaption = Array.from({ length: images.n }, (_, i) => i).filter((i) => posI[i] > -Infinity);
  return {
    imageToText: summarize(Int32Array.from(withCaption, (i) => aboveI[i] + 1)),
    textToImage: summarize(Int32Array.from(aboveT, (a) => a + 1)),
  };
}

function summarize(ranks: Int32Array): DirectionMetrics {
  const n = ranks.length;
  const at = (k: number) => ranks.reduce((a, r) => a + (r <= k ? 1 : 0), 0) / n;
  const sorted = Int32Array.from(ranks).sort();
  const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  return {
    r1: at(1),
    r5: at(5),
    r10: at(10),
    meanRank: ranks.reduce((a, r) => a + r, 0) / n,
    medianRank: median,
    ranks,
  };
}
