import { CladeError } from '../../util/errors.ts';
import type { ResumableStreamDataset, Sample, StreamCursor, StreamDataset } from '../types.ts';
import { buildPipeline, type PipelineSource } from '../pipelines/index.ts';
import type { Batch, LoaderPosition, SampleTransform } from './loader-types.ts';
import { produceFromSamples } from './produce.ts';
import { WorkerPool } from './worker-pool.ts';

export interface StreamLoaderOptions {
  /** Read in the main thread, once per epoch, as `stream({ seed, epoch })` (WebDataset shards). */
  stream: StreamDataset;
  /** The per-sample transform (main thread only) … */
  transform?: SampleTransform;
  /** … or a pipeline-table source whose transform is used (required with workers > 0). */
  source?: PipelineSource;
  batchSize: number;
  seed?: number;
  dropLast?: boolean;
  epochs?: number;
  workers?: number;
  prefetch?: number;
  /**
   * Resume: with a resumable stream (`open`, e.g. WebDataset) and a position that carries its `stream` state, the
   * stream continues from that state; otherwise the first `step * batchSize` samples of that epoch are read and skipped.
   */
  start?: LoaderPosition;
}

/**
 * Batches from a stream (a dataset that can only be read in order, such as WebDataset shards). The stream is read
 * in the main thread; augmentation runs in worker threads when asked. Sample i of an epoch's stream is transformed
 * with the stream keyed by (seed, epoch, i), so batches do not depend on `workers` or `prefetch`, and resuming
 * from `position()` gives the same batches provided the stream is itself deterministic in (seed, epoch).
 *
 * @example
 * const loader = await StreamLoader.create({ stream: shards, source, batchSize: 256, seed: 42, workers: 2 });
 * for await (const b of loader) step(b.views[0]);
 */
export class StreamLoader implements AsyncIterable<Batch> {
  private pos: LoaderPosition;

  private constructor(
    private readonly o: StreamLoaderOptions & { seed: number; epochs: number; prefetch: number },
    private readonly transform: SampleTransform | null,
    private readonly pool: WorkerPool | null,
  ) {
    this.pos = o.start ?? { epoch: 0, step: 0 };
  }

  static async create(o: StreamLoaderOptions): Promise<StreamLoader> {
    if (!(Number.isInteger(o.batchSize) && o.batchSize > 0))
      throw new CladeError(`expected a positive integer batch size, got ${o.batchSize}`, {
        field: 'batchSize',
      });
    const workers = o.workers ?? 0;
    if (!o.transform === !o.source)
      throw new CladeError('give exactly one of transform and source', { field: 'loader' });
    if (workers > 0 && !o.source)
      throw new CladeError('worker threads need a pipeline source (a pipeline-table name)', {
        field: 'source',
      });
    const opts = {
      ...o,
      seed: o.seed ?? 0,
      epochs: o.epochs ?? 1,
      prefetch: Math.max(1, o.prefetch ?? Math.max(2, 2 * workers)),
    };
    if (workers > 0) {
      const { pool } = await WorkerPool.start(o.source!, opts.seed, workers, true);
      return new StreamLoader(opts, null, pool);
    }
    return new StreamLoader(opts, o.transform ?? (await buildPipeline(o.source!)).transform, null);
  }

  /** The next batch this loader will yield; pass it as `start` to resume there. */
  position(): LoaderPosition {
    return { ...this.pos };
  }

  private dispatch(epoch: number, step: number, samples: Sample[], first: number): Promise<Batch> {
    const b = this.pool
      ? this.pool.runSamples(epoch, step, samples, first)
      : produceFromSamples(this.transform!, this.o.seed, epoch, step, samples, first);
    b.catch(() => {}); // surfaced when awaited
    return b;
  }

  /** A cursor over one epoch: the stream's own (resumable) cursor, or one over `stream()` that skips `skip` samples. */
  private cursor(epoch: number, from: unknown, skip: number): StreamCursor {
    const s = this.o.stream as Partial<ResumableStreamDataset>;
    if (typeof s.open === 'function') {
      const c = s.open({ seed: this.o.seed, epoch, from });
      if (from !== undefined || skip === 0) return c;
      return skipping(c, skip);
    }
    const it = this.o.stream.stream({ seed: this.o.seed, epoch })[Symbol.asyncIterator]();
    return skipping(
      {
        next: async () => {
          const r = await it.next();
          return r.done ? undefined : r.value;
        },
        state: () => undefined,
        close: async () => void (await it.return?.()),
      },
      skip,
    );
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Batch> {
    const B = this.o.batchSize;
    const inflight: { epoch: number; step: number; batch: Promise<Batch>; after: unknown }[] = [];
    const take = async () => {
      const t = inflight.shift()!;
      const batch = await t.batch;
      this.pos = { epoch: t.epoch, step: t.step + 1, stream: t.after };
      return batch;
    };
    const start = this.pos;
    for (let epoch = start.epoch, step = start.step; epoch < this.o.epochs; epoch++, step = 0) {
      const resumable = typeof (this.o.stream as Partial<ResumableStreamDataset>).open === 'function';
      const resumed = resumable && epoch === start.epoch ? start.stream : undefined;
      const cursor = this.cursor(epoch, resumed, resumed === undefined ? step * B : 0);
      const copy = (): unknown => {
        const st = cursor.state();
        return st === undefined ? undefined : structuredClone(st);
      };
      let position = step * B;
      let pending: Sample[] = [];
      try {
        for (let sample = await cursor.next(); sample; sample = await cursor.next()) {
          pending.push(sample);
          if (pending.length < B) continue;
          inflight.push({
            epoch,
            step,
            batch: this.dispatch(epoch, step++, pending, position),
            after: copy(),
          });
          position += B;
          pending = [];
          while (inflight.length >= this.o.prefetch) yield await take();
        }
      } finally {
        await cursor.close();
      }
      if (pending.length && !this.o.dropLast)
        inflight.push({ epoch, step, batch: this.dispatch(epoch, step++, pending, position), after: copy() });
      // The next epoch starts where this one ended, even when a resume skipped the whole of it.
      if (!inflight.length) this.pos = { epoch: epoch + 1, step: 0 };
    }
    while (inflight.length) yield await take();
    this.pos = { epoch: this.o.epochs, step: 0 };
  }

  /** Stops the worker threads. */
  async close(): Promise<void> {
    await this.pool?.close();
  }
}

/** A cursor that first reads and drops `skip` samples (resuming a stream that cannot seek). */
function skipping(c: StreamCursor, skip: number): StreamCursor {
  let left = skip;
  return {
    async next() {
      for (; left > 0; left--) if (!(await c.next())) return undefined;
      return c.next();
    },
    state: () => c.state(),
    close: () => c.close(),
  };
}
