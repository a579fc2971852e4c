import type { Rng } from '../../util/rng.ts';
import { ColorJitter } from './color-jitter.ts';
import type { AnyImage, FloatImage } from './float-image.ts';
import { GaussianBlur } from './gaussian-blur.ts';
import { ImageView } from './image-view.ts';
import type { PixelOp } from './pixel-op.ts';
import {
  CIFAR10_MEAN,
  CIFAR10_STD,
  IMAGENET_MEAN,
  IMAGENET_STD,
  Normalize,
  OPENAI_MEAN,
  OPENAI_STD,
  RandomApply,
  RandomGrayscale,
  RandomSolarize,
} from './pixel-ops.ts';
import { RandomResizedCrop } from './random-resized-crop.ts';
import { ResizeCenterCrop } from './resize.ts';

/** Mean/std pair, or null for no normalisation. */
export type Stats = { mean: readonly number[]; std: readonly number[] } | null;

const norm = (s: Stats) => (s ? new Normalize(s.mean, s.std) : undefined);

/**
 * The blur kernel SimCLR/BYOL use: about 10% of the image side, made odd.
 *
 * @example
 * blurKernelFor(224); // 23
 */
export function blurKernelFor(size: number): number {
  const k = Math.round(size / 10);
  return k % 2 === 1 ? k : k + 1;
}

export interface SimclrViewOptions {
  size?: number;
  scale?: readonly [number, number];
  /** ColorJitter strengths [brightness, contrast, saturation, hue]; default [0.4, 0.4, 0.4, 0.1]. */
  jitter?: readonly [number, number, number, number];
  /** Gaussian blur with p = 0.5 (SimCLR on ImageNet); default on for size > 32. */
  blur?: boolean;
  normalize?: Stats;
}

/**
 * SimCLR's two views (the same pipeline drawn twice): RandomResizedCrop(scale 0.08–1) → flip 0.5 →
 * ColorJitter(0.4, 0.4, 0.4, 0.1) with p 0.8 → grayscale 0.2 → [blur p 0.5, kernel ≈ size/10, on large images]
 * → Normalize (CIFAR-10 statistics at 32 px, ImageNet otherwise).
 *
 * @example
 * const [v1, v2] = simclrViews({ size: 32 });
 */
export function simclrViews(opts: SimclrViewOptions = {}): [ImageView, ImageView] {
  const size = opts.size ?? 32;
  const [b, c, s, h] = opts.jitter ?? [0.4, 0.4, 0.4, 0.1];
  const ops: PixelOp[] = [
    new RandomApply([new ColorJitter({ brightness: b, contrast: c, saturation: s, hue: h })], 0.8),
    new RandomGrayscale(0.2),
  ];
  if (opts.blur ?? size > 32) ops.push(new RandomApply([new GaussianBlur(blurKernelFor(size))], 0.5));
  const stats =
    opts.normalize !== undefined
      ? opts.normalize
      : size <= 32
        ? { mean: CIFAR10_MEAN, std: CIFAR10_STD }
        : { mean: IMAGENET_MEAN, std: IMAGENET_STD };
  const view = new ImageView({
    geometry: new RandomResizedCrop(size, { scale: opts.scale ?? [0.08, 1] }),
    flip: 0.5,
    ops,
    normalize: norm(stats),
  });
  return [view, view];
}

export interface ByolViewOptions {
  size?: number;
  /** Crop area range; BYOL uses [0.08, 1], the RLD paper's CIFAR trainer (§E.7) [0.2, 1]. */
  scale?: readonly [number, number];
  normalize?: Stats;
}

/**
 * BYOL's asymmetric pair: both RandomResizedCrop → flip → ColorJitter(0.4, 0.4, 0.2, 0.1) p 0.8 → grayscale 0.2;
 * then view 1 blurs with p 1.0 and never solarizes, view 2 blurs with p 0.1 and solarizes with p 0.2.
 *
 * @example
 * const [online, target] = byolViews({ size: 32, scale: [0.2, 1] });
 */
export function byolViews(opts: ByolViewOptions = {}): [ImageView, ImageView] {
  const size = opts.size ?? 32;
  const stats = opts.normalize !== undefined ? opts.normalize : { mean: IMAGENET_MEAN, std: IMAGENET_STD };
  const make = (blurP: number, solarizeP: number) =>
    new ImageView({
      geometry: new RandomResizedCrop(size, { scale: opts.scale ?? [0.08, 1] }),
      flip: 0.5,
      ops: [
        new RandomApply(
          [new ColorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.2, hue: 0.1 })],
          0.8,
        ),
        new RandomGrayscale(0.2),
        new RandomApply([new GaussianBlur(blurKernelFor(size))], blurP),
        new RandomSolarize(0.5, solarizeP),
      ],
      normalize: norm(stats),
    });
  return [make(1.0, 0.0), make(0.1, 0.2)];
}

/**
 * CLIPin's views (§D.5): one pipeline sampled twice — resize 224 (bicubic) → RandomResizedCrop(224, scale 0.8–1,
 * ratio 1) → flip 0.5 → ColorJitter(brightness 0.1) → OpenAI mean/std (or `normalize`: a pretrained model's).
 *
 * @example
 * const [online, target] = clipinViews();
 */
export function clipinViews(opts: { size?: number; normalize?: Stats } = {}): [ImageView, ImageView] {
  const size = opts.size ?? 224;
  const view = new ImageView({
    preResize: { size, interpolation: 'bicubic' },
    geometry: new RandomResizedCrop(size, { scale: [0.8, 1], ratio: [1, 1] }),
    flip: 0.5,
    ops: [new ColorJitter({ brightness: 0.1 })],
    normalize: norm(opts.normalize !== undefined ? opts.normalize : { mean: OPENAI_MEAN, std: OPENAI_STD }),
  });
  return [view, view];
}

/**
 * BioCLIP / BioCLIP 2 training transform (§A.5, open_clip's): RandomResizedCrop(224, scale 0.9–1, bicubic)
 * → OpenAI mean/std, or `normalize` (a pretrained model's); no flip, no colour.
 *
 * @example
 * const t = bioclipTrainView().forward(img, rng); // [3, 224, 224]
 */
export function bioclipTrainView(opts: { size?: number; normalize?: Stats } = {}): ImageView {
  const size = opts.size ?? 224;
  return new ImageView({
    geometry: new RandomResizedCrop(size, { scale: [0.9, 1], interpolation: 'bicubic' }),
    normalize: norm(opts.normalize !== undefined ? opts.normalize : { mean: OPENAI_MEAN, std: OPENAI_STD }),
  });
}

/**
 * CLIP-style evaluation transform: Resize(size, bicubic) → CenterCrop(size) → OpenAI mean/std.
 *
 * @example
 * const t = clipEvalView().forward(img, rng); // deterministic; rng is not used
 */
export function clipEvalView(opts: { size?: number; normalize?: Stats } = {}): ImageView {
  const size = opts.size ?? 224;
  const stats = opts.normalize !== undefined ? opts.normalize : { mean: OPENAI_MEAN, std: OPENAI_STD };
  return new ImageView({
    geometry: new ResizeCenterCrop(size, size, { interpolation: 'bicubic' }),
    normalize: norm(stats),
  });
}

/**
 * Draw every view of one image from one per-sample `Rng`, in order (view 0's parameters first).
 *
 * @example
 * const [a, b] = drawViews(simclrViews(), img, rng);
 */
export function drawViews(views: readonly ImageView[], img: AnyImage, rng: Rng): FloatImage[] {
  return views.map((v) => v.forward(img, rng));
}
