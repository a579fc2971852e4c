import type { Rng } from '../../util/rng.ts';
import { checkImage, floatImage, roundHalfEven, type AnyImage, type FloatImage } from './float-image.ts';
import { sizeHW, type Size } from './random-resized-crop.ts';
import { resampleInto, type Interpolation, type ResampleSpec } from './resample.ts';

/**
 * torchvision's `Resize(size: int)`: the shorter side becomes `size`, the longer `int(size * long / short)`.
 * With `[height, width]` the image is resized to exactly that.
 *
 * @example
 * resizedSize(300, 400, 224); // [224, 298]
 */
export function resizedSize(height: number, width: number, size: Size): [number, number] {
  if (typeof size !== 'number') return sizeHW(size);
  sizeHW(size);
  if (width <= height) return [Math.trunc((size * height) / width), size];
  return [size, Math.trunc((size * width) / height)];
}

/**
 * torchvision's `Resize(size)` alone: shorter side to `size` (or exactly `[height, width]`), PIL resampling.
 *
 * @example
 * new Resize(256, { interpolation: 'bicubic' }).apply(img); // 300x400 -> FloatImage [3, 256, 341]
 */
export class Resize {
  readonly interpolation: Interpolation;
  readonly antialias: boolean;
  constructor(
    readonly size: Size,
    opts: { interpolation?: Interpolation; antialias?: boolean } = {},
  ) {
    sizeHW(size);
    this.interpolation = opts.interpolation ?? 'bilinear';
    this.antialias = opts.antialias ?? true;
  }

  apply(img: AnyImage): FloatImage {
    checkImage(img);
    const [h, w] = resizedSize(img.height, img.width, this.size);
    const out = floatImage(img.channels, h, w);
    const spec = { top: 0, left: 0, height: img.height, width: img.width, resizeHeight: h, resizeWidth: w };
    resampleInto(img, { ...spec, interpolation: this.interpolation, antialias: this.antialias }, out.data);
    return out;
  }
}

/**
 * Evaluation geometry: `Resize(resize)` then `CenterCrop(crop)`, fused into one resampling that computes only
 * the kept window. A crop larger than the resized image is zero-padded as torchvision does. No random
 * parameters (`sample` returns null) so it can stand where a `RandomResizedCrop` stands.
 *
 * @example
 * const ev = new ResizeCenterCrop(224, 224, { interpolation: 'bicubic' }); // CLIP eval
 * const t = ev.apply(img); // FloatImage [3, 224, 224]
 */
export class ResizeCenterCrop {
  readonly resize: Size;
  readonly crop: [number, number];
  readonly interpolation: Interpolation;
  readonly antialias: boolean;

  constructor(resize: Size, crop: Size, opts: { interpolation?: Interpolation; antialias?: boolean } = {}) {
    this.resize = resize;
    this.crop = sizeHW(crop);
    sizeHW(resize);
    this.interpolation = opts.interpolation ?? 'bilinear';
    this.antialias = opts.antialias ?? true;
  }

  sample(_rng: Rng, _height: number, _width: number): null {
    return null;
  }

  /** The fused resampling for an image of `height` x `width` (see `resampleInto`). */
  spec(height: number, width: number, flip = false): ResampleSpec {
    const [rh, rw] = resizedSize(height, width, this.resize);
    const [ch, cw] = this.crop;
    return {
      top: 0,
      left: 0,
      height,
      width,
      resizeHeight: rh,
      resizeWidth: rw,
      cropTop: roundHalfEven((rh - ch) / 2),
      cropLeft: roundHalfEven((rw - cw) / 2),
      outHeight: ch,
      outWidth: cw,
      interpolation: this.interpolation,
      antialias: this.antialias,
      flip,
    };
  }

  apply(img: AnyImage, _params: null = null, flip = false): FloatImage {
    checkImage(img);
    const out = floatImage(img.channels, this.crop[0], this.crop[1]);
    resampleInto(img, this.spec(img.height, img.width, flip), out.data);
    return out;
  }
}

/**
 * torchvision's `CenterCrop(size)` alone (no resampling): offsets `round((H - h) / 2)`, zero padding when larger.
 *
 * @example
 * centerCrop(toTensor(img), 24); // FloatImage [C, 24, 24]
 */
export function centerCrop(img: FloatImage, size: Size): FloatImage {
  const [ch, cw] = sizeHW(size);
  const top = roundHalfEven((img.height - ch) / 2);
  const left = roundHalfEven((img.width - cw) / 2);
  const out = floatImage(img.channels, ch, cw);
  for (let c = 0; c < img.channels; c++)
    for (let y = 0; y < ch; y++) {
      const sy = y + top;
      if (sy < 0 || sy >= img.height) continue;
      for (let x = 0; x < cw; x++) {
        const sx = x + left;
        if (sx < 0 || sx >= img.width) continue;
        out.data[(c * ch + y) * cw + x] = img.data[(c * img.height + sy) * img.width + sx];
      }
    }
  return out;
}
