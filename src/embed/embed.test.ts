import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { writeModelDir } from '../train/model-dir.ts';
import { clipTaxonomy } from '../train/recipes/clip-taxonomy.ts';
import { Rng } from '../util/rng.ts';
import { resolveEmbedData } from './data-spec.ts';
import { embedDataset, imagePreprocessing } from './embed.ts';

const dir = mkdtempSync(join(tmpdir(), 'clade-embed-data-'));
const model = join(dir, 'model');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function png(path: string, w: number, h: number, seed: number) {
  const rng = new Rng(seed);
  const raw = Buffer.from(Array.from({ length: w * h * 3 }, () => rng.int(256)));
  await sharp(raw, { raw: { width: w, height: h, channels: 3 } })
    .png()
    .toFile(path);
}

beforeAll(async () => {
  const recipe = clipTaxonomy({
    perSpecies: 1,
    batchSize: 8,
    imageChannels: [8, 8, 8],
    textWidth: 8,
    textDepth: 1,
    embedDim: 8,
    contextLength: 12,
  });
  writeModelDir(model, recipe, recipe.init(new Rng(1)), 4);
  for (const [c, k] of [
    ['cat', 0],
    ['dog', 1],
  ] as const) {
    mkdirSync(join(dir, 'folder', c), { recursive: true });
    await png(join(dir, 'folder', c, 'a.png'), 64, 48, k);
    await png(join(dir, 'folder', c, 'b.png'), 40, 40, k + 10);
  }
  // MNIST-style IDX pair: 3 grey 28x28 images
  const n = 3;
  const img = new Uint8Array(16 + n * 784);
  new DataView(img.buffer).setUint32(0, 0x00000803);
  new DataView(img.buffer).setUint32(4, n);
  new DataView(img.buffer).setUint32(8, 28);
  new DataView(img.buffer).setUint32(12, 28);
  for (let i = 16; i < img.length; i++) img[i] = (i * 7) % 256;
  const lab = new Uint8Array(8 + n);
  new DataView(lab.buffer).setUint32(0, 0x00000801);
  new DataView(lab.buffer).setUint32(4, n);
  lab.set([4, 1, 9], 8);
  writeFileSync(join(dir, 't10k-images-idx3-ubyte'), img);
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), lab);
  writeFileSync(join(dir, 'manifest.csv'), 'path,species\nfolder/cat/a.png,felis\nfolder/dog/b.png,canis\n');
});

test('the model records its preprocessing: input size and the OpenAI mean/std', () => {
  const p = imagePreprocessing(model);
  expect(p).toMatchObject({ channels: 3, size: 32, input: 'image' });
  expect(p.mean![0]).toBeCloseTo(0.48145466, 7);
});

test('an image folder of any image sizes embeds with folder labels', async () => {
  const data = await resolveEmbedData(join(dir, 'folder'));
  expect(data.labelNames).toEqual(['cat', 'dog']);
  let last = 0;
  const r = await embedDataset(model, data, { chunk: 3, onProgress: (done) => (last = done) });
  expect([r.embeddings.n, r.embeddings.d]).toEqual([4, 8]);
  expect(Array.from(r.labels)).toEqual([0, 0, 1, 1]);
  expect(r.ids[0]).toBe(join(dir, 'folder', 'cat', 'a.png'));
  expect(last).toBe(4);
  expect(r.embeddings.data.every(Number.isFinite)).toBe(true);
});

test('an MNIST IDX pair (grey, labels found by name) and a CSV manifest resolve and embed', async () => {
  const mnist = await resolveEmbedData(join(dir, 't10k-images-idx3-ubyte'));
  const r = await embedDataset(model, mnist);
  expect([r.embeddings.n, r.embeddings.d]).toEqual([3, 8]);
  expect(Array.from(r.labels)).toEqual([4, 1, 9]);

  const m = await resolveEmbedData(`${join(dir, 'manifest.csv')}?image=path&label=species`);
  expect(m.labelNames).toEqual(['canis', 'felis']);
  const e = await embedDataset(model, m);
  expect(Array.from(e.labels)).toEqual([1, 0]);
  // a 'label' column is used without &label= (it used to be ignored: every label -1)
  writeFileSync(join(dir, 'labelled.csv'), 'path,label\nfolder/cat/a.png,felis\nfolder/dog/b.png,canis\n');
  const byDefault = await resolveEmbedData(`${join(dir, 'labelled.csv')}?image=path`);
  expect(byDefault.labelNames).toEqual(['canis', 'felis']);
  expect(Array.from((await embedDataset(model, byDefault)).labels)).toEqual([1, 0]);
  // the same file through the folder and the manifest gives the same vector
  const f = await embedDataset(model, await resolveEmbedData(join(dir, 'folder')));
  expect(Array.from(e.embeddings.data.subarray(0, 8))).toEqual(Array.from(f.embeddings.data.subarray(0, 8)));
});

test('unknown specs and ambiguous files are errors naming them', async () => {
  await expect(resolveEmbedData('synthetic-taxonomy:test:zero')).rejects.toThrow(
    "perSpecies must be a positive integer, got 'zero'",
  );
  await expect(resolveEmbedData(join(dir, 'manifest.txt'))).rejects.toThrow('no such file or folder');
  writeFileSync(join(dir, 'odd.bin'), new Uint8Array(10));
  await expect(resolveEmbedData(join(dir, 'odd.bin'))).rejects.toThrow('cannot tell CIFAR-10 from CIFAR-100');
  writeFileSync(join(dir, 'notes.md'), 'x');
  await expect(resolveEmbedData(join(dir, 'notes.md'))).rejects.toThrow('unrecognised data');
});
