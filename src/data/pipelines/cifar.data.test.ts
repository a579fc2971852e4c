import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { ImageView } from '../augment/image-view.ts';
import { ResizeCenterCrop } from '../augment/resize.ts';
import { readCifar10 } from '../readers/cifar.ts';
import { sharedDatasetsDir } from '../readers/shared-datasets.ts';
import { DataLoader } from '../loader/loader.ts';
import { viewsTransform } from '../loader/sample-transforms.ts';
import { pipelineSource } from './index.ts';

const file = sharedDatasetsDir('cifar-10', 'test_batch.bin');

test('CIFAR-10 through the loader: an identity view reproduces the planar bytes of each record', async () => {
  const bytes = readFileSync(file);
  const identity = new ImageView({ geometry: new ResizeCenterCrop(32, 32) });
  const pipeline = { dataset: readCifar10(file), transform: viewsTransform({ image: [identity] }) };
  const loader = await DataLoader.create({ pipeline, batchSize: 100, seed: 1 });
  let checked = 0;
  for await (const b of loader) {
    for (let i = 0; i < b.indices.length; i += 37) {
      const rec = b.indices[i] * 3073;
      expect(b.labels![i]).toBe(bytes[rec]);
      for (const p of [0, 517, 1023, 1024 + 300, 2048 + 1000])
        expect(b.views[0][i * 3072 + p]).toBeCloseTo(bytes[rec + 1 + p] / 255, 6); // CHW = the file's planar order
      checked++;
    }
    if (b.step === 9) break;
  }
  await loader.close();
  expect(checked).toBeGreaterThan(20);
});

test('CIFAR-10 SimCLR views: identical with 0 and 2 worker threads', async () => {
  const source = pipelineSource('cifar-views', { file, views: { preset: 'simclr', size: 32 } });
  const take = async (workers: number) => {
    const loader = await DataLoader.create({ source, batchSize: 256, seed: 7, workers });
    const out: Float32Array[][] = [];
    for await (const b of loader) if (out.push(b.views) === 3) break;
    await loader.close();
    return out;
  };
  const [a, b] = [await take(2), await take(0)];
  const bytes = (v: Float32Array[][]) =>
    Buffer.concat(v.flat().map((x) => Buffer.from(x.buffer, x.byteOffset, x.byteLength)));
  expect(bytes(a).length).toBe(3 * 2 * 256 * 3072 * 4);
  expect(bytes(a).equals(bytes(b))).toBe(true); // (toEqual on 1.2 M floats is very slow)
});
