import { describe, expect, test } from 'vitest';
import { Rng } from '../../util/rng.ts';
import { drawViews, simclrViews } from '../augment/views.ts';
import type { StreamDataset } from '../types.ts';
import type { Batch } from './loader-types.ts';
import { sampleRng } from './order.ts';
import { StreamLoader, type StreamLoaderOptions } from './stream-loader.ts';
import { pipelineSource } from '../pipelines/index.ts';
import { makeSample, testPipeline } from '../pipelines/test.ts';

/** 23 samples in an order shuffled by (seed, epoch), like WebDataset's shard and buffer shuffling. */
const stream: StreamDataset = {
  name: 'test-stream',
  async *stream(opts = {}) {
    const order = new Rng(opts.seed ?? 0).fork(`order:${opts.epoch ?? 0}`).permutation(23);
    for (const i of order) yield makeSample(i);
  },
};
const source = pipelineSource('test', {});

async function all(o: StreamLoaderOptions): Promise<Batch[]> {
  const loader = await StreamLoader.create(o);
  const out: Batch[] = [];
  try {
    for await (const b of loader) out.push(b);
  } finally {
    await loader.close();
  }
  return out;
}

describe('StreamLoader', () => {
  test('batches in stream order; each sample transformed with (seed, epoch, position in the stream)', async () => {
    const batches = await all({
      stream,
      transform: testPipeline().transform,
      batchSize: 5,
      seed: 3,
      epochs: 2,
    });
    expect(batches.map((b) => `${b.epoch}:${b.step}:${b.indices.length}`)).toEqual([
      ...[0, 1, 2, 3, 4].map((s) => `0:${s}:${s === 4 ? 3 : 5}`),
      ...[0, 1, 2, 3, 4].map((s) => `1:${s}:${s === 4 ? 3 : 5}`),
    ]);
    const order = new Rng(3).fork('order:1').permutation(23);
    const b = batches[7]; // epoch 1, step 2
    const n = 3 * 16 * 16;
    for (let i = 0; i < 5; i++) {
      const pos = 2 * 5 + i;
      expect(b.indices[i]).toBe(order[pos]);
      const [v1] = drawViews(simclrViews({ size: 16 }), makeSample(order[pos]).image!, sampleRng(3, 1, pos));
      expect(b.views[0].subarray(i * n, (i + 1) * n)).toEqual(v1.data);
    }
    const dropped = await all({ stream, transform: testPipeline().transform, batchSize: 5, dropLast: true });
    expect(dropped.length).toBe(4);
  });

  test('identical with worker threads; resume mid-epoch gives the same following batches', async () => {
    const o = { stream, batchSize: 4, seed: 9, epochs: 2 };
    const base = await all({ ...o, transform: testPipeline().transform });
    const workers = await all({ ...o, source, workers: 2, prefetch: 3 });
    expect(workers.map((b) => b.views)).toEqual(base.map((b) => b.views));
    expect(workers.map((b) => b.indices)).toEqual(base.map((b) => b.indices));

    const loader = await StreamLoader.create({ ...o, source, workers: 1 });
    let seen = 0;
    let saved = loader.position();
    for await (const _ of loader)
      if (++seen === 8) {
        saved = loader.position(); // 6 batches per epoch: epoch 1, step 2
        break;
      }
    await loader.close();
    expect(saved).toEqual({ epoch: 1, step: 2 });
    const rest = await all({ ...o, transform: testPipeline().transform, start: saved });
    expect(rest.map((b) => [b.epoch, b.step])).toEqual(base.slice(8).map((b) => [b.epoch, b.step]));
    expect(rest.map((b) => b.views)).toEqual(base.slice(8).map((b) => b.views));
  });
});
