import { CladeError } from '../../util/errors.ts';
import type { Image } from '../types.ts';

/**
 * A float image in CHW layout (planar channels), as `ToTensor` produces it: values in [0, 1] before `Normalize`.
 *
 * @example
 * const t = toTensor(img); // Image (HWC uint8) -> FloatImage (CHW float)
 * t.data[c * t.height * t.width + y * t.width + x];
 */
export interface FloatImage {
  readonly data: Float32Array; /* [C, H, W] */
  readonly width: number;
  readonly height: number;
  readonly channels: number;
}

/** Either layout a transform accepts: decoded `Image` (HWC uint8) or `FloatImage` (CHW float). */
export type AnyImage = Image | FloatImage;

export function isFloatImage(img: AnyImage): img is FloatImage {
  return img.data instanceof Float32Array;
}

/** A new zero-filled float image. */
export function floatImage(channels: number, height: number, width: number): FloatImage {
  return { data: new Float32Array(channels * height * width), channels, height, width };
}

/**
 * torchvision's `ToTensor`: HWC uint8 -> CHW float in [0, 1] (value / 255). A `FloatImage` is returned unchanged.
 *
 * @example
 * toTensor({ data: Uint8Array.of(255, 0, 0), width: 1, height: 1, channels: 3 }).data; // [1, 0, 0]
 */
export function toTensor(img: AnyImage): FloatImage {
  if (isFloatImage(img)) return img;
  checkImage(img);
  const { width: w, height: h, channels: c, data } = img;
  const hw = w * h;
  const out = new Float32Array(c * hw);
  for (let p = 0, q = 0; p < hw; p++) for (let k = 0; k < c; k++, q++) out[k * hw + p] = data[q] / 255;
  return { data: out, width: w, height: h, channels: c };
}

/** CHW float in [0, 1] -> HWC uint8 (round half up, clamped), e.g. for saving a view to look at. */
export function toImage(img: FloatImage): Image {
  const { width: w, height: h, channels: c, data } = img;
  if (c !== 1 && c !== 3) throw new CladeError(`expected 1 or 3 channels, got ${c}`, { field: 'channels' });
  const hw = w * h;
  const out = new Uint8Array(c * hw);
  for (let p = 0, q = 0; p < hw; p++)
    for (let k = 0; k < c; k++, q++)
      out[q] = Math.min(255, Math.max(0, Math.floor(data[k * hw + p] * 255 + 0.5)));
  return { data: out, width: w, height: h, channels: c };
}

/** Throws `CladeError` unless the buffer length matches the declared size. */
export function checkImage(img: AnyImage, where = 'image'): void {
  const { width: w, height: h, channels: c } = img;
  if (!(Number.isInteger(w) && w > 0 && Number.isInteger(h) && h > 0))
    throw new CladeError(`expected positive integer width and height, got ${w}x${h}`, { field: where });
  if (img.data.length !== w * h * c)
    throw new CladeError(`data has ${img.data.length} values, expected ${h}*${w}*${c} = ${h * w * c}`, {
      field: where,
    });
}

/**
 * Python's `round` (half to even), which torchvision uses for crop sizes and centre-crop offsets.
 *
 * @example
 * roundHalfEven(2.5); // 2
 */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
