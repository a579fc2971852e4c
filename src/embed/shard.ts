/**
 * Sharded, resumable embedding: `embedShard` embeds shard i of n — the contiguous rows
 * [floor(i·N/n), floor((i+1)·N/n)) of the job's N rows — chunk by chunk into a part directory (src/io/embed-parts.ts),
 * continuing after the last committed chunk when the part exists; `mergeEmbedParts` joins the parts of all n
 * shards, in row order, into the one output a single job would write (the same bytes).
 */
import { basename, dirname, join, resolve } from 'node:path';
import {
  PART_FORMAT,
  commitPartChunk,
  markPartComplete,
  findPartDirs,
  partDir,
  readPartChunk,
  readPartJob,
  readPartProgress,
  writePartJob,
  type PartJob,
} from '../io/embed-parts.ts';
import { acquireRunLock } from '../io/run-lock.ts';
import { removeStaleTempFiles } from '../io/temp-files.ts';
import { CladeError } from '../util/errors.ts';
import { openEmbedJob, type EmbedJobOptions } from './embed-job.ts';
import { checkEmbedOutput, writeEmbedFile } from './output.ts';

/** Shard `index` of `count` (0-based: a Slurm array 0..n-1, or a Kubernetes Indexed Job's completion index). */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/**
 * Parse `i/n` (0 ≤ i < n).
 *
 * @example
 * parseShard('3/8'); // { index: 3, count: 8 }
 */
export function parseShard(s: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(s.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1 && index < count))
    throw new CladeError(`--shard: expected i/n with 0 ≤ i < n (e.g. 0/8), got '${s}'`);
  return { index, count };
}

/** Rows [start, end) of shard i of n over `total` rows: contiguous, in order, sizes differing by at most one. */
export const shardRange = (total: number, s: Shard) => ({
  start: Math.floor((s.index * total) / s.count),
  end: Math.floor(((s.index + 1) * total) / s.count),
});

export interface EmbedShardOptions extends EmbedJobOptions {
  /** Rows per committed chunk (default 4096): at most this much work is redone after a kill. */
  readonly chunk?: number;
  /** Called once with the shard's row count and the rows already committed by an earlier run. */
  readonly onStart?: (rows: number, resumed: number) => void;
  readonly onProgress?: (done: number, rows: number) => void;
  readonly log?: (line: string) => void;
}

/**
 * Embed shard `shard` of the job into `partDir(out, i, n)`, resuming after its last committed chunk. Returns the
 * part directory, the shard's rows and how many an earlier run had committed.
 *
 * @example
 * await embedShard('runs/x/model', 'cifar10:test_batch.bin', 'emb.parquet', { index: 2, count: 8 });
 * // → emb.parquet.parts/shard-00002-of-00008/, later: mergeEmbedParts('emb.parquet', ['emb.parquet.parts'])
 */
export async function embedShard(
  modelDir: string,
  spec: string,
  out: string,
  shard: Shard,
  o: EmbedShardOptions = {},
): Promise<{ dir: string; rows: number; resumed: number; d: number; describe: string }> {
  checkEmbedOutput(out);
  const chunk = o.chunk ?? 4096;
  if (!(Number.isInteger(chunk) && chunk > 0))
    throw new CladeError(`--chunk: expected a positive integer, got ${chunk}`);
  const dir = partDir(out, shard.index, shard.count);
  const lock = acquireRunLock(dir, o.log, 'clade embed --shard');
  try {
    removeStaleTempFiles(dir);
    const job = await openEmbedJob(modelDir, spec, o);
    const { start, end } = shardRange(job.total, shard);
    const want: PartJob = {
      format: PART_FORMAT,
      shard: shard.index,
      shards: shard.count,
      start,
      end,
      total: job.total,
      offset: o.offset ?? 0,
      chunk,
      tower: o.tower ?? 'image',
      textType: o.textType ?? null,
      meta: job.meta,
      labelNames: job.data.labelNames ? [...job.data.labelNames] : null,
    };
    const had = readPartJob(dir);
    if (had && JSON.stringify(had) !== JSON.stringify(want)) {
      const diff = (Object.keys(want) as (keyof PartJob)[]).filter(
        (k) => JSON.stringify(had[k]) !== JSON.stringify(want[k]),
      );
      throw new CladeError(
        `holds part of a different job (${diff.join(', ')} differ); remove it or write to another --out`,
        { file: dir },
      );
    }
    if (!had) writePartJob(dir, want);
    let progress = readPartProgress(dir);
    const resumed = progress.done;
    o.onStart?.(end - start, resumed);
    let d = 0;
    if (start === end && !progress.complete) progress = markPartComplete(dir, progress); // more shards than rows
    for (let row = start + progress.done; !progress.complete;) {
      const stop = Math.min(end, row + chunk);
      const from = row;
      const r = await job.embedRows(from, stop, (done) => o.onProgress?.(from - start + done, end - start));
      d = r.embeddings.d;
      progress = commitPartChunk(dir, progress, from, r, stop === end);
      row = stop;
    }
    if (!d && progress.chunks.length) d = readPartChunk(join(dir, progress.chunks[0])).embeddings.d;
    return { dir, rows: end - start, resumed, d, describe: job.data.describe };
  } finally {
    lock.release();
  }
}

/**
 * Merge the parts of a sharded job (part directories, or directories of them; default `<out>.parts`) into `out`,
 * in row order. Every shard 0..n-1 must be present once and complete, and all must come from the same job.
 *
 * @example
 * await mergeEmbedParts('emb.parquet', ['emb.parquet.parts']); // { n: 10000, d: 512, shards: 8 }
 */
export async function mergeEmbedParts(
  out: string,
  paths: readonly string[] = [`${out}.parts`],
): Promise<{ n: number; d: number; shards: number }> {
  checkEmbedOutput(out);
  const dirs = findPartDirs(paths);
  const parts = dirs.map((dir) => ({ dir, job: readPartJob(dir)!, progress: readPartProgress(dir) }));
  const first = parts[0].job;
  const same = (j: PartJob) =>
    JSON.stringify([j.shards, j.total, j.offset, j.tower, j.textType, j.meta, j.labelNames]) ===
    JSON.stringify([
      first.shards,
      first.total,
      first.offset,
      first.tower,
      first.textType,
      first.meta,
      first.labelNames,
    ]);
  const byShard = new Map<number, (typeof parts)[number]>();
  for (const p of parts) {
    if (!same(p.job))
      throw new CladeError(
        `comes from a different job than ${basename(parts[0].dir)} (shard count, rows, model, data or tower differ)`,
        { file: p.dir },
      );
    if (byShard.has(p.job.shard))
      throw new CladeError(`shard ${p.job.shard} appears twice (also ${byShard.get(p.job.shard)!.dir})`, {
        file: p.dir,
      });
    byShard.set(p.job.shard, p);
  }
  const missing = Array.from({ length: first.shards }, (_, i) => i).filter((i) => !byShard.has(i));
  if (missing.length)
    throw new CladeError(
      `missing shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${first.shards}`,
      { file: resolve(dirname(dirs[0])) },
    );
  const unfinished = [...byShard.values()].filter((p) => !p.progress.complete);
  if (unfinished.length)
    throw new CladeError(
      `unfinished: ${unfinished.map((p) => `shard ${p.job.shard} (${p.progress.done} of ${p.job.end - p.job.start} rows)`).join(', ')}; run those shards again (they resume)`,
      { file: unfinished[0].dir },
    );
  const chunks = [...byShard.keys()]
    .sort((a, b) => a - b)
    .flatMap((i) => byShard.get(i)!.progress.chunks.map((c) => readPartChunk(join(byShard.get(i)!.dir, c))));
  const n = chunks.reduce((a, c) => a + c.embeddings.n, 0);
  if (n !== first.total)
    throw new CladeError(`the parts hold ${n} rows, expected ${first.total}`, { file: dirs[0] });
  const d = chunks[0].embeddings.d;
  const data = new Float32Array(n * d);
  const labels = new Int32Array(n);
  const ids: string[] = [];
  let at = 0;
  for (const c of chunks) {
    if (c.embeddings.d !== d)
      throw new CladeError(`chunks of width ${c.embeddings.d} and ${d}`, { file: dirs[0] });
    data.set(c.embeddings.data, at * d);
    labels.set(c.labels, at);
    for (const id of c.ids) ids.push(id);
    at += c.embeddings.n;
  }
  await writeEmbedFile(out, {
    embeddings: { data, n, d },
    ids,
    labels,
    labelNames: first.labelNames ?? undefined,
    meta: first.meta,
  });
  return { n, d, shards: first.shards };
}
