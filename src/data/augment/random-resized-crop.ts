import { CladeError } from '../../util/errors.ts';
import type { Rng } from '../../util/rng.ts';
import { checkImage, floatImage, roundHalfEven, type AnyImage, type FloatImage } from './float-image.ts';
import { resampleInto, type Interpolation } from './resample.ts';

/** A crop box in torchvision's order: `top, left, height, width` (integer pixels). */
export interface CropBox {
  readonly top: number;
  readonly left: number;
  readonly height: number;
  readonly width: number;
}

export interface RandomResizedCropOptions {
  /** Range of the crop's area as a fraction of the image's; default [0.08, 1]. */
  scale?: readonly [number, number];
  /** Range of the crop's aspect ratio (width / height), sampled log-uniformly; default [3/4, 4/3]. */
  ratio?: readonly [number, number];
  interpolation?: Interpolation;
  /** Stretch the kernel when downscaling (PIL; torchvision >= 0.17 tensors). Default true. */
  antialias?: boolean;
}

/** `size` as torchvision takes it: an int (square) or `[height, width]`. */
export type Size = number | readonly [number, number];

export function sizeHW(size: Size): [number, number] {
  const [h, w] = typeof size === 'number' ? [size, size] : size;
  if (!(Number.isInteger(h) && h > 0 && Number.isInteger(w) && w > 0))
    throw new CladeError(`expected a positive integer size or [height, width], got ${JSON.stringify(size)}`, {
      field: 'size',
    });
  return [h, w];
}

/**
 * torchvision's `RandomResizedCrop`: a crop of random area (fraction `scale`) and aspect ratio (`ratio`,
 * log-uniform), resized to `size`. Ten attempts, then torchvision's centre-crop fallback.
 * `sample` draws the box, `apply` crops and resizes with a fixed box.
 *
 * @example
 * const rrc = new RandomResizedCrop(224, { scale: [0.9, 1], interpolation: 'bicubic' });
 * const box = rrc.sample(rng, img.height, img.width); // { top, left, height, width }
 * const view = rrc.apply(img, box);                 // FloatImage [3, 224, 224]
 */
export class RandomResizedCrop {
  readonly size: [number, number];
  readonly scale: readonly [number, number];
  readonly ratio: readonly [number, number];
  readonly interpolation: Interpolation;
  readonly antialias: boolean;

  constructor(size: Size, opts: RandomResizedCropOptions = {}) {
    this.size = sizeHW(size);
    this.scale = opts.scale ?? [0.08, 1];
    this.ratio = opts.ratio ?? [3 / 4, 4 / 3];
    this.interpolation = opts.interpolation ?? 'bilinear';
    this.antialias = opts.antialias ?? true;
    const [s0, s1] = this.scale;
    const [r0, r1] = this.ratio;
    if (!(s0 > 0 && s0 <= s1 && r0 > 0 && r0 <= r1))
      throw new CladeError(`expected 0 < scale[0] <= scale[1] and 0 < ratio[0] <= ratio[1]`, {
        field: 'RandomResizedCrop',
      });
  }

  /** torchvision's `get_params`: the crop box for an image of `height` x `width`. */
  sample(rng: Rng, height: number, width: number): CropBox {
    const area = height * width;
    const lr0 = Math.log(this.ratio[0]);
    const lr1 = Math.log(this.ratio[1]);
    for (let attempt = 0; attempt < 10; attempt++) {
      const target = area * rng.uniform(this.scale[0], this.scale[1]);
      const aspect = Math.exp(rng.uniform(lr0, lr1));
      const w = roundHalfEven(Math.sqrt(target * aspect));
      const h = roundHalfEven(Math.sqrt(target / aspect));
      if (w > 0 && w <= width && h > 0 && h <= height) {
        const top = rng.int(height - h + 1);
        const left = rng.int(width - w + 1);
        return { top, left, height: h, width: w };
      }
    }
    return centreFallback(height, width, this.ratio);
  }

  /** Crop `box` and resize it to `size` (CHW float in [0, 1]). */
  apply(img: AnyImage, box: CropBox, flip = false): FloatImage {
    checkImage(img);
    checkBox(img, box);
    const [h, w] = this.size;
    const out = floatImage(img.channels, h, w);
    resampleInto(
      img,
      {
        ...box,
        resizeHeight: h,
        resizeWidth: w,
        interpolation: this.interpolation,
        antialias: this.antialias,
        flip,
      },
      out.data,
    );
    return out;
  }

  forward(img: AnyImage, rng: Rng): FloatImage {
    return this.apply(img, this.sample(rng, img.height, img.width));
  }
}

function centreFallback(height: number, width: number, ratio: readonly [number, number]): CropBox {
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < ratio[0]) h = roundHalfEven(w / ratio[0]);
  else if (inRatio > ratio[1]) w = roundHalfEven(h * ratio[1]);
  return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), height: h, width: w };
}

export function checkBox(img: AnyImage, box: CropBox): void {
  const { top, left, height, width } = box;
  if (
    !(Number.isInteger(top) && Number.isInteger(left) && height > 0 && width > 0) ||
    top < 0 ||
    left < 0 ||
    top + height > img.height ||
    left + width > img.width
  )
    throw new CladeError(
      `crop box ${JSON.stringify(box)} is not inside the ${img.height}x${img.width} image`,
      {
        field: 'box',
      },
    );
}
