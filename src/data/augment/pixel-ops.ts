import { CladeError } from '../../util/errors.ts';
import type { Rng } from '../../util/rng.ts';
import { toGrayscale } from './color.ts';
import type { FloatImage } from './float-image.ts';
import type { PixelOp } from './pixel-op.ts';

function checkP(p: number, name: string): number {
  if (!(p >= 0 && p <= 1)) throw new CladeError(`expected p in [0, 1], got ${p}`, { field: `${name}.p` });
  return p;
}

/**
 * torchvision's `RandomApply(transforms, p)`: with probability p, apply all `ops` in order.
 *
 * @example
 * const jitter = new RandomApply([new ColorJitter({ brightness: 0.4 })], 0.8);
 */
export class RandomApply implements PixelOp<unknown[]> {
  readonly name = 'RandomApply';
  constructor(
    readonly ops: readonly PixelOp[],
    readonly p = 0.5,
  ) {
    checkP(p, 'RandomApply');
  }
  sample(rng: Rng): unknown[] | null {
    if (!rng.bernoulli(this.p)) return null;
    return this.ops.map((op) => op.sample(rng));
  }
  apply(img: FloatImage, params: unknown[] | null): void {
    if (!params) return;
    this.ops.forEach((op, i) => op.apply(img, params[i]));
  }
}

/**
 * torchvision's `RandomGrayscale(p)`: with probability p, every channel becomes 0.299 R + 0.587 G + 0.114 B.
 *
 * @example
 * new RandomGrayscale(0.2).apply(img, true);
 */
export class RandomGrayscale implements PixelOp<true> {
  readonly name = 'RandomGrayscale';
  constructor(readonly p = 0.1) {
    checkP(p, 'RandomGrayscale');
  }
  sample(rng: Rng): true | null {
    return rng.bernoulli(this.p) ? true : null;
  }
  apply(img: FloatImage, params: true | null): void {
    if (params) toGrayscale(img.data, img.width * img.height);
  }
}

/**
 * torchvision's `RandomSolarize(threshold, p)`: with probability p, `x >= threshold ? 1 - x : x`.
 * On float images the threshold is in [0, 1] (BYOL's 128 on 8-bit is 0.5 here); `p = 1` is `Solarize`.
 *
 * @example
 * new RandomSolarize(0.5, 0.2).apply(img, true);
 */
export class RandomSolarize implements PixelOp<true> {
  readonly name = 'RandomSolarize';
  constructor(
    readonly threshold = 0.5,
    readonly p = 0.5,
  ) {
    checkP(p, 'RandomSolarize');
  }
  sample(rng: Rng): true | null {
    return rng.bernoulli(this.p) ? true : null;
  }
  apply(img: FloatImage, params: true | null): void {
    if (!params) return;
    const d = img.data;
    const t = this.threshold;
    for (let i = 0; i < d.length; i++) if (d[i] >= t) d[i] = 1 - d[i];
  }
}

/**
 * torchvision's `RandomSolarize(threshold, p = 1)`, i.e. `F.solarize`: always applied.
 *
 * @example
 * new Solarize(0.5).apply(img, true);
 */
export class Solarize extends RandomSolarize {
  constructor(threshold = 0.5) {
    super(threshold, 1);
  }
}

/**
 * torchvision's `Normalize(mean, std)`: `(x - mean[c]) / std[c]`, in place.
 *
 * @example
 * new Normalize(OPENAI_MEAN, OPENAI_STD).apply(img);
 */
export class Normalize {
  readonly name = 'Normalize';
  constructor(
    readonly mean: readonly number[],
    readonly std: readonly number[],
  ) {
    if (mean.length !== std.length || std.some((s) => !(s > 0)))
      throw new CladeError(`expected mean and std of equal length with std > 0`, { field: 'Normalize' });
  }
  sample(_rng: Rng): null {
    return null;
  }
  apply(img: FloatImage, _params: null = null): void {
    const hw = img.width * img.height;
    if (this.mean.length !== img.channels)
      throw new CladeError(`${this.mean.length} means for a ${img.channels}-channel image`, {
        field: 'Normalize',
      });
    for (let c = 0; c < img.channels; c++) {
      const m = this.mean[c];
      const s = 1 / this.std[c];
      for (let i = c * hw; i < (c + 1) * hw; i++) img.data[i] = (img.data[i] - m) * s;
    }
  }
}

/** OpenAI CLIP's normalisation (BioCLIP, CLIPin). */
export const OPENAI_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
export const OPENAI_STD = [0.26862954, 0.26130258, 0.27577711] as const;
/** ImageNet normalisation (SimCLR, BYOL). */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;
/** CIFAR-10 training-set statistics commonly used with CIFAR SimCLR. */
export const CIFAR10_MEAN = [0.4914, 0.4822, 0.4465] as const;
export const CIFAR10_STD = [0.247, 0.2435, 0.2616] as const;
