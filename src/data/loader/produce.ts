import { CladeError } from '../../util/errors.ts';
import { collate } from './collate.ts';
import type { Batch, Item, Pipeline, PipelineSource } from './loader-types.ts';
import { sampleRng } from './order.ts';

/**
 * Builds one batch: gets each sample (concurrently when `get` is async), transforms it with its own
 * (seed, epoch, index) stream, and stacks. The same function runs in worker threads and in the main thread.
 */
export async function produceBatch(
  pipeline: Pipeline,
  seed: number,
  epoch: number,
  step: number,
  indices: Int32Array,
): Promise<Batch> {
  const items: Item[] = await Promise.all(
    Array.from(indices, async (index) => {
      const sample = await pipeline.dataset.get(index);
      return pipeline.transform(sample, sampleRng(seed, epoch, index));
    }),
  );
  return collate(items, { epoch, step, indices });
}

/** Imports `source.module` and calls its `source.export` factory with `source.args`. */
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
