import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Rng } from '../../util/rng.ts';
import { byolViews, clipinViews } from '../augment/views.ts';
import type { Sample } from '../types.ts';
import { jpegSize, regionDecodable } from './region-decode.ts';
import { viewsTransform } from './sample-transforms.ts';
import type { Item } from './loader-types.ts';

let dir = '';
const files: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'clade-region-'));
  const w = 97;
  const h = 61;
  const px = new Uint8Array(w * h * 3);
  for (let i = 0; i < px.length; i++) px[i] = (i * 7 + ((i / 3) | 0) * 13) % 251;
  const raw = { raw: { width: w, height: h, channels: 3 as const } };
  const out = [
    ['a.jpg', await sharp(px, raw).jpeg({ quality: 85 }).toBuffer()],
    [
      'b.jpg',
      await sharp(px, raw).jpeg({ quality: 70, chromaSubsampling: '4:4:4', progressive: true }).toBuffer(),
    ],
    ['c.jpg', await sharp(px, raw).greyscale().jpeg().toBuffer()],
    ['d.png', await sharp(px, raw).png().toBuffer()],
  ] as const;
  for (const [name, bytes] of out) {
    const f = join(dir, name);
    await sharp(bytes).toFile(f);
    files.push(f);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('jpegSize reads the frame header; non-JPEG bytes give null', async () => {
  for (const f of files.slice(0, 3)) {
    const m = await sharp(f).metadata();
    expect(jpegSize(readFileSync(f))).toEqual([m.height, m.width]);
  }
  expect(jpegSize(readFileSync(files[3]))).toBeNull();
});

test('region decoding gives exactly the views of a full decode (JPEG baseline, progressive, grey; PNG falls back)', async () => {
  const views = byolViews({ size: 24, normalize: null });
  expect(regionDecodable(views)).toBe(true);
  expect(regionDecodable(clipinViews({ size: 24 }))).toBe(false); // pre-resize: crop drawn on the resized size
  const full = viewsTransform({ image: views, decode: 'exact' });
  const region = viewsTransform({ image: views, decode: 'region' });
  for (const [i, f] of files.entries()) {
    const sample: Sample = { index: i, id: f, imagePath: f, label: i };
    for (let seed = 0; seed < 6; seed++) {
      const a = (await full(sample, new Rng(seed))) as Item;
      const b = (await region(sample, new Rng(seed))) as Item;
      expect(b.views![0].data).toEqual(a.views![0].data);
      expect(b.views![1].data).toEqual(a.views![1].data);
      expect(b.label).toBe(i);
    }
  }
});
