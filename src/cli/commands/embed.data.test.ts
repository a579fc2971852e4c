import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { afterAll, afterEach, beforeAll, expect, test, vi } from 'vitest';
import { writeModelDir } from '../../train/model-dir.ts';
import { clipTaxonomy } from '../../train/recipes/clip-taxonomy.ts';
import { Rng } from '../../util/rng.ts';
import { readCifar10, readCifar100 } from '../../data/readers/cifar.ts';
import { run as embedCli } from './embed.ts';

const DATA = resolve(__dirname, '../../../../shared/datasets');
const dir = mkdtempSync(join(tmpdir(), 'clade-embed-data-suite-'));
const model = join(dir, 'model');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());
beforeAll(() => {
  const recipe = clipTaxonomy({
    perSpecies: 1,
    batchSize: 8,
    imageChannels: [8, 8, 8],
    embedDim: 8,
    textWidth: 8,
    textDepth: 1,
  });
  writeModelDir(model, recipe, recipe.init(new Rng(0)), 50);
});

const rows = async (f: string) => parquetReadObjects({ file: await asyncBufferFromFile(f) });

test('clade embed reads the shared CIFAR-10, CIFAR-100 and MNIST files by bare path', async () => {
  vi.spyOn(console, 'log').mockImplementation(() => {});
  const c10 = join(dir, 'c10.parquet');
  expect(
    await embedCli([model, join(DATA, 'cifar-10/test_batch.bin'), '--out', c10, '--limit', '120', '--quiet']),
  ).toBe(0);
  const r10 = await rows(c10);
  expect(r10).toHaveLength(120);
  const ds10 = readCifar10(join(DATA, 'cifar-10/test_batch.bin'));
  expect(r10.map((r) => r.label)).toEqual(Array.from(ds10.labels.subarray(0, 120)));
  expect(r10.map((r) => r.label_name)).toEqual(
    Array.from(ds10.labels.subarray(0, 120), (l) => ds10.labelNames[l]),
  );
  expect((r10[0].embedding as number[]).length).toBe(8);

  const c100 = join(dir, 'c100.parquet');
  expect(
    await embedCli([model, join(DATA, 'cifar-100/test.bin'), '--out', c100, '--limit', '60', '--quiet']),
  ).toBe(0);
  const r100 = await rows(c100);
  const ds100 = readCifar100(join(DATA, 'cifar-100/test.bin'));
  expect(r100.map((r) => r.label_name)).toEqual(
    Array.from(ds100.labels.subarray(0, 60), (l) => ds100.labelNames[l]),
  );

  const mn = join(dir, 'mnist.parquet');
  expect(
    await embedCli([
      model,
      join(DATA, 'mnist/t10k-images-idx3-ubyte.gz'),
      '--out',
      mn,
      '--limit',
      '60',
      '--quiet',
    ]),
  ).toBe(0);
  const rm = await rows(mn);
  expect(rm[0]).toMatchObject({ label: 7, label_name: '7' }); // the first MNIST t10k digit is a 7
});
