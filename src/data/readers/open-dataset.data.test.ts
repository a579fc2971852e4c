import { expect, test } from 'vitest';
import { openDataset, sharedDatasetSpecs } from './open-dataset.ts';
import { sharedDatasetsDir } from './shared-datasets.ts';
import type { Dataset } from '../types.ts';

test('every staged dataset opens by spec with its documented size', async () => {
  const specs = sharedDatasetSpecs(sharedDatasetsDir());
  const want = {
    cifar10: 10000,
    cifar100Train: 20000,
    cifar100Test: 10000,
    mnistTest: 10000,
    hierarcapsTest: 1000,
  };
  for (const [name, spec] of Object.entries(specs)) {
    const ds = (await openDataset(spec)) as Dataset;
    expect(ds.length, name).toBe(want[name as keyof typeof want]);
    expect(ds.get(ds.length - 1).image, name).toBeDefined();
  }
});
