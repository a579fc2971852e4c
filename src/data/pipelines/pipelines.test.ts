import { expect, test } from 'vitest';
import { CladeError } from '../../util/errors.ts';
import { buildViews } from '../augment/view-spec.ts';
import { drawViews } from '../augment/views.ts';
import { syntheticTaxonomy } from '../synthetic/synthetic-taxonomy.ts';
import { DataLoader } from '../loader/loader.ts';
import type { Batch } from '../loader/loader-types.ts';
import { sampleRng } from '../loader/order.ts';
import { buildPipeline, PIPELINES, pipelineSource } from './index.ts';
import { syntheticViews } from './synthetic.ts';

async function first(loader: DataLoader, n: number): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of loader) if (out.push(b) === n) break;
  await loader.close();
  return out;
}

test('synthetic-taxonomy BYOL views through worker threads equal the in-thread pipeline and the definition', async () => {
  const args = { dataset: { perSpecies: 2, seed: 1 }, views: { preset: 'byol' as const, size: 16 } };
  const opts = { batchSize: 16, seed: 4, epochs: 1 };
  const inThread = await first(await DataLoader.create({ ...opts, pipeline: syntheticViews(args) }), 2);
  const workers = await first(
    await DataLoader.create({ ...opts, source: pipelineSource('synthetic-views', args), workers: 2 }),
    2,
  );
  expect(workers.map((b) => b.views)).toEqual(inThread.map((b) => b.views));
  expect(workers[0].viewShape).toEqual([3, 16, 16]);
  const ds = syntheticTaxonomy({ perSpecies: 2, seed: 1 });
  const b = workers[1];
  const i = 5;
  const idx = b.indices[i];
  const [v1, v2] = drawViews(buildViews(args.views), ds.get(idx).image!, sampleRng(4, 0, idx));
  const n = 3 * 16 * 16;
  expect(b.views[0].subarray(i * n, (i + 1) * n)).toEqual(v1.data);
  expect(b.views[1].subarray(i * n, (i + 1) * n)).toEqual(v2.data);
  expect(b.labels![i]).toBe(ds.get(idx).label);
  expect(b.captions![i]).toEqual(ds.get(idx).captions);
});

test('view specs: presets by name, unknown names rejected', () => {
  expect(buildViews({ preset: 'simclr' }).length).toBe(2);
  expect(buildViews({ preset: 'clip-eval', size: 64 })[0].outSize).toEqual([64, 64]);
  expect(() => buildViews({ preset: 'nope' } as never)).toThrow(CladeError);
});

test('the pipeline table: a source names a factory and its arguments; unknown names list the table', async () => {
  const p = await buildPipeline(pipelineSource('test', { length: 5 }));
  expect(p.dataset.length).toBe(5);
  await expect(buildPipeline({ pipeline: 'nope', args: {} } as never)).rejects.toThrow(
    `unknown pipeline 'nope' (pipelines: ${Object.keys(PIPELINES).join(', ')})`,
  );
});
