import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { CIFAR10_LABELS, readCifar10, readCifar100 } from './cifar.ts';
import { readMnist } from './mnist.ts';
import { sharedDatasetsDir } from './shared-datasets.ts';
import { cifar100Taxonomy } from '../taxonomy/cifar100-taxonomy.ts';

const counts = (labels: ArrayLike<number>, k: number) => {
  const c = new Array(k).fill(0);
  for (let i = 0; i < labels.length; i++) c[labels[i]]++;
  return c;
};

/** The documented layout, computed independently: record r, channel c, row y, column x. */
function cifarPixel(raw: Buffer, labelBytes: number, r: number, c: number, y: number, x: number): number {
  return raw[r * (labelBytes + 3072) + labelBytes + c * 1024 + y * 32 + x];
}

describe('CIFAR-10 test_batch.bin', () => {
  const file = sharedDatasetsDir('cifar-10', 'test_batch.bin');
  const ds = readCifar10(file);
  test('10,000 records, 1,000 per class, round-robin order, names', () => {
    expect(ds.length).toBe(10000);
    expect(counts(ds.labels, 10)).toEqual(new Array(10).fill(1000));
    for (let k = 0; k < 10000; k++)
      if (ds.labels[k] !== k % 10) throw new Error(`record ${k} label ${ds.labels[k]}`);
    expect(ds.labelNames).toEqual(CIFAR10_LABELS); // batches.meta.txt agrees with the built-in names
  });
  test('pixels: planar → HWC for a few records', () => {
    const raw = readFileSync(file);
    for (const r of [0, 1, 4321, 9999]) {
      const img = ds.get(r).image!;
      for (const [y, x] of [
        [0, 0],
        [0, 31],
        [13, 7],
        [31, 31],
      ])
        for (let c = 0; c < 3; c++)
          expect(img.data[(y * 32 + x) * 3 + c]).toBe(cifarPixel(raw, 1, r, c, y, x));
    }
  });
});

describe('CIFAR-100 train.bin / test.bin', () => {
  const dir = sharedDatasetsDir('cifar-100');
  test('counts, balance, round-robin fine labels, official superclass grouping', () => {
    const official = cifar100Taxonomy();
    for (const [f, n] of [
      ['train.bin', 20000],
      ['test.bin', 10000],
    ] as const) {
      const ds = readCifar100(`${dir}/${f}`);
      expect(ds.length).toBe(n);
      expect(counts(ds.labels, 100)).toEqual(new Array(100).fill(n / 100));
      expect(counts(ds.coarseLabels!, 20)).toEqual(new Array(20).fill(n / 20));
      for (let k = 0; k < n; k++) if (ds.labels[k] !== k % 100) throw new Error(`${f} record ${k}`);
      expect(ds.labelNames[19]).toBe('cattle');
      expect(ds.coarseLabelNames![11]).toBe('large_omnivores_and_herbivores');
      for (let k = 0; k < 100; k++) expect(ds.taxonomy!.lineage(k)).toEqual(official.lineage(k));
      expect(ds.taxonomy!.classesUnder('superclass', 'trees').map((k) => ds.labelNames[k])).toEqual([
        'maple_tree',
        'oak_tree',
        'palm_tree',
        'pine_tree',
        'willow_tree',
      ]);
    }
  });
  test('pixels and lineage of a few test records', () => {
    const raw = readFileSync(`${dir}/test.bin`);
    const ds = readCifar100(`${dir}/test.bin`);
    for (const r of [0, 99, 5000, 9999]) {
      const s = ds.get(r);
      expect(s.lineage![1]).toBe(ds.labelNames[r % 100]);
      for (const [y, x] of [
        [0, 0],
        [16, 16],
        [31, 0],
      ])
        for (let c = 0; c < 3; c++)
          expect(s.image!.data[(y * 32 + x) * 3 + c]).toBe(cifarPixel(raw, 2, r, c, y, x));
    }
  });
});

describe('MNIST t10k (gzip idx)', () => {
  const dir = sharedDatasetsDir('mnist');
  const ds = readMnist(`${dir}/t10k-images-idx3-ubyte.gz`, `${dir}/t10k-labels-idx1-ubyte.gz`);
  test('10,000 images, documented label counts and first labels', () => {
    expect(ds.length).toBe(10000);
    expect(counts(ds.labels, 10)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    expect(Array.from(ds.labels.subarray(0, 10))).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
  });
  test('pixels: row-major 28×28 from offset 16', () => {
    const raw = gunzipSync(readFileSync(`${dir}/t10k-images-idx3-ubyte.gz`));
    expect(raw.length).toBe(7840016);
    for (const i of [0, 1, 9999]) {
      const img = ds.get(i).image!;
      expect(img).toMatchObject({ width: 28, height: 28, channels: 1 });
      for (const p of [0, 300, 406, 783]) expect(img.data[p]).toBe(raw[16 + i * 784 + p]);
      expect(img.data.reduce((a, b) => a + (b > 128 ? 1 : 0), 0)).toBeGreaterThan(30); // ink is present
      expect(img.data[0]).toBe(0); // corners are background
    }
  });
});
