import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, expect, test } from 'vitest';
import { CladeError } from '../../util/errors.ts';
import { decodeImage } from './decode-image.ts';
import { decodeJpegFast, fastJpegAvailable } from './jpeg-fast.ts';

const dir = mkdtempSync(join(tmpdir(), 'clade-jpeg-fast-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A photo-like 64x48 RGB image: smooth colour fields plus a deterministic texture. */
function photo(w = 64, h = 48): Uint8Array {
  const px = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      const t = ((x * 31 + y * 17) % 23) - 11;
      px[i] = 120 + 90 * Math.sin(x / 9) + t;
      px[i + 1] = 120 + 90 * Math.sin(y / 7 + 1) + t;
      px[i + 2] = 120 + 90 * Math.sin((x + y) / 13 + 2) - t;
    }
  return px;
}
const raw = { raw: { width: 64, height: 48, channels: 3 as const } };

/** Largest and mean absolute difference of two equal-length byte arrays. */
function diff(a: Uint8Array, b: Uint8Array): { max: number; mean: number } {
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]);
    max = Math.max(max, e);
    sum += e;
  }
  return { max, mean: sum / a.length };
}

test('the libjpeg-turbo binding loads on linux-x64 (the CI platform), so training takes the fast path', () => {
  if (process.platform === 'linux' && process.arch === 'x64') expect(fastJpegAvailable()).toBe(true);
});

test.runIf(fastJpegAvailable())(
  'fast decode is within a few levels of the exact decode (4:2:0 baseline, 4:4:4 progressive, grey)',
  async () => {
    const cases = [
      await sharp(photo(), raw).jpeg({ quality: 90 }).toBuffer(),
      await sharp(photo(), raw)
        .jpeg({ quality: 75, chromaSubsampling: '4:4:4', progressive: true })
        .toBuffer(),
      await sharp(photo(), raw).greyscale().jpeg({ quality: 90 }).toBuffer(),
    ];
    for (const jpg of cases) {
      const fast = decodeJpegFast(jpg)!;
      const exact = await decodeImage(jpg);
      expect([fast.width, fast.height, fast.channels]).toEqual([64, 48, 3]);
      const d = diff(fast.data, exact.data);
      expect(d.max).toBeLessThanOrEqual(6); // fast integer IDCT vs islow: measured max 4 on 256 photo-like JPEGs
      expect(d.mean).toBeLessThan(1.5);
      // and close to the source pixels themselves (JPEG loss only), for the colour images
      if (jpg !== cases[2]) expect(diff(fast.data, photo()).mean).toBeLessThan(8);
    }
  },
);

test.runIf(fastJpegAvailable())(
  'files libjpeg-turbo rejects fall back to sharp: CMYK decodes, PNG decodes, a truncated JPEG names the file',
  async () => {
    const cmyk = await sharp(photo(), raw).toColourspace('cmyk').jpeg().toBuffer();
    expect(decodeJpegFast(cmyk)).toBeNull();
    expect(await decodeImage(cmyk, { fastJpeg: true })).toEqual(await decodeImage(cmyk));
    const png = join(dir, 'a.png');
    writeFileSync(png, await sharp(photo(), raw).png().toBuffer());
    expect(decodeJpegFast(await sharp(png).toBuffer())).toBeNull();
    expect((await decodeImage(png, { fastJpeg: true })).data).toEqual(photo());
    const jpg = await sharp(photo(), raw).jpeg().toBuffer();
    const cut = join(dir, 'cut.jpg');
    writeFileSync(cut, jpg.subarray(0, jpg.length >> 1));
    expect(decodeJpegFast(jpg.subarray(0, jpg.length >> 1))).toBeNull();
    const err = await decodeImage(cut, { fastJpeg: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CladeError);
    expect(String((err as Error).message)).toContain(cut);
  },
);
