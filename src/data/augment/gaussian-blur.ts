import { CladeError } from '../../util/errors.ts';
import type { Rng } from '../../util/rng.ts';
import type { FloatImage } from './float-image.ts';
import type { PixelOp } from './pixel-op.ts';

/**
 * torchvision's 1-D kernel: `exp(-x² / 2σ²)` at x = -(k-1)/2 .. (k-1)/2, normalised to sum 1.
 *
 * @example
 * gaussianKernel1d(3, 1); // [0.274, 0.452, 0.274]
 */
export function gaussianKernel1d(kernelSize: number, sigma: number): Float64Array {
  const k = new Float64Array(kernelSize);
  const half = (kernelSize - 1) / 2;
  let s = 0;
  for (let i = 0; i < kernelSize; i++) {
    const x = (i - half) / sigma;
    k[i] = Math.exp(-0.5 * x * x);
    s += k[i];
  }
  for (let i = 0; i < kernelSize; i++) k[i] /= s;
  return k;
}

/**
 * Index into [0, n) with reflect padding (mirror without repeating the edge, torch `padding_mode='reflect'`).
 *
 * @example
 * reflectIndex(-1, 4); // 1
 */
export function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  i = ((i % period) + period) % period;
  return i < n ? i : period - i;
}

let line = new Float64Array(0);

/**
 * torchvision's `GaussianBlur(kernel_size, sigma=(0.1, 2.0))`: σ drawn uniformly from the range, a separable
 * Gaussian of `kernelSize` taps with reflect padding. `sample` returns σ; `apply` blurs in place.
 *
 * @example
 * const blur = new GaussianBlur(23, [0.1, 2]);
 * blur.apply(img, 1.5);
 */
export class GaussianBlur implements PixelOp<number> {
  readonly name = 'GaussianBlur';
  readonly kernelSize: [number, number];
  readonly sigma: readonly [number, number];

  constructor(
    kernelSize: number | readonly [number, number],
    sigma: number | readonly [number, number] = [0.1, 2],
  ) {
    const [kx, ky] = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
    if (![kx, ky].every((k) => Number.isInteger(k) && k > 0 && k % 2 === 1))
      throw new CladeError(`kernel size must be odd and positive, got ${kernelSize}`, {
        field: 'GaussianBlur.kernel_size',
      });
    this.kernelSize = [kx, ky];
    this.sigma = typeof sigma === 'number' ? [sigma, sigma] : sigma;
    if (!(this.sigma[0] > 0 && this.sigma[0] <= this.sigma[1]))
      throw new CladeError(`expected 0 < sigma[0] <= sigma[1], got ${this.sigma}`, {
        field: 'GaussianBlur.sigma',
      });
  }

  sample(rng: Rng): number {
    return rng.uniform(this.sigma[0], this.sigma[1]);
  }

  apply(img: FloatImage, sigma: number | null): void {
    if (sigma === null) return;
    const { width: w, height: h, channels: c, data } = img;
    const kx = gaussianKernel1d(this.kernelSize[0], sigma);
    const ky = gaussianKernel1d(this.kernelSize[1], sigma);
    const n = Math.max(w, h) + Math.max(kx.length, ky.length);
    if (line.length < n) line = new Float64Array(n);
    const rx = (kx.length - 1) / 2;
    const ry = (ky.length - 1) / 2;
    for (let ch = 0; ch < c; ch++) {
      const base = ch * w * h;
      // Rows: copy the padded row into `line`, convolve back into the image.
      for (let y = 0; y < h; y++) {
        const o = base + y * w;
        for (let i = -rx; i < w + rx; i++) line[i + rx] = data[o + reflectIndex(i, w)];
        for (let x = 0; x < w; x++) {
          let s = 0;
          for (let k = 0; k < kx.length; k++) s += kx[k] * line[x + k];
          data[o + x] = s;
        }
      }
      // Columns.
      for (let x = 0; x < w; x++) {
        const o = base + x;
        for (let i = -ry; i < h + ry; i++) line[i + ry] = data[o + reflectIndex(i, h) * w];
        for (let y = 0; y < h; y++) {
          let s = 0;
          for (let k = 0; k < ky.length; k++) s += ky[k] * line[y + k];
          data[o + y * w] = s;
        }
      }
    }
  }
}
