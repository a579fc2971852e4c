/**
 * The on-disk part of one shard of a sharded embedding job (`clade embed --shard i/n`), and reading parts back
 * for `clade embed merge`.
 *
 * A part is a directory `<out>.parts/shard-<i>-of-<n>/` holding
 *   job.json                  what the shard embeds (shard i of n, rows [start, end) of `total`, the chunk size,
 *                             the model/data metadata, class names, tower): a resumed job must match it
 *   chunk-<row>.safetensors   committed chunks: `embedding` F32 [rows, D], `label` I32 [rows], ids in the metadata
 *   progress.json             the committed chunks in order, rows done, and `complete` once all are in
 * Every file is written atomically (temporary file + rename) and a chunk counts only once progress.json lists it,
 * so a job killed at any instant leaves a part that continues where it stopped; nothing half-written is read.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Embeddings } from './embeddings.ts';
import { readSafetensorsWithMetadata, writeSafetensors } from './safetensors.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { CladeError } from '../util/errors.ts';

export const PART_FORMAT = 'clade-embed-part/1';

/** What a shard embeds; two runs of the same shard must agree on all of it. */
export interface PartJob {
  readonly format: typeof PART_FORMAT;
  readonly shard: number;
  readonly shards: number;
  /** Rows [start, end) of the job's `total` rows. */
  readonly start: number;
  readonly end: number;
  readonly total: number;
  /** The job's rows start at this sample of the data (`--offset`). */
  readonly offset: number;
  /** Rows per committed chunk. */
  readonly chunk: number;
  readonly tower: string;
  readonly textType: string | null;
  /** Metadata every output of the job carries (model, data spec, recipe, clade version). */
  readonly meta: Record<string, string>;
  readonly labelNames: readonly string[] | null;
}

export interface PartProgress {
  /** Rows committed, from `start`. */
  readonly done: number;
  readonly chunks: readonly string[];
  readonly complete: boolean;
}

/** The rows of one chunk. */
export interface PartChunk {
  readonly embeddings: Embeddings;
  readonly ids: readonly string[];
  readonly labels: Int32Array; /* [rows] */
}

const pad = (x: number, w: number) => String(x).padStart(w, '0');

/** The part directory of shard `shard` of `shards` for output `out`: `<out>.parts/shard-00002-of-00008`. */
export const partDir = (out: string, shard: number, shards: number) =>
  join(`${out}.parts`, `shard-${pad(shard, 5)}-of-${pad(shards, 5)}`);

const readJson = <T>(file: string): T => {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new CladeError(`unreadable: ${(e as Error).message}`, { file });
  }
};

/** The job a part directory records, or null when it has none yet. */
export function readPartJob(dir: string): PartJob | null {
  const f = join(dir, 'job.json');
  if (!existsSync(f)) return null;
  const j = readJson<PartJob>(f);
  if (j.format !== PART_FORMAT)
    throw new CladeError(`expected format '${PART_FORMAT}', got '${j.format}'`, { file: f });
  return j;
}

export const writePartJob = (dir: string, job: PartJob) =>
  writeFileAtomic(join(dir, 'job.json'), JSON.stringify(job, null, 1) + '\n');

/** The committed progress of a part (nothing yet: done 0). Every listed chunk must exist. */
export function readPartProgress(dir: string): PartProgress {
  const f = join(dir, 'progress.json');
  if (!existsSync(f)) return { done: 0, chunks: [], complete: false };
  const p = readJson<PartProgress>(f);
  for (const c of p.chunks)
    if (!existsSync(join(dir, c)))
      throw new CladeError(`progress.json lists ${c}, which is missing`, { file: f });
  return p;
}

/**
 * Commit one chunk (rows `row`.. of the job): the chunk file first, then progress.json naming it.
 *
 * @example
 * commitPartChunk(dir, progress, job.start + progress.done, { embeddings, ids, labels }, complete);
 */
export function commitPartChunk(
  dir: string,
  before: PartProgress,
  row: number,
  c: PartChunk,
  complete: boolean,
): PartProgress {
  const name = `chunk-${pad(row, 10)}.safetensors`;
  const { n, d, data } = c.embeddings;
  writeSafetensors(
    join(dir, name),
    { embedding: { dtype: 'F32', shape: [n, d], data }, label: { dtype: 'I32', shape: [n], data: c.labels } },
    { ids: JSON.stringify(c.ids) },
  );
  const after = { done: before.done + n, chunks: [...before.chunks, name], complete };
  writeFileAtomic(join(dir, 'progress.json'), JSON.stringify(after) + '\n');
  return after;
}

/** Mark a part complete with no further chunk (a shard with no rows). */
export function markPartComplete(dir: string, before: PartProgress): PartProgress {
  const after = { ...before, complete: true };
  writeFileAtomic(join(dir, 'progress.json'), JSON.stringify(after) + '\n');
  return after;
}

/** A chunk file's rows. */
export function readPartChunk(file: string): PartChunk {
  const { tensors, metadata } = readSafetensorsWithMetadata(file);
  const e = tensors.get('embedding');
  const l = tensors.get('label');
  if (!e || !l || e.shape.length !== 2)
    throw new CladeError('expected tensors embedding [rows, D] and label [rows]', { file });
  const ids = JSON.parse(metadata.ids ?? '[]') as string[];
  const [n, d] = e.shape;
  if (ids.length !== n || l.shape[0] !== n)
    throw new CladeError(`expected ${n} ids and labels, got ${ids.length} and ${l.shape[0]}`, { file });
  return { embeddings: { data: e.data as Float32Array, n, d }, ids, labels: l.data as Int32Array };
}

/**
 * The part directories `paths` name: each path is a part directory (it has job.json) or a directory of them
 * (e.g. `emb.parquet.parts`).
 */
export function findPartDirs(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (!existsSync(p) || !statSync(p).isDirectory())
      throw new CladeError('expected a shard part directory or a directory of them', { file: p });
    if (existsSync(join(p, 'job.json'))) out.push(p);
    else {
      const inner = readdirSync(p)
        .filter((f) => !f.startsWith('.') && existsSync(join(p, f, 'job.json')))
        .sort()
        .map((f) => join(p, f));
      if (!inner.length) throw new CladeError('no shard parts here (no */job.json)', { file: p });
      out.push(...inner);
    }
  }
  return out;
}
