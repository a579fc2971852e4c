import { CladeError } from '../../util/errors.ts';
import { collate } from './collate.ts';
import type { Batch, Item, Pipeline, PipelineSource } from './loader-types.ts';
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
  const items: Item[] = await Promise.all(
    Array.from(indices, async (index, i) => {
      const sample = await pipeline.dataset.get(index);
      return pipeline.transform(sample, sampleRng(seed, epoch, index), slotFor(i));
    }),
  );
  return collate(items, { epoch, step, indices }, buffers);
}

/**
 * Imports `source.module` and calls its `source.export` factory with `source.args`.
 *
 * @example
 * const p = await loadPipeline(builtinSource('cifarViews', { file, views: { preset: 'simclr' } }));
 */
export async function loadPipeline(source: PipelineSource): Promise<Pipeline> {
  const mod = (await import(source.module)) as Record<string, unknown>;
  const factory = mod[source.export];
  if (typeof factory !== 'function')
    throw new CladeError(`module does not export a pipeline factory named '${source.export}'`, {
      file: source.module,
    });
  const p = (await factory(source.args)) as Pipeline;
  if (!p || !p.dataset || typeof p.transform !== 'function')
    throw new CladeError(`factory '${source.export}' must return { dataset, transform }`, {
      file: source.module,
    });
  return p;
}
