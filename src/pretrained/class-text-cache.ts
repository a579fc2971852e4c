/**
 * Class-text embeddings (templates applied, each embedded, normalised, averaged, normalised: `classEmbeddings`)
 * computed once per model + label list + templates and cached next to the model in `.clade-cache/` (or in
 * `$XDG_CACHE_HOME/clade` / `~/.cache/clade` when the model folder is read-only).
 */
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { classEmbeddings } from '../analysis/zero-shot.ts';
import { applyTemplate } from '../data/taxonomy/text-types.ts';
import type { Embeddings } from '../io/embeddings.ts';
import { readSafetensors, writeSafetensors } from '../io/safetensors.ts';
import type { OpenedModel } from './open-model.ts';

function cacheDir(modelDir: string): string {
  try {
    accessSync(modelDir, constants.W_OK);
    return join(modelDir, '.clade-cache');
  } catch {
    return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'clade');
  }
}

/** The cache key: SHA-256 of the model hash, the class texts and the templates. */
export function classTextKey(
  modelHash: string,
  classTexts: readonly string[],
  templates: readonly string[],
): string {
  return createHash('sha256')
    .update(JSON.stringify({ model: modelHash, classes: classTexts, templates }))
    .digest('hex');
}

/**
 * Class weights W [K, D] (unit rows) for `classTexts` under `templates`, from the cache when present.
 *
 * @example
 * const { W, cached } = await classTextEmbeddings(model, ['Corvus corax', 'Pica pica'], ['a photo of {c}.']);
 */
export async function classTextEmbeddings(
  model: OpenedModel,
  classTexts: readonly string[],
  templates: readonly string[],
  onProgress?: (done: number, total: number) => void,
): Promise<{ W: Embeddings; cached: boolean; file: string }> {
  const key = classTextKey(model.hash, classTexts, templates);
  const dir = cacheDir(model.dir);
  const file = join(dir, `class-text-${key.slice(0, 32)}.safetensors`);
  if (existsSync(file)) {
    const t = readSafetensors(file).get('classes');
    if (t && t.dtype === 'F32' && t.shape.length === 2 && t.shape[0] === classTexts.length)
      return { W: { data: t.data as Float32Array, n: t.shape[0], d: t.shape[1] }, cached: true, file };
  }
  const texts = classTexts.flatMap((c) => templates.map((t) => applyTemplate(t, c)));
  const emb = await model.embedTexts(texts, (d) => onProgress?.(d, texts.length));
  const W = classEmbeddings(emb, { templatesPerClass: templates.length });
  mkdirSync(dir, { recursive: true });
  writeSafetensors(
    file,
    { classes: { dtype: 'F32', shape: [W.n, W.d], data: W.data } },
    { key, model: model.hash, classes: String(classTexts.length), templates: String(templates.length) },
  );
  return { W, cached: false, file };
}
