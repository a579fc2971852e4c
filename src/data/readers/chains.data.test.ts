import { expect, test } from 'vitest';
import { readChains } from './chains.ts';
import { parseDataSpec } from './data-spec.ts';
import { openDataset } from './open-dataset.ts';
import { readHierarCapsExpanded } from './hierarcaps.ts';
import { sharedDatasetsDir } from './shared-datasets.ts';

const dir = sharedDatasetsDir('hierarcaps');

test('chains from the expanded HierarCaps file (the training file format): 23,479 positive/negative pairs', () => {
  const file = `${dir}/hierarcaps_test_expanded.csv.gz`;
  const ds = readChains(file);
  expect(ds.length).toBe(23_479);
  expect(ds.skipped).toHaveLength(0);
  const ref = readHierarCapsExpanded(file).pairs; // the same rows through the expanded-file reader
  for (const i of [0, 1, 12_345, 23_478]) {
    expect(ds.chains[i].positive).toEqual(ref[i].positive);
    expect(ds.chains[i].negative).toEqual(ref[i].negative);
    expect(ds.get(i).captions).toEqual([...ref[i].positive, ...ref[i].negative]);
  }
  expect(new Set(ds.chains.map((c) => c.positive.join(' => '))).size).toBeGreaterThan(20_000);
});

test('chains from the test CSV through the spec: 1,000 chains, drawn negatives differ at every level', async () => {
  const ds = (await openDataset(parseDataSpec(`chains:${dir}/hierarcaps_test.csv?seed=1`))) as ReturnType<
    typeof readChains
  >;
  expect(ds.length).toBe(1000);
  expect(ds.chains[1].positive).toEqual([
    'bird',
    'blue bird',
    'blue bird sitting on top of branch',
    'A blue bird sitting on the top of a branch with autumn leaves',
  ]);
  const bad = ds.chains.filter((c) => c.negative.some((n, k) => n === c.positive[k]));
  expect(bad).toHaveLength(0);
});
