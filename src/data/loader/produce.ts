import { CladeError } from '../../util/errors.ts';
import { collate } from './collate.ts';
import type { Sample } from '../types.ts';
import type { Batch, Item, Pipeline, SampleTransform } from './loader-types.ts';
import { sampleRng } from './order.ts';

/**
 * Builds one batch: gets each sample (concurrently when `get` is async), transforms it with its own
 * (seed, epoch, index) stream, and stacks. The same function runs in worker threads and in the main thread.
 *
 * @example
 * const b = await produceBatch(pipeline, 42, 0, 0, Int32Array.of(3, 1, 4)); // b.views[0]: [3, C, H, W]
 */
export async function produceBatch(
  pipeline: Pipeline,
  seed: number,
  epoch: number,
  step: number,
  indices: Int32Array,
): Promise<Batch> {
  return produce(pipeline.transform, seed, epoch, step, indices, indices, (i) =>
    pipeline.dataset.get(indices[i]),
  );
}

/**
 * Builds one batch from samples already read (a stream): sample i's stream is keyed by its position in the
 * epoch's stream, `firstPosition + i`.
 *
 * @example
 * const b = await produceFromSamples(transform, 42, 0, 3, samples, 3 * samples.length);
 */
export async function produceFromSamples(
  transform: SampleTransform,
  seed: number,
  epoch: number,
  step: number,
  samples: readonly Sample[],
  firstPosition: number,
): Promise<Batch> {
  const keys = Int32Array.from(samples, (_, i) => firstPosition + i);
  const indices = Int32Array.from(samples, (s) => s.index);
  return produce(transform, seed, epoch, step, indices, keys, (i) => samples[i]);
}

/** Samples of one batch read and transformed concurrently. */
const LANES = 4;

async function produce(
  transform: SampleTransform,
  seed: number,
  epoch: number,
  step: number,
  indices: Int32Array,
  keys: Int32Array,
  get: (i: number) => Sample | Promise<Sample>,
): Promise<Batch> {
  const B = indices.length;
  const buffers: Float32Array[] = [];
  const slotFor = (i: number) => ({
    viewSlot(view: number, size: number): Float32Array {
      buffers[view] ??= new Float32Array(B * size);
      if (buffers[view].length !== B * size)
        throw new CladeError(`view ${view} has ${size} values here but not in the batch's other samples`, {
          sample: indices[i],
        });
      return buffers[view].subarray(i * size, (i + 1) * size);
    },
  });
  // A few samples at a time: enough to keep decoders busy, few enough that a decoded image is still in cache
  // when its transform runs.
  const items: Item[] = new Array(B);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < B; i = next++)
      items[i] = await transform(await get(i), sampleRng(seed, epoch, keys[i]), slotFor(i));
  };
  await Promise.all(Array.from({ length: Math.min(B, LANES) }, lane));
  return collate(items, { epoch, step, indices }, buffers);
}
