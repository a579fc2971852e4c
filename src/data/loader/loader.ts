import { CladeError } from '../../util/errors.ts';
import { buildPipeline, type PipelineSource } from '../pipelines/index.ts';
import type { Batch, LoaderPosition, Pipeline } from './loader-types.ts';
import { batchesPerEpoch, epochOrder } from './order.ts';
import { produceBatch } from './produce.ts';
import { WorkerPool } from './worker-pool.ts';

export interface LoaderOptions {
  /** The pipeline itself (main thread only) … */
  pipeline?: Pipeline;
  /** … or its name in the pipeline table with its arguments (required with workers > 0). */
  source?: PipelineSource;
  batchSize: number;
  seed?: number;
  shuffle?: boolean;
  dropLast?: boolean;
  /** Number of epochs to run (Infinity for unbounded); default 1. */
  epochs?: number;
  /** Worker threads for decode + augmentation; 0 = main thread. Results do not depend on it. */
  workers?: number;
  /** Batches requested ahead of the consumer; default max(2, 2 * workers). */
  prefetch?: number;
  /** Resume from a saved `position()`. */
  start?: LoaderPosition;
}

/**
 * Batches from a dataset and a per-sample transform: seeded shuffling per epoch, drop-last, epochs, prefetching,
 * optional worker threads, and exact mid-epoch resume. Batch contents depend only on (seed, epoch, step), never
 * on `workers` or `prefetch`.
 *
 * @example
 * const loader = await DataLoader.create({ source, batchSize: 256, seed: 42, epochs: 10, workers: 2 });
 * for await (const b of loader) {
 *   train(b.views[0], b.views[1]);  // [B, 3, 32, 32] each
 *   if (checkpointDue) save({ loader: loader.position() });
 * }
 * await loader.close();
 */
export class DataLoader implements AsyncIterable<Batch> {
  private pos: LoaderPosition;
  private order: { epoch: number; order: Int32Array } | null = null;

  private constructor(
    private readonly opts: Required<Omit<LoaderOptions, 'pipeline' | 'source' | 'start'>>,
    private readonly pipeline: Pipeline | null,
    private readonly pool: WorkerPool | null,
    /** Dataset length. */
    readonly length: number,
    start: LoaderPosition,
  ) {
    this.pos = start;
  }

  static async create(o: LoaderOptions): Promise<DataLoader> {
    if (!(Number.isInteger(o.batchSize) && o.batchSize > 0))
      throw new CladeError(`expected a positive integer batch size, got ${o.batchSize}`, {
        field: 'batchSize',
      });
    const workers = o.workers ?? 0;
    if (!(Number.isInteger(workers) && workers >= 0))
      throw new CladeError(`expected a non-negative integer, got ${workers}`, { field: 'workers' });
    if (!o.pipeline === !o.source)
      throw new CladeError('give exactly one of pipeline and source', { field: 'loader' });
    if (workers > 0 && !o.source)
      throw new CladeError(
        'worker threads need a pipeline source (a pipeline-table name), not a pipeline object',
        {
          field: 'source',
        },
      );
    const opts = {
      batchSize: o.batchSize,
      seed: o.seed ?? 0,
      shuffle: o.shuffle ?? true,
      dropLast: o.dropLast ?? false,
      epochs: o.epochs ?? 1,
      workers,
      prefetch: Math.max(1, o.prefetch ?? Math.max(2, 2 * workers)),
    };
    const start = o.start ?? { epoch: 0, step: 0 };
    if (!(
      Number.isInteger(start.epoch) &&
      start.epoch >= 0 &&
      Number.isInteger(start.step) &&
      start.step >= 0
    ))
      throw new CladeError(`bad resume position ${JSON.stringify(start)}`, { field: 'start' });
    let pipeline: Pipeline | null = null;
    let pool: WorkerPool | null = null;
    let length: number;
    if (workers > 0) ({ pool, length } = await WorkerPool.start(o.source!, opts.seed, workers));
    else {
      pipeline = o.pipeline ?? (await buildPipeline(o.source!));
      length = pipeline.dataset.length;
    }
    const loader = new DataLoader(opts, pipeline, pool, length, start);
    if (start.step > loader.batchesPerEpoch)
      throw new CladeError(`step ${start.step} is past the ${loader.batchesPerEpoch} batches of an epoch`, {
        field: 'start',
      });
    return loader;
  }

  get batchesPerEpoch(): number {
    return batchesPerEpoch(this.length, this.opts.batchSize, this.opts.dropLast);
  }

  /** The next batch this loader will yield; pass it as `start` to resume exactly there. */
  position(): LoaderPosition {
    return { ...this.pos };
  }

  /** Dataset indices of batch `step` of `epoch`. */
  indices(epoch: number, step: number): Int32Array {
    if (this.order?.epoch !== epoch)
      this.order = { epoch, order: epochOrder(this.opts.seed, epoch, this.length, this.opts.shuffle) };
    const b = this.opts.batchSize;
    return this.order.order.slice(step * b, Math.min(this.length, (step + 1) * b));
  }

  /** Computes batch `step` of `epoch` directly (no prefetch, does not move the position). */
  batch(epoch: number, step: number): Promise<Batch> {
    const idx = this.indices(epoch, step);
    return this.pool
      ? this.pool.run(epoch, step, idx)
      : produceBatch(this.pipeline!, this.opts.seed, epoch, step, idx);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Batch> {
    const per = this.batchesPerEpoch;
    if (per === 0) return;
    let next = { ...this.pos };
    if (next.step >= per) next = { epoch: next.epoch + 1, step: 0 };
    const queue: { epoch: number; step: number; batch: Promise<Batch> }[] = [];
    const fill = () => {
      while (queue.length < this.opts.prefetch && next.epoch < this.opts.epochs) {
        const batch = this.batch(next.epoch, next.step);
        batch.catch(() => {}); // surfaced when awaited; avoids unhandled rejections after an early break
        queue.push({ ...next, batch });
        next =
          next.step + 1 < per
            ? { epoch: next.epoch, step: next.step + 1 }
            : { epoch: next.epoch + 1, step: 0 };
      }
    };
    fill();
    while (queue.length) {
      const t = queue.shift()!;
      fill();
      const batch = await t.batch;
      this.pos = t.step + 1 < per ? { epoch: t.epoch, step: t.step + 1 } : { epoch: t.epoch + 1, step: 0 };
      yield batch;
    }
  }

  /** Stops the worker threads. */
  async close(): Promise<void> {
    await this.pool?.close();
  }
}
