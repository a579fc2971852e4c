import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { CladeError } from '../../util/errors.ts';
import type { Rng } from '../../util/rng.ts';
import { ImageView, type ImageViewParams } from '../augment/image-view.ts';
import { RandomResizedCrop } from '../augment/random-resized-crop.ts';
import type { Image } from '../types.ts';
import { isJpeg } from '../readers/jpeg-fast.ts';

/**
 * `[height, width]` from a JPEG's frame header (SOFn), or null when the bytes are not a JPEG.
 *
 * @example
 * jpegSize(await readFile('a.jpg')); // [300, 400]
 */
export function jpegSize(b: Uint8Array): [number, number] | null {
  if (!isJpeg(b)) return null;
  let i = 2;
  while (i + 9 < b.length && b[i] === 0xff) {
    const m = b[i + 1];
    if (m === 0xff) {
      i++; // fill byte
      continue;
    }
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc)
      return [(b[i + 5] << 8) | b[i + 6], (b[i + 7] << 8) | b[i + 8]];
    i += 2 + ((b[i + 2] << 8) | b[i + 3]);
  }
  return null;
}

/** Whether every view's parameters can be drawn from the image size alone (random crops, no pre-resize). */
export function regionDecodable(views: readonly ImageView[]): boolean {
  return views.length > 0 && views.every((v) => v.geometry instanceof RandomResizedCrop && !v.preResize);
}

/**
 * Draws every view's parameters from the JPEG header's size, decodes only the union of the crop boxes (libvips
 * decodes whole rows and stops after the last row needed, so pixels equal a full decode's), and returns the region
 * with the boxes moved into it. Null, before drawing anything, when the file is not a JPEG or a view cannot be
 * drawn from the size alone; the caller then decodes the whole image.
 *
 * @example
 * const r = await decodeViewRegion('a.jpg', views, rng);
 * if (r) views.map((v, k) => v.apply(r.image, r.params[k]));
 */
export async function decodeViewRegion(
  path: string,
  views: readonly ImageView[],
  rng: Rng,
): Promise<{ image: Image; params: ImageViewParams[] } | null> {
  if (!regionDecodable(views)) return null;
  const bytes = await readFile(path);
  const size = jpegSize(bytes);
  if (!size) return null;
  const [height, width] = size;
  const params = views.map((v) => v.sample(rng, height, width));
  let top = Infinity;
  let left = Infinity;
  let bottom = 0;
  let right = 0;
  for (const { box } of params) {
    top = Math.min(top, box!.top);
    left = Math.min(left, box!.left);
    bottom = Math.max(bottom, box!.top + box!.height);
    right = Math.max(right, box!.left + box!.width);
  }
  try {
    const { data, info } = await sharp(bytes, { failOn: 'error' })
      .removeAlpha()
      .toColourspace('srgb')
      .extract({ top, left, width: right - left, height: bottom - top })
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded ${info.channels} channels, expected 3`);
    const image: Image = {
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
      width: info.width,
      height: info.height,
      channels: 3,
    };
    const moved = params.map((p) => ({
      ...p,
      box: { ...p.box!, top: p.box!.top - top, left: p.box!.left - left },
    }));
    return { image, params: moved };
  } catch (e) {
    throw new CladeError(`image failed to decode: ${(e as Error).message}`, { file: path });
  }
}
