import { Worker } from 'node:worker_threads';
import { CladeError } from '../../util/errors.ts';
import type { PipelineSource } from '../pipelines/index.ts';
import type { Sample } from '../types.ts';
import type { Batch } from './loader-types.ts';

// Workers start from worker-entry.mjs, plain JS that registers tsx's loader and then imports worker.ts, so they
// load TypeScript whether the parent runs under tsx, vitest or anything else.
const ENTRY = new URL('./worker-entry.mjs', import.meta.url);

interface Pending {
  resolve: (b: Batch) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
}

/**
 * A fixed set of worker threads, each holding its own copy of the pipeline `source` names.
 *
 * @example
 * const { pool, length } = await WorkerPool.start(source, 42, 2);
 * const batch = await pool.run(0, 0, Int32Array.of(5, 3, 9));
 * await pool.close();
 */
export class WorkerPool {
  private nextId = 0;
  private constructor(private readonly slots: Slot[]) {}

  static async start(
    source: PipelineSource,
    seed: number,
    n: number,
    /** Workers that only transform samples the main thread sends (stream loaders). */
    stream = false,
  ): Promise<{ pool: WorkerPool; length: number }> {
    if (!(Number.isInteger(n) && n > 0)) throw new CladeError(`expected a positive worker count, got ${n}`);
    const slots: Slot[] = [];
    const lengths = await Promise.all(
      Array.from({ length: n }, () => {
        const worker = new Worker(ENTRY, { execArgv: [], workerData: { source, seed, stream } });
        const slot: Slot = { worker, pending: new Map() };
        slots.push(slot);
        return new Promise<number>((resolve, reject) => {
          worker.once('error', reject);
          worker.on(
            'message',
            (m: { ready?: boolean; length?: number; error?: string; id?: number; batch?: Batch }) => {
              if (m.ready === true) return resolve(m.length!);
              if (m.ready === false)
                return reject(new CladeError(`worker could not build the pipeline: ${m.error}`));
              const p = slot.pending.get(m.id!);
              if (!p) return;
              slot.pending.delete(m.id!);
              if (m.error) p.reject(new CladeError(`worker failed on a batch: ${m.error}`));
              else p.resolve(m.batch!);
            },
          );
          worker.on('error', (e) => failAll(slot, e));
          worker.on('exit', (code) => failAll(slot, new CladeError(`loader worker exited (code ${code})`)));
        });
      }),
    ).catch(async (e) => {
      await Promise.all(slots.map((s) => s.worker.terminate()));
      throw e;
    });
    return { pool: new WorkerPool(slots), length: lengths[0] };
  }

  /** Computes one batch (dataset indices) on the least busy worker. */
  run(epoch: number, step: number, indices: Int32Array): Promise<Batch> {
    return this.send({ epoch, step, indices });
  }

  /** Transforms samples read by the main thread (copied to the worker) into one batch. */
  runSamples(epoch: number, step: number, samples: readonly Sample[], firstPosition: number): Promise<Batch> {
    return this.send({ epoch, step, samples, firstPosition });
  }

  private send(req: Record<string, unknown>): Promise<Batch> {
    let slot = this.slots[0];
    for (const s of this.slots) if (s.pending.size < slot.pending.size) slot = s;
    const id = this.nextId++;
    return new Promise<Batch>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ id, ...req });
    });
  }

  /** Stops the workers; batches still being computed reject. */
  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    for (const s of this.slots) failAll(s, new CladeError('loader was closed'));
  }
}

function failAll(slot: Slot, e: Error): void {
  for (const p of slot.pending.values()) p.reject(e);
  slot.pending.clear();
}
