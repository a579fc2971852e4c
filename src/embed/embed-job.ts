/**
 * An embedding job before it runs: the model (a clade model directory or an open_clip folder), the resolved data
 * and how many rows it covers, and `embedRows(start, end)` to embed any contiguous range of them. `embedToFile`
 * embeds all rows at once; a shard job (`embed-shard.ts`) embeds its range chunk by chunk.
 */
import { isOpenClipFolder } from '../checkpoints/open-clip-folder.ts';
import { embedPretrained, openClipModelInfo } from '../pretrained/embed-pretrained.ts';
import { readModelJson } from '../train/model-dir.ts';
import type { Taxonomy } from '../data/taxonomy/taxonomy.ts';
import type { Dataset } from '../data/types.ts';
import { CladeError } from '../util/errors.ts';
import { resolveEmbedData, type EmbedData } from './data-spec.ts';
import { embedDataset, imagePreprocessing, type EmbedResult } from './embed.ts';

export interface EmbedJobOptions {
  readonly tower?: 'image' | 'tabular' | 'text';
  /** With the text tower: which of `Sample.texts` to embed (default: the first caption). */
  readonly textType?: string;
  /** Embed only the first N samples (after `offset`). */
  readonly limit?: number;
  /** Skip the first N samples: with `limit`, embeds the range [offset, offset + limit); ids stay the samples' own. */
  readonly offset?: number;
  /** Class names by label id, replacing the data's own (e.g. Fashion-MNIST's for an IDX pair). */
  readonly classNames?: readonly string[];
  /** Warnings (e.g. a model that records no normalisation). */
  readonly warn?: (message: string) => void;
}

export interface EmbedJob {
  /** The data from `offset` on, with `classNames` in place of its own. */
  readonly data: EmbedData;
  /** Rows the job covers: min(data length − offset, limit). */
  readonly total: number;
  /** Written to every output's metadata: clade version, model, data spec, recipe. */
  readonly meta: Record<string, string>;
  readonly taxonomy?: Taxonomy;
  /** Embed rows [start, end) of the data (ids and labels as `embedDataset` gives them). */
  embedRows(start: number, end: number, onProgress?: (done: number) => void): Promise<EmbedResult>;
}

/** Rows [start, end) of a dataset as a dataset of its own (the samples keep their ids). */
const sliceDataset = (ds: Dataset, start: number, end: number): Dataset => ({
  name: ds.name,
  length: end - start,
  get: (i: number) => ds.get(start + i),
});

/**
 * Resolve the model and the data of an embedding job; throws a `CladeError` for empty data.
 *
 * @example
 * const job = await openEmbedJob('runs/x/model', 'synthetic-taxonomy:test');
 * const { embeddings } = await job.embedRows(0, job.total);
 */
export async function openEmbedJob(
  modelDir: string,
  spec: string,
  o: EmbedJobOptions = {},
): Promise<EmbedJob> {
  const openClip = isOpenClipFolder(modelDir);
  const model = openClip ? openClipModelInfo(modelDir) : readModelJson(modelDir);
  const cfg = (model.description.config ?? {}) as { seed?: number; size?: number };
  const resolved = await resolveEmbedData(spec, { seed: cfg.seed, size: cfg.size });
  const offset = o.offset ?? 0;
  if (offset >= resolved.dataset.length && resolved.dataset.length > 0)
    throw new CladeError(`--offset ${offset} is past the last of ${resolved.dataset.length} samples`, {
      data: spec,
    });
  const n = resolved.dataset.length;
  const data: EmbedData = {
    ...resolved,
    dataset: offset ? sliceDataset(resolved.dataset, offset, n) : resolved.dataset,
  };
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
  const tower = o.tower ?? 'image';
  if (tower === 'image' && !openClip && imagePreprocessing(modelDir).assumedStats)
    o.warn?.('model.json records no mean/std: using the OpenAI CLIP statistics (clipEvalView)');
  const embed = openClip ? embedPretrained : embedDataset;
  return {
    data,
    total,
    meta: { clade: model.clade, model: modelDir, data: spec, recipe: String(model.description.recipe ?? '') },
    taxonomy: (resolved.dataset as { taxonomy?: Taxonomy }).taxonomy,
    embedRows: (start, end, onProgress) => {
      if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= total))
        throw new CladeError(`row range [${start}, ${end}) outside [0, ${total})`, { data: spec });
      return embed(
        modelDir,
        { ...data, dataset: sliceDataset(data.dataset, start, end) },
        { tower, textType: o.textType, onProgress: (done) => onProgress?.(done), warn: o.warn },
      );
    },
  };
}
