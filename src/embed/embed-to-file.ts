/**
 * `clade embed` as a library call: a model (a clade model directory or an open_clip folder) and a data spec in,
 * an embeddings file out (format by extension, written atomically).
 */
import { isOpenClipFolder } from '../checkpoints/open-clip-folder.ts';
import { embedPretrained, openClipModelInfo } from '../pretrained/embed-pretrained.ts';
import { readModelJson } from '../train/model-dir.ts';
import { resolveEmbedData } from './data-spec.ts';
import { embedDataset, imagePreprocessing } from './embed.ts';
import { checkEmbedOutput, writeEmbedOutput } from './output.ts';
import { checkOutputFile } from '../io/output-path.ts';
import { writeClassTable, writeSampleMeta } from '../io/label-tables.ts';
import type { Taxonomy } from '../data/taxonomy/taxonomy.ts';
import type { Dataset } from '../data/types.ts';
import { CladeError } from '../util/errors.ts';

export interface EmbedToFileOptions {
  readonly tower?: 'image' | 'tabular' | 'text';
  /** With the text tower: which of `Sample.texts` to embed (default: the first caption). */
  readonly textType?: string;
  /** Embed only the first N samples (after `offset`). */
  readonly limit?: number;
  /** Skip the first N samples: with `limit`, embeds the range [offset, offset + limit); ids stay the samples' own. */
  readonly offset?: number;
  /** Class names by label id, replacing the data's own (e.g. Fashion-MNIST's for an IDX pair). */
  readonly classNames?: readonly string[];
  /** Called once with the number of samples to embed, before the first. */
  readonly onStart?: (total: number) => void;
  readonly onProgress?: (done: number, total: number) => void;
  /** Also write one row per sample (id, label, name, one column per taxonomic rank) to this CSV. */
  readonly metaOut?: string;
  /** Also write one row per class (name and ranks) to this CSV. */
  readonly classesOut?: string;
  /** Warnings (e.g. a model that records no normalisation). */
  readonly warn?: (message: string) => void;
}

/**
 * Embed the data `spec` names (see `resolveEmbedData`) with `modelDir`'s tower and write `out`.
 *
 * @example
 * const r = await embedToFile('runs/x/model', 'synthetic-taxonomy:test', 'emb.parquet'); // r.n × r.d
 */
export async function embedToFile(
  modelDir: string,
  spec: string,
  out: string,
  o: EmbedToFileOptions = {},
): Promise<{ describe: string; n: number; d: number; available: number }> {
  // every output path is checked before anything is computed
  checkEmbedOutput(out);
  if (o.metaOut) checkOutputFile(o.metaOut, 'the --meta file');
  if (o.classesOut) checkOutputFile(o.classesOut, 'the --classes file');
  const openClip = isOpenClipFolder(modelDir);
  const model = openClip ? openClipModelInfo(modelDir) : readModelJson(modelDir);
  const cfg = (model.description.config ?? {}) as { seed?: number; size?: number };
  const resolved = await resolveEmbedData(spec, { seed: cfg.seed, size: cfg.size });
  const taxonomy = (resolved.dataset as { taxonomy?: Taxonomy }).taxonomy;
  const offset = o.offset ?? 0;
  if (offset >= resolved.dataset.length && resolved.dataset.length > 0)
    throw new CladeError(`--offset ${offset} is past the last of ${resolved.dataset.length} samples`, {
      data: spec,
    });
  const data = { ...resolved, dataset: rangeOf(resolved.dataset, offset) };
  if (o.classNames) {
    if (!resolved.labelNames && !o.classNames.length)
      throw new CladeError('no class names given', { option: '--class-names' });
    if (resolved.labelNames && o.classNames.length < resolved.labelNames.length)
      throw new CladeError(`${o.classNames.length} class names for ${resolved.labelNames.length} classes`, {
        option: '--class-names',
      });
    (data as { labelNames?: readonly string[] }).labelNames = o.classNames;
  }
  const total = Math.min(data.dataset.length, o.limit ?? Infinity);
  if (total === 0) throw new CladeError('no samples to embed: the data is empty', { data: spec });
  if (o.classesOut && !data.labelNames)
    throw new CladeError('the data has no class names for --classes', { data: spec });
  o.onStart?.(total);
  const tower = o.tower ?? 'image';
  if (tower === 'image' && !openClip && imagePreprocessing(modelDir).assumedStats)
    o.warn?.('model.json records no mean/std: using the OpenAI CLIP statistics (clipEvalView)');
  const r = await (openClip ? embedPretrained : embedDataset)(modelDir, data, {
    tower,
    textType: o.textType,
    limit: o.limit,
    onProgress: o.onProgress,
    warn: o.warn,
  });
  writeEmbedOutput(out, {
    ...r,
    labelNames: data.labelNames,
    meta: { clade: model.clade, model: modelDir, data: spec, recipe: String(model.description.recipe ?? '') },
  });
  if (o.metaOut) writeSampleMeta(o.metaOut, r.ids, r.labels, data.labelNames, taxonomy);
  if (o.classesOut) writeClassTable(o.classesOut, data.labelNames!, taxonomy);
  return { describe: data.describe, n: r.embeddings.n, d: r.embeddings.d, available: data.dataset.length };
}

/** The samples from `offset` on, as a dataset (the dataset itself when offset is 0). */
function rangeOf(ds: Dataset, offset: number): Dataset {
  if (!offset) return ds;
  return { name: ds.name, length: ds.length - offset, get: (i) => ds.get(offset + i) };
}
