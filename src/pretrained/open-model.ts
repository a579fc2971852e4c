/**
 * One way to open a CLIP-style model for inference, whatever its form: an open_clip checkpoint folder
 * (`open_clip_config.json` + safetensors; built into ONNX graphs in memory) or a clade model directory (model.json
 * + `image.onnx` / `text.onnx`, e.g. written by `clade train`, `clade export` or `clade import`). Both give the same
 * interface: preprocessing, tokenizer, logit scale, and image / text embedding.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tokenizerFromJSON, clipTokenizer } from '../data/tokenizers/load-tokenizer.ts';
import type { Tokenizer } from '../data/tokenizers/tokenizer.ts';
import { decodeImage } from '../data/readers/decode-image.ts';
import type { Image } from '../data/types.ts';
import type { Embeddings } from '../io/embeddings.ts';
import { readSafetensors } from '../io/safetensors.ts';
import { forwardOnnx } from '../train/export.ts';
import { readModelJson } from '../train/model-dir.ts';
import { CladeError } from '../util/errors.ts';
import {
  OPENAI_CLIP_MEAN,
  OPENAI_CLIP_STD,
  type OpenClipPreprocess,
} from '../checkpoints/open-clip-config.ts';
import { isOpenClipFolder, loadOpenClipFolder } from '../checkpoints/open-clip-folder.ts';
import { preprocessInto } from './preprocess.ts';
import { TowerSession } from './tower-session.ts';
import { checkTowerSize, towerSpecs } from './towers.ts';

export interface OpenedModel {
  readonly kind: 'open_clip' | 'clade';
  readonly dir: string;
  /** Identifies the weights (SHA-256 of the open_clip safetensors, or of a model directory's ONNX files). */
  readonly hash: string;
  /** s = exp(logit_scale): zero-shot logits are s·cos. */
  readonly scale: number;
  readonly logitBias?: number;
  readonly tokenizer: Tokenizer;
  readonly preprocess: OpenClipPreprocess;
  /** Image embeddings of preprocessed pixels [N, 3, H, W] → [N, D] (not normalised). */
  embedPixels(pixels: Float32Array, n: number, onProgress?: (done: number) => void): Promise<Embeddings>;
  /** Text embeddings, one row per text (not normalised). */
  embedTexts(texts: readonly string[], onProgress?: (done: number) => void): Promise<Embeddings>;
  release(): Promise<void>;
}

/** Preprocess decoded images into one [N, 3, H, W] buffer. */
export function preprocessImages(pre: OpenClipPreprocess, images: readonly Image[]): Float32Array {
  const per = 3 * pre.size[0] * pre.size[1];
  const out = new Float32Array(images.length * per);
  images.forEach((img, i) => preprocessInto(pre, img, out, i * per));
  return out;
}

/**
 * Decode image files (JPEG, PNG, WebP; exact decode, as PIL) and embed them.
 *
 * @example
 * const e = await embedImageFiles(model, ['a.jpg', 'b.png']); // [2, D]
 */
export async function embedImageFiles(
  model: OpenedModel,
  files: readonly string[],
  onProgress?: (done: number) => void,
): Promise<Embeddings> {
  const chunk = 256;
  const parts: Embeddings[] = [];
  for (let s = 0; s < files.length; s += chunk) {
    const imgs = await Promise.all(files.slice(s, s + chunk).map((f) => decodeImage(f)));
    const e = await model.embedPixels(preprocessImages(model.preprocess, imgs), imgs.length, (d) =>
      onProgress?.(s + d),
    );
    parts.push(e);
  }
  return concatRows(parts);
}

function concatRows(parts: readonly Embeddings[]): Embeddings {
  const n = parts.reduce((a, p) => a + p.n, 0);
  const d = parts[0]?.d ?? 0;
  const data = new Float32Array(n * d);
  let o = 0;
  for (const p of parts) {
    data.set(p.data, o);
    o += p.data.length;
  }
  return { data, n, d };
}

/** The pooling position of each row: open_clip's `text.argmax(dim=-1)` (the end-of-text id is the largest). */
export function argmaxPositions(ids: Int32Array, n: number, t: number): BigInt64Array {
  const out = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < t; j++) if (ids[i * t + j] > ids[i * t + best]) best = j;
    out[i] = BigInt(best);
  }
  return out;
}

/**
 * Open a model for inference: an open_clip folder or a clade model directory.
 *
 * @example
 * const m = await openModel('models/bioclip-2');
 * const txt = await m.embedTexts(['a photo of Corvus corax.']);
 */
export async function openModel(
  dir: string,
  opts: { batch?: number; threads?: number } = {},
): Promise<OpenedModel> {
  return isOpenClipFolder(dir) ? openOpenClip(dir, opts) : openCladeDir(dir, opts);
}

async function openOpenClip(dir: string, opts: { batch?: number; threads?: number }): Promise<OpenedModel> {
  const m = loadOpenClipFolder(dir);
  checkTowerSize(m.params.image, 'image', m.weightsFile);
  checkTowerSize(m.params.text, 'text', m.weightsFile);
  const batch = opts.batch ?? 32;
  const specs = towerSpecs(m.spec, batch);
  const [h, w] = m.spec.vision.image;
  const T = m.spec.text.context;
  const image = await TowerSession.create(
    forwardOnnx({ image: m.params.image }, specs.image, 'open_clip-image'),
    {
      image: { shape: [batch, 3, h, w], dtype: 'float32' },
    },
    opts,
  );
  const text = await TowerSession.create(
    forwardOnnx({ text: m.params.text }, specs.text, 'open_clip-text'),
    {
      ids: { shape: [batch, T], dtype: 'int64' },
      eot: { shape: [batch], dtype: 'int64' },
    },
    opts,
  );
  const tokenizer = clipTokenizer(T);
  return {
    kind: 'open_clip',
    dir,
    hash: m.sha256,
    scale: Math.exp(m.params.logitScale),
    logitBias: m.params.logitBias,
    tokenizer,
    preprocess: m.spec.preprocess,
    embedPixels: (pixels, n, onProgress) => image.run({ image: pixels }, n, onProgress),
    async embedTexts(texts, onProgress) {
      const tok = tokenizer.encode(texts);
      const eot = argmaxPositions(tok.ids, texts.length, T);
      return text.run({ ids: BigInt64Array.from(tok.ids, BigInt), eot }, texts.length, onProgress);
    },
    async release() {
      await image.release();
      await text.release();
    },
  };
}

const nums = (v: unknown): number[] | null =>
  Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : null;

async function openCladeDir(dir: string, opts: { threads?: number }): Promise<OpenedModel> {
  const model = readModelJson(dir);
  const file = join(dir, 'model.json');
  const it = model.towers.image;
  const tt = model.towers.text;
  if (!it || !tt)
    throw new CladeError(
      `an image and a text tower are needed (has: ${Object.keys(model.towers).join(', ')})`,
      { file },
    );
  const [imageInput, ispec] = Object.entries(it.inputs)[0];
  if (ispec.shape.length !== 4 || ispec.shape[1] !== 3)
    throw new CladeError(`expected an RGB [B, 3, H, W] image input, got [${ispec.shape}]`, {
      file,
      field: `towers.image.inputs.${imageInput}`,
    });
  if (!tt.inputs.ids || !tt.inputs.eot)
    throw new CladeError(`expected text tower inputs 'ids' and 'eot'`, { file, field: 'towers.text.inputs' });
  const desc = model.description as Record<string, unknown>;
  if (!desc.tokenizer)
    throw new CladeError('model.json records no tokenizer', { file, field: 'description.tokenizer' });
  const T = tt.inputs.ids.shape[1];
  const tokenizer = tokenizerFromJSON(desc.tokenizer, T, file);
  const pre = ((desc.image as Record<string, unknown> | undefined)?.preprocessing ?? {}) as Record<
    string,
    unknown
  >;
  const norm = (pre.normalize ?? {}) as Record<string, unknown>;
  const preprocess: OpenClipPreprocess = {
    size: [ispec.shape[2], ispec.shape[3]],
    mean: (nums(pre.mean) ?? nums(norm.mean) ?? [...OPENAI_CLIP_MEAN]) as unknown as [number, number, number],
    std: (nums(pre.std) ?? nums(norm.std) ?? [...OPENAI_CLIP_STD]) as unknown as [number, number, number],
    interpolation: pre.interpolation === 'bilinear' ? 'bilinear' : 'bicubic',
    resizeMode: pre.resizeMode === 'longest' || pre.resizeMode === 'squash' ? pre.resizeMode : 'shortest',
    fillColor: typeof pre.fillColor === 'number' ? pre.fillColor : 0,
  };
  const hash = createHash('sha256');
  for (const f of [it.file, tt.file]) hash.update(readFileSync(join(dir, f)));
  let logScale = Math.log(100);
  let logitBias: number | undefined;
  const weights = join(dir, 'weights.safetensors');
  if (existsSync(weights)) {
    const w = readSafetensors(weights);
    const s = w.get('logitScale');
    if (s?.dtype === 'F32') logScale = (s.data as Float32Array)[0];
    const b = w.get('logitBias');
    if (b?.dtype === 'F32') logitBias = (b.data as Float32Array)[0];
  }
  const asInputs = (inputs: Record<string, { shape: number[]; dtype: string }>) =>
    Object.fromEntries(
      Object.entries(inputs).map(([k, v]) => [
        k,
        { shape: v.shape, dtype: v.dtype === 'int64' ? 'int64' : 'float32' } as const,
      ]),
    );
  const image = await TowerSession.create(join(dir, it.file), asInputs(it.inputs), opts);
  const text = await TowerSession.create(join(dir, tt.file), asInputs(tt.inputs), opts);
  return {
    kind: 'clade',
    dir,
    hash: hash.digest('hex'),
    scale: Math.exp(logScale),
    logitBias,
    tokenizer,
    preprocess,
    embedPixels: (pixels, n, onProgress) => image.run({ [imageInput]: pixels }, n, onProgress),
    async embedTexts(texts, onProgress) {
      const tok = tokenizer.encode(texts);
      return text.run(
        { ids: BigInt64Array.from(tok.ids, BigInt), eot: BigInt64Array.from(tok.eotIndex, BigInt) },
        texts.length,
        onProgress,
      );
    },
    async release() {
      await image.release();
      await text.release();
    },
  };
}
