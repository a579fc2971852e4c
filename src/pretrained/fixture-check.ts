/**
 * Checks an open_clip fixture folder (open_clip_config.json, safetensors, images/, reference.json computed by
 * open_clip itself) against clade: token ids, embeddings from the reference pixels, clade's own preprocessing of
 * the image files, zero-shot probabilities. Shared by the unit test (the fixture copied into test/fixtures) and the
 * data suite (../shared/fixtures).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { l2Normalize, type Embeddings } from '../io/embeddings.ts';
import { embedImageFiles, openModel, type OpenedModel } from './open-model.ts';

export interface OpenClipReference {
  readonly images: string[];
  readonly pixel_values: number[][][][];
  readonly image_embeds: number[][];
  readonly texts: string[];
  readonly input_ids: number[][];
  readonly text_embeds: number[][];
  readonly logits_per_image: number[][];
  readonly probs_per_image: number[][];
}

export const readReference = (dir: string): OpenClipReference =>
  JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8'));

export const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

export const meanAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
};

/** Row-wise cosine similarities of two [N, D] matrices. */
export function rowCosines(a: Embeddings, b: Embeddings): number[] {
  const x = l2Normalize(a);
  const y = l2Normalize(b);
  return Array.from({ length: a.n }, (_, i) => {
    let s = 0;
    for (let j = 0; j < a.d; j++) s += x.data[i * a.d + j] * y.data[i * a.d + j];
    return s;
  });
}

/** softmax(s · cos) per image row: open_clip's `probs_per_image`. */
export function zeroShotProbs(img: Embeddings, txt: Embeddings, scale: number, bias = 0): Float32Array {
  const x = l2Normalize(img);
  const y = l2Normalize(txt);
  const out = new Float32Array(img.n * txt.n);
  for (let i = 0; i < img.n; i++) {
    let m = -Infinity;
    for (let k = 0; k < txt.n; k++) {
      let s = 0;
      for (let j = 0; j < img.d; j++) s += x.data[i * img.d + j] * y.data[k * img.d + j];
      out[i * txt.n + k] = scale * s + bias;
      m = Math.max(m, out[i * txt.n + k]);
    }
    let z = 0;
    for (let k = 0; k < txt.n; k++) z += out[i * txt.n + k] = Math.exp(out[i * txt.n + k] - m);
    for (let k = 0; k < txt.n; k++) out[i * txt.n + k] /= z;
  }
  return out;
}

export interface FixtureReport {
  readonly idsEqual: boolean;
  readonly textMaxAbs: number;
  readonly imageMaxAbs: number;
  readonly pixelMeanAbs: number;
  readonly pixelMaxAbs: number;
  readonly ownCosineMin: number;
  readonly probsMaxAbs: number;
  readonly ownProbsMaxAbs: number;
}

/**
 * Everything the tolerances are stated on, measured for one fixture folder (or an opened model of it).
 *
 * @example
 * const r = await checkFixture('test/fixtures/open_clip/tiny-vit-gelu'); // r.textMaxAbs < 1e-4
 */
export async function checkFixture(dir: string, model?: OpenedModel): Promise<FixtureReport> {
  const ref = readReference(dir);
  const m = model ?? (await openModel(dir, { batch: 4 }));
  try {
    const ids = ref.texts.map((t) => {
      const enc = m.tokenizer.encode([t]);
      return Array.from(enc.ids.subarray(0, enc.eotIndex[0] + 1));
    });
    const idsEqual = JSON.stringify(ids) === JSON.stringify(ref.input_ids);
    const txt = await m.embedTexts(ref.texts);
    const pixels = Float32Array.from(ref.pixel_values.flat(3));
    const img = await m.embedPixels(pixels, ref.images.length);
    const own = await embedImageFiles(
      m,
      ref.images.map((f) => join(dir, 'images', f)),
    );
    const { preprocessImages } = await import('./open-model.ts');
    const { decodeImage } = await import('../data/readers/decode-image.ts');
    const decoded = await Promise.all(ref.images.map((f) => decodeImage(join(dir, 'images', f))));
    const ownPixels = preprocessImages(m.preprocess, decoded);
    const refImg = { data: Float32Array.from(ref.image_embeds.flat()), n: ref.images.length, d: img.d };
    return {
      idsEqual,
      textMaxAbs: maxAbsDiff(txt.data, ref.text_embeds.flat()),
      imageMaxAbs: maxAbsDiff(img.data, ref.image_embeds.flat()),
      pixelMeanAbs: meanAbsDiff(ownPixels, pixels),
      pixelMaxAbs: maxAbsDiff(ownPixels, pixels),
      ownCosineMin: Math.min(...rowCosines(own, refImg)),
      probsMaxAbs: maxAbsDiff(zeroShotProbs(img, txt, m.scale, m.logitBias), ref.probs_per_image.flat()),
      ownProbsMaxAbs: maxAbsDiff(zeroShotProbs(own, txt, m.scale, m.logitBias), ref.probs_per_image.flat()),
    };
  } finally {
    if (!model) await m.release();
  }
}
