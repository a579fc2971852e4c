import sharp from 'sharp';
import { CladeError } from '../../util/errors.ts';
import type { Image, Sample } from '../types.ts';

/**
 * Decodes a JPEG/PNG/WebP (file path or bytes) to 8-bit HWC RGB (or grey with `channels: 1`) with sharp.
 * Alpha is dropped (flattened on black). A file that fails to decode throws naming `where` (file or member).
 *
 * @example
 * const img = await decodeImage('photos/cat/001.jpg'); // { data /* [H, W, 3] *\/, width, height, channels: 3 }
 */
export async function decodeImage(
  input: string | Uint8Array,
  opts: { channels?: 1 | 3; where?: Record<string, string | number> } = {},
): Promise<Image> {
  const channels = opts.channels ?? 3;
  const where = opts.where ?? (typeof input === 'string' ? { file: input } : {});
  try {
    let img = sharp(input, { failOn: 'error' }).removeAlpha();
    img = channels === 1 ? img.toColourspace('b-w') : img.toColourspace('srgb');
    const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== channels)
      throw new Error(`decoded ${info.channels} channels, expected ${channels}`);
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
      width: info.width,
      height: info.height,
      channels,
    };
  } catch (e) {
    throw new CladeError(`image failed to decode: ${(e as Error).message}`, where);
  }
}

/** The sample with `image` decoded from `imagePath` (unchanged when it already has an image or no path). */
export async function withImage(sample: Sample, opts: { channels?: 1 | 3 } = {}): Promise<Sample> {
  if (sample.image || !sample.imagePath) return sample;
  return {
    ...sample,
    image: await decodeImage(sample.imagePath, {
      ...opts,
      where: { file: sample.imagePath, record: sample.index },
    }),
  };
}
