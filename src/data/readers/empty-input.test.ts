import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { readCifar10 } from './cifar.ts';
import { readManifest } from './manifest.ts';

const dir = mkdtempSync(join(tmpdir(), 'clade-empty-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a header-only or empty manifest is an error naming the file, not a 0-row dataset', async () => {
  const f = join(dir, 'header-only.csv');
  writeFileSync(f, 'image,label\n');
  await expect(readManifest(f, { columns: { image: 'image' } })).rejects.toThrow(
    `${f}: no rows: the manifest is empty`,
  );
  const g = join(dir, 'split.csv');
  writeFileSync(g, 'image,split\na.png,train\n');
  await expect(
    readManifest(g, { columns: { image: 'image', split: 'split' }, split: 'test' }),
  ).rejects.toThrow("no rows with split = 'test' (of 1)");
});

test('an empty CIFAR file is an error, not an empty dataset', () => {
  const f = join(dir, 'empty.bin');
  writeFileSync(f, new Uint8Array(0));
  expect(() => readCifar10(f)).toThrow(`${f}: empty file: expected 3073-byte records`);
});

test("labelIfPresent: a manifest's 'label' column is used when no label or ranks are named", async () => {
  const f = join(dir, 'labelled.csv');
  writeFileSync(f, 'image,label\na.png,felis\nb.png,canis\nc.png,\n');
  const ds = await readManifest(f, { columns: { image: 'image' }, labelIfPresent: 'label' });
  expect(ds.classNames).toEqual(['canis', 'felis']);
  expect(Array.from(ds.labels)).toEqual([1, 0, -1]);
  // an explicit column wins; a file without the column stays unlabelled
  const h = join(dir, 'nolabel.csv');
  writeFileSync(h, 'image,species\na.png,x\n');
  const none = await readManifest(h, { columns: { image: 'image' }, labelIfPresent: 'label' });
  expect(Array.from(none.labels)).toEqual([-1]);
  const explicit = await readManifest(h, {
    columns: { image: 'image', label: 'species' },
    labelIfPresent: 'label',
  });
  expect(explicit.classNames).toEqual(['x']);
});
