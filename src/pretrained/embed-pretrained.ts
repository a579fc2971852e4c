/**
 * `clade embed` with a pretrained model (an open_clip folder, or any model `openModel` opens): images decoded exactly
 * and preprocessed as open_clip's eval transform, or texts (one per line of a .txt, or a dataset's captions)
 * tokenised with the CLIP BPE.
 */
import { withImage } from '../data/readers/decode-image.ts';
import { CLADE_VERSION } from '../train/model-dir.ts';
import type { Dataset, Sample } from '../data/types.ts';
import type { Embeddings } from '../io/embeddings.ts';
import { CladeError } from '../util/errors.ts';
import { openModel } from './open-model.ts';
import { preprocessInto } from './preprocess.ts';

function textOf(s: Sample, textType: string | undefined): string {
  const t = textType !== undefined ? s.texts?.[textType] : s.captions?.[0];
  if (t === undefined)
    throw new CladeError(textType ? `no '${textType}' text` : 'sample has no caption', { sample: s.id });
  return t;
}

/**
 * Embed a dataset's images (or, with `tower: 'text'`, its texts) with a pretrained model.
 *
 * @example
 * const r = await embedPretrained('models/bioclip-2', await resolveEmbedData('photos/'), {});
 */
export async function embedPretrained(
  dir: string,
  data: { readonly dataset: Dataset },
  o: {
    tower?: 'image' | 'text' | 'tabular';
    textType?: string;
    limit?: number;
    onProgress?: (done: number, total: number) => void;
  },
): Promise<{ embeddings: Embeddings; ids: string[]; labels: Int32Array }> {
  if (o.tower === 'tabular') throw new CladeError('a CLIP model has no tabular tower', { file: dir });
  const model = await openModel(dir);
  try {
    const ds = data.dataset;
    const n = Math.min(ds.length, o.limit ?? Infinity);
    const ids: string[] = [];
    const labels = new Int32Array(n).fill(-1);
    if (o.tower === 'text') {
      const texts: string[] = [];
      for (let i = 0; i < n; i++) {
        const s = ds.get(i);
        texts.push(textOf(s, o.textType));
        ids.push(s.id);
        if (s.label !== undefined && s.label >= 0) labels[i] = s.label;
      }
      const embeddings = await model.embedTexts(texts, (d) => o.onProgress?.(d, n));
      return { embeddings, ids, labels };
    }
    const [h, w] = model.preprocess.size;
    const per = 3 * h * w;
    const chunk = 256;
    let out: Float32Array | null = null;
    let d = 0;
    for (let start = 0; start < n; start += chunk) {
      const rows = Math.min(chunk, n - start);
      const buf = new Float32Array(rows * per);
      for (let j = 0; j < rows; j++) {
        const s = await withImage(ds.get(start + j));
        if (!s.image) throw new CladeError('sample has no image', { sample: s.id });
        preprocessInto(model.preprocess, s.image, buf, j * per);
        ids.push(s.id);
        if (s.label !== undefined && s.label >= 0) labels[start + j] = s.label;
      }
      const e = await model.embedPixels(buf, rows, (done) => o.onProgress?.(start + done, n));
      d = e.d;
      out ??= new Float32Array(n * d);
      out.set(e.data, start * d);
    }
    return { embeddings: { data: out ?? new Float32Array(0), n, d }, ids, labels };
  } finally {
    await model.release();
  }
}

/** What `clade embed` reads from model.json, for an open_clip folder (which has none). */
export function openClipModelInfo(dir: string): { clade: string; description: Record<string, unknown> } {
  return { clade: CLADE_VERSION, description: { recipe: 'open_clip', source: dir } };
}
