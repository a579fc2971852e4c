import type { Image } from '../types.ts';
import type { FloatImage } from './float-image.ts';

/** A deterministic test image whose pixel values are a simple function of position (not random). */
export function patternImage(height: number, width: number, channels: 1 | 3 = 3): Image {
  const data = new Uint8Array(height * width * channels);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < channels; c++)
        data[(y * width + x) * channels + c] = (y * 37 + x * 11 + c * 83 + x * y) % 256;
  return { data, width, height, channels };
}

/** Pixel (c, y, x) of an HWC uint8 image as a float in [0, 1]. */
export function px(img: Image, c: number, y: number, x: number): number {
  return img.data[(y * img.width + x) * img.channels + c] / 255;
}

/** Pixel (c, y, x) of a CHW float image. */
export function at(img: FloatImage, c: number, y: number, x: number): number {
  return img.data[(c * img.height + y) * img.width + x];
}
