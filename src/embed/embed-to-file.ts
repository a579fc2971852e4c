/**
 * `clade embed` as a library call: a model (a clade model directory or an open_clip folder) and a data spec in,
 * an embeddings file out (format by extension, written atomically).
 */
import { checkEmbedOutput, writeEmbedFile } from './output.ts';
import { openEmbedJob, type EmbedJobOptions } from './embed-job.ts';
import { checkOutputFile } from '../io/output-path.ts';
import { writeClassTable, writeSampleMeta } from '../io/label-tables.ts';
import { CladeError } from '../util/errors.ts';

export interface EmbedToFileOptions extends EmbedJobOptions {
  /** Called once with the number of samples to embed, before the first. */
  readonly onStart?: (total: number) => void;
  readonly onProgress?: (done: number, total: number) => void;
  /** Also write one row per sample (id, label, name, one column per taxonomic rank) to this CSV. */
  readonly metaOut?: string;
  /** Also write one row per class (name and ranks) to this CSV. */
  readonly classesOut?: string;
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
  const job = await openEmbedJob(modelDir, spec, o);
  const { data, total } = job;
  if (o.classesOut && !data.labelNames)
    throw new CladeError('the data has no class names for --classes', { data: spec });
  o.onStart?.(total);
  const r = await job.embedRows(0, total, (done) => o.onProgress?.(done, total));
  await writeEmbedFile(out, { ...r, labelNames: data.labelNames, meta: job.meta });
  if (o.metaOut) writeSampleMeta(o.metaOut, r.ids, r.labels, data.labelNames, job.taxonomy);
  if (o.classesOut) writeClassTable(o.classesOut, data.labelNames!, job.taxonomy);
  return { describe: data.describe, n: r.embeddings.n, d: r.embeddings.d, available: data.dataset.length };
}
