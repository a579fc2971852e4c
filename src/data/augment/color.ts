import type { Image } from '../types.ts';
import { CladeError } from '../../util/errors.ts';
/** Luma weights of ITU-R 601-2 (PIL's `convert('L')`): gray = 0.299 R + 0.587 G + 0.114 B. */
export const GRAY_WEIGHTS = [0.299, 0.587, 0.114] as const;

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

/** `clamp(x * f)`: torchvision's `adjust_brightness` (blend with black). In place on CHW float. */
export function adjustBrightness(d: Float32Array, f: number): void {
  for (let i = 0; i < d.length; i++) d[i] = clamp01(d[i] * f);
}

/** `clamp(f * x + (1 - f) * mean(gray))`: torchvision's `adjust_contrast`. `hw` = H * W; 1 or 3 channels. */
export function adjustContrast(d: Float32Array, hw: number, f: number): void {
  let s = 0;
  if (d.length === hw) for (let i = 0; i < hw; i++) s += d[i];
  else
    for (let i = 0; i < hw; i++)
      s += GRAY_WEIGHTS[0] * d[i] + GRAY_WEIGHTS[1] * d[hw + i] + GRAY_WEIGHTS[2] * d[2 * hw + i];
  const b = (1 - f) * (s / hw);
  for (let i = 0; i < d.length; i++) d[i] = clamp01(f * d[i] + b);
}

/** `clamp(f * x + (1 - f) * gray(x))` per pixel: torchvision's `adjust_saturation`. RGB only. */
export function adjustSaturation(d: Float32Array, hw: number, f: number): void {
  if (d.length !== 3 * hw) return; // a 1-channel image has no saturation
  const g1 = 1 - f;
  for (let i = 0; i < hw; i++) {
    const r = d[i];
    const g = d[hw + i];
    const b = d[2 * hw + i];
    const y = g1 * (GRAY_WEIGHTS[0] * r + GRAY_WEIGHTS[1] * g + GRAY_WEIGHTS[2] * b);
    d[i] = clamp01(f * r + y);
    d[hw + i] = clamp01(f * g + y);
    d[2 * hw + i] = clamp01(f * b + y);
  }
}

/**
 * torchvision's `adjust_hue`: RGB -> HSV, `h = (h + f) mod 1`, HSV -> RGB (f in [-0.5, 0.5]). RGB only.
 * Follows torchvision's `_rgb2hsv` / `_hsv2rgb` tensor formulas.
 */
export function adjustHue(d: Float32Array, hw: number, f: number): void {
  if (d.length !== 3 * hw) return;
  for (let i = 0; i < hw; i++) {
    const r = d[i];
    const g = d[hw + i];
    const b = d[2 * hw + i];
    const maxc = r > g ? (r > b ? r : b) : g > b ? g : b;
    const minc = r < g ? (r < b ? r : b) : g < b ? g : b;
    const cr = maxc - minc;
    if (cr === 0) continue; // gray: hue is undefined and rotation changes nothing
    const s = cr / maxc;
    const rc = (maxc - r) / cr;
    const gc = (maxc - g) / cr;
    const bc = (maxc - b) / cr;
    let h = maxc === r ? bc - gc : maxc === g ? 2 + rc - bc : 4 + gc - rc;
    h = (((h / 6 + 1) % 1) + f + 1) % 1;
    const v = maxc;
    const h6 = h * 6;
    const k = Math.floor(h6);
    const fr = h6 - k;
    const p = clamp01(v * (1 - s));
    const q = clamp01(v * (1 - s * fr));
    const t = clamp01(v * (1 - s * (1 - fr)));
    let R: number, G: number, B: number;
    switch (k % 6) {
      case 0:
        R = v;
        G = t;
        B = p;
        break;
      case 1:
        R = q;
        G = v;
        B = p;
        break;
      case 2:
        R = p;
        G = v;
        B = t;
        break;
      case 3:
        R = p;
        G = q;
        B = v;
        break;
      case 4:
        R = t;
        G = p;
        B = v;
        break;
      default:
        R = v;
        G = p;
        B = q;
    }
    d[i] = R;
    d[hw + i] = G;
    d[2 * hw + i] = B;
  }
}

/** Replace each RGB pixel by its luma in all three channels (torchvision's grayscale with 3 output channels). */
export function toGrayscale(d: Float32Array, hw: number): void {
  if (d.length !== 3 * hw) return;
  for (let i = 0; i < hw; i++) {
    const y = GRAY_WEIGHTS[0] * d[i] + GRAY_WEIGHTS[1] * d[hw + i] + GRAY_WEIGHTS[2] * d[2 * hw + i];
    d[i] = y;
    d[hw + i] = y;
    d[2 * hw + i] = y;
  }
}

/**
 * An 8-bit image with `channels` channels (grey → RGB replicated, RGB → grey with the luma weights): how `clade embed`
 * and the browser's image tower feed an image to a tower of another channel count.
 */
export function withChannels(img: Image, channels: number): Image {
  if (img.channels === channels) return img;
  const n = img.width * img.height;
  const d = img.data;
  if (channels === 3) {
    const data = new Uint8Array(n * 3);
    for (let i = 0; i < n; i++) data[3 * i] = data[3 * i + 1] = data[3 * i + 2] = d[i];
    return { ...img, data, channels: 3 };
  }
  if (channels !== 1) throw new CladeError(`expected 1 or 3 image channels, got ${channels}`);
  const data = new Uint8Array(n);
  for (let i = 0; i < n; i++)
    data[i] = Math.round(
      GRAY_WEIGHTS[0] * d[3 * i] + GRAY_WEIGHTS[1] * d[3 * i + 1] + GRAY_WEIGHTS[2] * d[3 * i + 2],
    );
  return { ...img, data, channels: 1 };
}
