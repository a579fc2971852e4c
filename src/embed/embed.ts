/**
 * Embedding through a model directory's exported towers — the library behind `clade embed` and the demo:
 * - images of a dataset: decode (when encoded), match the model's channels, preprocess with the model's recorded
 *   evaluation transform (resize shorter side + centre crop, bicubic, then its mean/std: `clipEvalView`), and run
 *   the image tower in chunks (`embedDataset`); or an already stacked image array (`embedImages`);
 * - texts (a .txt file, a dataset's captions, or strings), tokenised with the tokenizer model.json records
 *   (`embedTexts`);
 * - raw tabular features through the tabular tower.
 */
import { withImage } from '../data/readers/decode-image.ts';
import { withChannels } from '../data/augment/color.ts';
import { OPENAI_MEAN, OPENAI_STD } from '../data/augment/pixel-ops.ts';
import { clipEvalView } from '../data/augment/views.ts';
import type { Image, Sample } from '../data/types.ts';
import type { Pipeline } from '../data/loader/loader-types.ts';
import { unknownWordsWarning } from '../data/tokenizers/unknown-words.ts';
import { tokenizerFromJSON } from '../data/tokenizers/load-tokenizer.ts';
import type { Tokenizer } from '../data/tokenizers/tokenizer.ts';
import type { Embeddings } from '../io/embeddings.ts';
import { readModelJson, runTower } from '../train/model-dir.ts';
import { CladeError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import type { EmbedData } from './data-spec.ts';

/** The image preprocessing a model directory records (model.json description.image.preprocessing). */
export interface ImagePreprocessing {
  readonly channels: number;
  readonly size: number;
  readonly mean: readonly number[] | null;
  readonly std: readonly number[] | null;
  /** The image tower's input name. */
  readonly input: string;
  /** True when model.json records no mean/std and the OpenAI CLIP statistics (`clipEvalView`'s) are assumed. */
  readonly assumedStats: boolean;
}

const nums = (v: unknown): number[] | null =>
  Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : null;

/**
 * Read a model directory's image preprocessing; the input shape comes from the exported graph, the normalisation
 * from `description.image.preprocessing` (`mean`/`std`, or `normalize: { mean, std }`, or `normalize: null`).
 *
 * @example
 * imagePreprocessing('runs/x/model'); // { channels: 3, size: 32, mean: [0.481, …], std: [0.268, …], input: 'image' }
 */
export function imagePreprocessing(modelDir: string): ImagePreprocessing {
  const model = readModelJson(modelDir);
  const tower = model.towers.image;
  if (!tower) throw new CladeError('model has no image tower', { file: `${modelDir}/model.json` });
  const [input, spec] = Object.entries(tower.inputs)[0];
  const [, channels, h, w] = spec.shape;
  if (spec.shape.length !== 4 || h !== w)
    throw new CladeError(`expected a square [B, C, H, W] image input, got [${spec.shape}]`, {
      file: `${modelDir}/model.json`,
      field: `towers.image.inputs.${input}`,
    });
  const image = (model.description.image ?? {}) as Record<string, unknown>;
  const pre = (image.preprocessing ?? {}) as Record<string, unknown>;
  const norm = pre.normalize as Record<string, unknown> | null | undefined;
  if (norm === null) return { channels, size: h, mean: null, std: null, input, assumedStats: false };
  const mean = nums(pre.mean) ?? nums(norm?.mean);
  const std = nums(pre.std) ?? nums(norm?.std);
  if (mean && std) return { channels, size: h, mean, std, input, assumedStats: false };
  return { channels, size: h, mean: [...OPENAI_MEAN], std: [...OPENAI_STD], input, assumedStats: true };
}

export interface EmbedResult {
  readonly embeddings: Embeddings;
  readonly ids: string[];
  readonly labels: Int32Array; /* [N], -1 where unlabelled */
}

/**
 * Embed a dataset (optionally only its first `limit` samples) through the model's image tower.
 *
 * @example
 * const data = await resolveEmbedData('synthetic-taxonomy:test:5', { seed: 0 });
 * const { embeddings, ids, labels } = await embedDataset('runs/x/model', data);
 */
export async function embedDataset(
  modelDir: string,
  data: EmbedData,
  o: {
    tower?: 'image' | 'tabular' | 'text';
    /** With the text tower: which of `Sample.texts` to embed (default: the first caption). */
    textType?: string;
    limit?: number;
    chunk?: number;
    onProgress?: (done: number, total: number) => void;
    /** Warnings (e.g. texts whose words the model's tokenizer does not know). */
    warn?: (message: string) => void;
  } = {},
): Promise<EmbedResult> {
  if (o.tower === 'tabular') return embedTabular(modelDir, data, o);
  if (o.tower === 'text') return embedTextData(modelDir, data, o);
  const pre = imagePreprocessing(modelDir);
  const view = clipEvalView({
    size: pre.size,
    normalize: pre.mean && pre.std ? { mean: pre.mean, std: pre.std } : null,
  });
  const ds = data.dataset;
  const n = Math.min(ds.length, o.limit ?? Infinity);
  const per = pre.channels * pre.size * pre.size;
  const chunk = Math.max(1, o.chunk ?? 2048);
  const ids: string[] = [];
  const labels = new Int32Array(n).fill(-1);
  let out: Float32Array | null = null;
  let d = 0;
  const rng = new Rng(0); // the eval view is deterministic; it draws nothing
  for (let start = 0; start < n; start += chunk) {
    const rows = Math.min(chunk, n - start);
    const buf = new Float32Array(rows * per);
    for (let j = 0; j < rows; j++) {
      const s = await withImage(ds.get(start + j), { channels: pre.channels === 1 ? 1 : 3 });
      if (!s.image) throw new CladeError('sample has no image', { sample: s.id });
      view.forward(withChannels(s.image, pre.channels), rng, buf, j * per);
      ids.push(s.id);
      if (s.label !== undefined && s.label >= 0) labels[start + j] = s.label;
    }
    const e = await runTower(modelDir, 'image', { [pre.input]: buf }, rows, (done) =>
      o.onProgress?.(start + done, n),
    );
    d = e.d;
    out ??= new Float32Array(n * d);
    out.set(e.data, start * d);
  }
  return { embeddings: { data: out ?? new Float32Array(0), n, d }, ids, labels };
}

/** Raw tabular features ([N, F], `Sample.tabular`) through the model's tabular tower. */
async function embedTabular(
  modelDir: string,
  data: EmbedData,
  o: { limit?: number; onProgress?: (done: number, total: number) => void },
): Promise<EmbedResult> {
  const model = readModelJson(modelDir);
  const tower = model.towers.tabular;
  if (!tower)
    throw new CladeError(`model has no tabular tower (has: ${Object.keys(model.towers).join(', ')})`, {
      file: `${modelDir}/model.json`,
    });
  const [input, spec] = Object.entries(tower.inputs)[0];
  const F = spec.shape[1];
  const ds = data.dataset;
  const n = Math.min(ds.length, o.limit ?? Infinity);
  const x = new Float32Array(n * F);
  const ids: string[] = [];
  const labels = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const s = ds.get(i);
    if (!s.tabular || s.tabular.length !== F)
      throw new CladeError(`expected ${F} tabular features, got ${s.tabular?.length ?? 'none'}`, {
        sample: s.id,
      });
    x.set(s.tabular, i * F);
    ids.push(s.id);
    if (s.label !== undefined && s.label >= 0) labels[i] = s.label;
  }
  const embeddings = await runTower(modelDir, 'tabular', { [input]: x }, n, (done) =>
    o.onProgress?.(done, n),
  );
  return { embeddings, ids, labels };
}

/** The text of a sample: `texts[textType]` when asked for (e.g. `taxon`, `sci_com`), else its first caption. */
function textOf(s: Sample, textType: string | undefined): string {
  if (textType !== undefined) {
    const t = s.texts?.[textType];
    if (t === undefined)
      throw new CladeError(
        `no '${textType}' text (has: ${Object.keys(s.texts ?? {}).join(', ') || 'none'})`,
        { sample: s.id },
      );
    return t;
  }
  const c = s.captions?.[0];
  if (c === undefined) throw new CladeError('sample has no caption', { sample: s.id });
  return c;
}

/** The texts of a dataset (`Sample.texts[textType]` or first captions) through the text tower. */
async function embedTextData(
  modelDir: string,
  data: EmbedData,
  o: {
    limit?: number;
    textType?: string;
    onProgress?: (done: number, total: number) => void;
    warn?: (message: string) => void;
  },
): Promise<EmbedResult> {
  const ds = data.dataset;
  const n = Math.min(ds.length, o.limit ?? Infinity);
  const texts: string[] = [];
  const ids: string[] = [];
  const labels = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const s = ds.get(i);
    texts.push(textOf(s, o.textType));
    ids.push(s.id);
    if (s.label !== undefined && s.label >= 0) labels[i] = s.label;
  }
  const embeddings = await embedTexts(modelDir, texts, {
    onProgress: (done) => o.onProgress?.(done, n),
    warn: o.warn,
  });
  return { embeddings, ids, labels };
}

/** The tokenizer model.json records for the text tower (its context from the exported `ids` input). */
function recordedTokenizer(modelDir: string): Tokenizer {
  const model = readModelJson(modelDir);
  const file = `${modelDir}/model.json`;
  const tower = model.towers.text;
  if (!tower)
    throw new CladeError(`model has no text tower (has: ${Object.keys(model.towers).join(', ')})`, { file });
  if (!tower.inputs.ids || !tower.inputs.eot)
    throw new CladeError(
      `expected text tower inputs 'ids' and 'eot', got ${Object.keys(tower.inputs).join(', ')}`,
      { file },
    );
  if (!model.description.tokenizer)
    throw new CladeError('model.json records no tokenizer', { file, field: 'description.tokenizer' });
  return tokenizerFromJSON(model.description.tokenizer, tower.inputs.ids.shape[1], file);
}

/**
 * Text embeddings [N, D] through a model directory's text tower (inputs `ids` [B, T] and `eot` [B], end-token
 * pooled), tokenised with `o.tokenizer` or else the tokenizer model.json records.
 *
 * @example
 * const classText = await embedTexts('runs/x/model', ['a photo of Aves.', 'a photo of Mammalia.']);
 */
export async function embedTexts(
  modelDir: string,
  texts: readonly string[],
  o: { tokenizer?: Tokenizer; onProgress?: (done: number) => void; warn?: (message: string) => void } = {},
): Promise<Embeddings> {
  const tokenizer = o.tokenizer ?? recordedTokenizer(modelDir);
  // every word a word-level tokenizer does not know embeds as <unk>: say so rather than embed them all alike
  const unknown = o.warn && unknownWordsWarning(tokenizer, texts, 'texts');
  if (unknown) o.warn!(unknown);
  const tok = tokenizer.encode(texts);
  return runTower(
    modelDir,
    'text',
    { ids: BigInt64Array.from(tok.ids, BigInt), eot: BigInt64Array.from(tok.eotIndex, BigInt) },
    texts.length,
    o.onProgress,
  );
}

/** Every sample of a pipeline's dataset, transformed (eval mode: deterministic) and stacked NCHW. */
export async function stackImages(p: Pipeline): Promise<{ images: Float32Array; samples: Sample[] }> {
  const n = p.dataset.length;
  const samples: Sample[] = [];
  let images: Float32Array | null = null;
  let per = 0;
  for (let i = 0; i < n; i++) {
    const s = await p.dataset.get(i);
    const item = await p.transform(s, new Rng(i));
    const v = item.views![0];
    per = v.data.length;
    images ??= new Float32Array(n * per);
    images.set(v.data, i * per);
    samples.push(s);
  }
  return { images: images ?? new Float32Array(0), samples };
}

/** Image embeddings [N, D] of a stacked image array [N, 3, S, S] through a model directory's image tower. */
export async function embedImages(modelDir: string, images: Float32Array, n: number): Promise<Embeddings> {
  return runTower(modelDir, 'image', { image: images }, n);
}
