import { describe, expect, test } from 'vitest';
import { CladeError } from '../../util/errors.ts';
import { drawViews } from '../augment/views.ts';
import { simclrViews } from '../augment/views.ts';
import { DataLoader, type LoaderOptions } from './loader.ts';
import type { Batch } from './loader-types.ts';
import { sampleRng } from './order.ts';
import { pipelineSource } from '../pipelines/index.ts';
import { makeSample, testPipeline } from '../pipelines/test.ts';

const source = (args: Parameters<typeof testPipeline>[0] = {}) => pipelineSource('test', args);

async function all(o: LoaderOptions): Promise<Batch[]> {
  const loader = await DataLoader.create(o);
  const out: Batch[] = [];
  try {
    for await (const b of loader) out.push(b);
  } finally {
    await loader.close();
  }
  return out;
}

function same(a: Batch[], b: Batch[]) {
  expect(a.length).toBe(b.length);
  a.forEach((x, i) => {
    const y = b[i];
    expect([y.epoch, y.step]).toEqual([x.epoch, x.step]);
    expect(y.indices).toEqual(x.indices);
    expect(y.views).toEqual(x.views);
    expect(y.labels).toEqual(x.labels);
    expect(y.tokens).toEqual(x.tokens);
    expect(y.tabular).toEqual(x.tabular);
    expect(y.captions).toEqual(x.captions);
  });
}

describe('DataLoader', () => {
  test('batches: NCHW views, labels, tokens, tabular, captions; each view computed from (seed, epoch, index)', async () => {
    const batches = await all({ pipeline: testPipeline({ length: 10 }), batchSize: 4, seed: 3 });
    expect(batches.map((b) => b.indices.length)).toEqual([4, 4, 2]);
    const b = batches[1];
    expect(b.viewShape).toEqual([3, 16, 16]);
    expect(b.views.length).toBe(2);
    expect(b.views[0].length).toBe(4 * 3 * 16 * 16);
    expect(b.tokens!.length).toBe(4 * 6);
    expect(b.tabular![0].length).toBe(4 * 5);
    const n = 3 * 16 * 16;
    for (let i = 0; i < 4; i++) {
      const idx = b.indices[i];
      expect(b.labels![i]).toBe(idx % 10);
      expect(b.captions![i]).toEqual([`sample ${idx}`]);
      const [v1, v2] = drawViews(simclrViews({ size: 16 }), makeSample(idx).image!, sampleRng(3, 0, idx));
      expect(b.views[0].subarray(i * n, (i + 1) * n)).toEqual(v1.data);
      expect(b.views[1].subarray(i * n, (i + 1) * n)).toEqual(v2.data);
    }
  });

  test('shuffle by seed: each epoch is a permutation, different per epoch, reproducible; drop-last', async () => {
    const o = { pipeline: testPipeline({ length: 10 }), batchSize: 3, seed: 5, epochs: 3, dropLast: true };
    const a = await all(o);
    expect(a.length).toBe(9);
    const perEpoch = [0, 1, 2].map((e) =>
      a.filter((b) => b.epoch === e).flatMap((b) => Array.from(b.indices)),
    );
    for (const idx of perEpoch) {
      expect(idx.length).toBe(9);
      expect(new Set(idx).size).toBe(9);
    }
    expect(perEpoch[0]).not.toEqual(perEpoch[1]);
    same(a, await all(o));
    const ordered = await all({ ...o, shuffle: false, epochs: 1, dropLast: false });
    expect(ordered.flatMap((b) => Array.from(b.indices))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test('identical with 0, 1 and 2 worker threads and any prefetch, sync or async get', async () => {
    const o = { batchSize: 8, seed: 11, epochs: 2 };
    const base = await all({ ...o, pipeline: testPipeline(), prefetch: 1 });
    same(base, await all({ ...o, source: source({ async: true }), workers: 1, prefetch: 3 }));
    same(base, await all({ ...o, source: source(), workers: 2 }));
    same(base, await all({ ...o, source: source(), workers: 0, prefetch: 5 }));
  });

  test('resume from a saved mid-epoch position gives exactly the same following batches', async () => {
    const o = { batchSize: 5, seed: 2, epochs: 3 };
    const full = await all({ ...o, pipeline: testPipeline() });
    const loader = await DataLoader.create({ ...o, source: source(), workers: 2 });
    let saved = loader.position();
    let seen = 0;
    for await (const _ of loader) {
      if (++seen === 11) {
        saved = loader.position(); // 8 batches per epoch: after 11 we are at epoch 1, step 3
        break;
      }
    }
    await loader.close();
    expect(saved).toEqual({ epoch: 1, step: 3 });
    const rest = await all({ ...o, pipeline: testPipeline(), start: saved });
    same(full.slice(11), rest);
    const restWorkers = await all({ ...o, source: source(), workers: 1, start: saved });
    same(full.slice(11), restWorkers);
  });

  test('errors: bad options and a failing sample name the problem', async () => {
    await expect(DataLoader.create({ pipeline: testPipeline(), batchSize: 0 })).rejects.toThrow(CladeError);
    await expect(DataLoader.create({ pipeline: testPipeline(), batchSize: 2, workers: 2 })).rejects.toThrow(
      /pipeline source/,
    );
    await expect(DataLoader.create({ source: { pipeline: 'nope' } as never, batchSize: 2 })).rejects.toThrow(
      /unknown pipeline 'nope' \(pipelines: .*test/,
    );
    await expect(
      all({ source: source({ fail: 4 }), batchSize: 4, workers: 1, shuffle: false }),
    ).rejects.toThrow(/cannot read sample 4/);
  });
});
