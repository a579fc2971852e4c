import { retrieval } from '../analysis/retrieval.ts';
import { loadEmbeddings } from '../io/load-embeddings.ts';
import { column, readMetaTable } from '../io/metadata.ts';
import { describeInput, makeResult, writeResult, type CladeResult } from '../report/index.ts';
import { CladeError } from '../util/errors.ts';

export interface RetrievalOptions {
  readonly images: string;
  readonly imageTensor?: string;
  readonly texts: string;
  readonly textTensor?: string;
  /** Texts are image-major, this many captions per image (default 1: text t ↔ image t). */
  readonly captionsPerImage?: number;
  /** Or: a table with one row per text naming its image (`imageCol`), matched against the image file's ids. */
  readonly textMeta?: string;
  readonly imageCol?: string;
  readonly outDir: string;
}

/**
 * `clade retrieval`: image ↔ text retrieval on cosine similarity (CLIP_benchmark's protocol), R@1/5/10 and mean /
 * median rank in both directions; an image with several captions counts as found at the rank of its best caption,
 * each caption finds its image.
 */
export async function runRetrieval(o: RetrievalOptions): Promise<CladeResult> {
  const { embeddings: images, ids } = await loadEmbeddings(o.images, { name: o.imageTensor });
  const { embeddings: texts } = await loadEmbeddings(o.texts, { name: o.textTensor });
  let textImage: Int32Array;
  if (o.textMeta) {
    if (o.captionsPerImage !== undefined)
      throw new CladeError('give either --captions-per-image or --text-meta, not both', {
        option: '--captions-per-image',
      });
    const t = await readMetaTable(o.textMeta);
    const col = column(t, o.imageCol ?? 'image');
    if (t.length !== texts.n)
      throw new CladeError(`${t.length} rows but ${texts.n} text embeddings in ${o.texts}`, {
        file: o.textMeta,
      });
    const index = new Map(ids.map((id, i) => [id, i]));
    if (index.size !== ids.length)
      throw new CladeError('duplicate image ids: texts cannot name their image', { file: o.images });
    textImage = Int32Array.from(col, (v, r) => {
      const i = v === null ? undefined : index.get(String(v));
      if (i === undefined)
        throw new CladeError(`image '${v}' is not an id of ${o.images}`, {
          file: o.textMeta,
          row: r,
          column: o.imageCol ?? 'image',
        });
      return i;
    });
  } else {
    const m = o.captionsPerImage ?? 1;
    if (!(Number.isInteger(m) && m >= 1))
      throw new CladeError(`expected a positive integer, got ${m}`, { option: '--captions-per-image' });
    if (texts.n !== images.n * m)
      throw new CladeError(
        `${texts.n} text embeddings for ${images.n} images × ${m} captions (expected ${images.n * m})`,
        { file: o.texts },
      );
    textImage = Int32Array.from({ length: texts.n }, (_, t) => Math.floor(t / m));
  }
  const t0 = performance.now();
  const r = retrieval(images, texts, textImage);
  const seconds = (performance.now() - t0) / 1000;
  const dir = (name: string, d: typeof r.imageToText) => ({
    [`${name}_R@1`]: d.r1,
    [`${name}_R@5`]: d.r5,
    [`${name}_R@10`]: d.r10,
    [`${name}_meanRank`]: d.meanRank,
    [`${name}_medianRank`]: d.medianRank,
  });
  const result = makeResult({
    kind: 'retrieval',
    name: 'image ↔ text retrieval',
    inputs: [
      await describeInput(o.images),
      await describeInput(o.texts),
      ...(o.textMeta ? [await describeInput(o.textMeta)] : []),
    ],
    params: {
      images: images.n,
      texts: texts.n,
      captionsPerImage: o.textMeta ? 'from --text-meta' : (o.captionsPerImage ?? 1),
      similarity: 'cosine',
      rank: '1 + candidates scoring strictly higher; an image is found at its best caption',
    },
    timings: { total: seconds },
    metrics: { ...dir('imageToText', r.imageToText), ...dir('textToImage', r.textToImage) },
    series: {
      retrievalRecall: {
        x: [
          'image→text R@1',
          'image→text R@5',
          'image→text R@10',
          'text→image R@1',
          'text→image R@5',
          'text→image R@10',
        ],
        y: [
          r.imageToText.r1,
          r.imageToText.r5,
          r.imageToText.r10,
          r.textToImage.r1,
          r.textToImage.r5,
          r.textToImage.r10,
        ],
        xTitle: 'direction and K',
        yTitle: 'recall@K',
        title: 'Retrieval recall@K',
        mark: 'bar',
      },
    },
  });
  writeResult(o.outDir, result);
  return result;
}
