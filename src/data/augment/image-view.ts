import { CladeError } from '../../util/errors.ts';
import type { Rng } from '../../util/rng.ts';
import { checkImage, type AnyImage, type FloatImage } from './float-image.ts';
import type { PixelOp } from './pixel-op.ts';
import { Normalize } from './pixel-ops.ts';
import { checkBox, type CropBox, RandomResizedCrop } from './random-resized-crop.ts';
import { resampleInto } from './resample.ts';
import { resizedSize, ResizeCenterCrop } from './resize.ts';
import type { Interpolation } from './resample.ts';

export interface ImageViewOptions {
  /** Random crop (training) or resize + centre crop (evaluation). */
  geometry: RandomResizedCrop | ResizeCenterCrop;
  /** Resize the shorter side to `size` first (CLIPin: resize 224 bicubic, then the random crop). */
  preResize?: { size: number; interpolation?: Interpolation };
  /** Probability of a horizontal flip (0 = never). */
  flip?: number;
  /** Colour, blur, solarize… applied in order on the [0, 1] float image. */
  ops?: readonly PixelOp[];
  /** Final `Normalize`; none leaves values in [0, 1]. */
  normalize?: Normalize;
}

/** Everything random about one view of one image; `apply` with the same params gives the same pixels. */
export interface ImageViewParams {
  readonly box: CropBox | null;
  readonly flip: boolean;
  readonly ops: readonly unknown[];
}

/**
 * One augmentation pipeline, i.e. torchvision's `Compose([crop, flip, *ops, ToTensor, Normalize])`, with crop,
 * resize, flip, ToTensor and (when no pixel op comes between) Normalize fused into a single resampling pass that
 * writes straight into a batch buffer.
 *
 * @example
 * const view = new ImageView({ geometry: new RandomResizedCrop(32), flip: 0.5, ops: [new RandomGrayscale(0.2)] });
 * const t = view.forward(img, rng); // FloatImage [C, 32, 32]
 * view.forward(img, rng, batch, i * view.size(img.channels)); // or straight into a [B, C, 32, 32] buffer
 */
export class ImageView {
  readonly geometry: RandomResizedCrop | ResizeCenterCrop;
  readonly preResize: { size: number; interpolation: Interpolation } | null;
  readonly flip: number;
  readonly ops: readonly PixelOp[];
  readonly normalize: Normalize | null;

  constructor(opts: ImageViewOptions) {
    this.geometry = opts.geometry;
    this.preResize = opts.preResize
      ? { size: opts.preResize.size, interpolation: opts.preResize.interpolation ?? 'bilinear' }
      : null;
    this.flip = opts.flip ?? 0;
    if (!(this.flip >= 0 && this.flip <= 1))
      throw new CladeError(`expected flip probability in [0, 1], got ${this.flip}`, {
        field: 'ImageView.flip',
      });
    this.ops = opts.ops ?? [];
    this.normalize = opts.normalize ?? null;
  }

  /** Output `[height, width]`. */
  get outSize(): [number, number] {
    const g = this.geometry;
    return g instanceof RandomResizedCrop ? g.size : g.crop;
  }

  /** Number of floats one view of a `channels`-channel image occupies. */
  size(channels: number): number {
    const [h, w] = this.outSize;
    return channels * h * w;
  }

  /** Draw the parameters for an input of `height` x `width` (crop box, flip, then each op in order). */
  sample(rng: Rng, height: number, width: number): ImageViewParams {
    if (this.preResize) [height, width] = resizedSize(height, width, this.preResize.size);
    const box = this.geometry instanceof RandomResizedCrop ? this.geometry.sample(rng, height, width) : null;
    const flip = this.flip > 0 ? rng.bernoulli(this.flip) : false;
    const ops = this.ops.map((op) => op.sample(rng));
    return { box, flip, ops };
  }

  /** Apply fixed parameters; writes into `out` at `offset` when given (CHW, `size(C)` floats). */
  apply(img: AnyImage, p: ImageViewParams, out?: Float32Array, offset = 0): FloatImage {
    checkImage(img);
    const src = this.preResized(img);
    const [h, w] = this.outSize;
    const C = src.channels;
    const n = C * h * w;
    const data = out ? out.subarray(offset, offset + n) : new Float32Array(n);
    if (data.length !== n) throw new CladeError(`output buffer too small for a view at offset ${offset}`);
    const fuseNorm = this.normalize !== null && this.ops.length === 0;
    if (fuseNorm && this.normalize!.mean.length !== C)
      throw new CladeError(`${this.normalize!.mean.length} means for a ${C}-channel image`, {
        field: 'Normalize',
      });
    const scale = fuseNorm ? this.normalize!.std.map((s) => 1 / s) : undefined;
    const bias = fuseNorm ? this.normalize!.mean.map((m, c) => -m / this.normalize!.std[c]) : undefined;
    const g = this.geometry;
    if (g instanceof RandomResizedCrop) {
      if (!p.box) throw new CladeError('a RandomResizedCrop view needs a crop box', { field: 'params.box' });
      checkBox(src, p.box);
      const spec = { ...p.box, resizeHeight: h, resizeWidth: w, interpolation: g.interpolation };
      resampleInto(src, { ...spec, antialias: g.antialias, flip: p.flip, scale, bias }, data);
    } else resampleInto(src, { ...g.spec(src.height, src.width, p.flip), scale, bias }, data);
    const view: FloatImage = { data, channels: C, height: h, width: w };
    this.ops.forEach((op, i) => op.apply(view, p.ops[i]));
    if (this.normalize && !fuseNorm) this.normalize.apply(view);
    return view;
  }

  forward(img: AnyImage, rng: Rng, out?: Float32Array, offset = 0): FloatImage {
    return this.apply(img, this.sample(rng, img.height, img.width), out, offset);
  }

  private preResized(img: AnyImage): AnyImage {
    if (!this.preResize) return img;
    const { size, interpolation } = this.preResize;
    return new ResizeCenterCrop(size, resizedSize(img.height, img.width, size), { interpolation }).apply(img);
  }
}
