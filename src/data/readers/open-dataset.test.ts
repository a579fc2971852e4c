import { expect, test } from 'vitest';
import { openDataset, type DatasetSpec } from './open-dataset.ts';
import type { Dataset } from '../types.ts';

test('openDataset: synthetic-taxonomy by spec; unknown kinds name the field', async () => {
  const ds = (await openDataset({ kind: 'synthetic-taxonomy', seed: 1, perSpecies: 2 })) as Dataset;
  expect(ds.length).toBe(120);
  expect(ds.get(0).image!.width).toBe(32);
  await expect(openDataset({ kind: 'tfrecord' } as unknown as DatasetSpec)).rejects.toThrow(
    /field kind: unknown dataset kind 'tfrecord'/,
  );
});
