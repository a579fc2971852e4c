/**
 * CIFAR pipelines: CIFAR-10/100 binaries with the views of a view preset, and the CIFAR-100 recipes' training and
 * evaluation views (with BioCLIP 2 captions of the superclass → class taxonomy for the image-text recipes).
 */
import { RandomResizedCrop } from '../augment/random-resized-crop.ts';
import { ImageView } from '../augment/image-view.ts';
import { Normalize } from '../augment/pixel-ops.ts';
import { ResizeCenterCrop } from '../augment/resize.ts';
import { buildViews, type ViewSpec } from '../augment/view-spec.ts';
import { byolViews, simclrViews } from '../augment/views.ts';
import type { LoaderDataset, Pipeline } from '../loader/loader-types.ts';
import { viewsTransform } from '../loader/sample-transforms.ts';
import { readCifar10, readCifar100, type CifarDataset } from '../readers/cifar.ts';
import { cifar100Taxonomy } from '../taxonomy/cifar100-taxonomy.ts';
import { taxonomyCaptions } from '../taxonomy/text-types.ts';

/**
 * CIFAR-10 (`kind: 'cifar10'`, default) or CIFAR-100 binaries with the image views of a view preset.
 *
 * @example
 * pipelineSource('cifar-views', { file: '../shared/datasets/cifar-10/test_batch.bin', views: { preset: 'byol' } });
 */
export function cifarPresetViews(args: {
  readonly file: string;
  readonly kind?: 'cifar10' | 'cifar100';
  readonly views: ViewSpec;
  readonly captions?: boolean;
}): Pipeline {
  const dataset = args.kind === 'cifar100' ? readCifar100(args.file) : readCifar10(args.file);
  return {
    dataset,
    transform: viewsTransform({ image: buildViews(args.views), captions: args.captions ?? true }),
  };
}

/**
 * CIFAR-100 training-set statistics (the values of weiaicunzai/pytorch-cifar100 `conf/global_settings.py`,
 * computed over the 50,000 training images).
 */
export const CIFAR100_MEAN = [0.5070751592371323, 0.48654887331495095, 0.4409178433670343] as const;
export const CIFAR100_STD = [0.2673342858792401, 0.2564384629170883, 0.27615047132568404] as const;
const STATS = { mean: CIFAR100_MEAN, std: CIFAR100_STD };

export type CifarViewMode = 'supervised' | 'pair' | 'simclr' | 'byol' | 'eval';

export interface Cifar100Args {
  /** A CIFAR-100 binary (`<coarse><fine><3072 planar bytes>` records), e.g. `../shared/datasets/cifar-100/train.bin`. */
  readonly file: string;
  /**
   * `supervised`: RandomResizedCrop(scale) + flip (docs/methods.md §E.7's supervised baseline); `simclr`: SimCLR's two
   * views (colour strength 0.5, no blur at 32 px); `byol`: BYOL's asymmetric pair; `pair`: the `supervised`
   * crop + flip sampled twice (CLIPin's two views, docs/methods.md §D.5); `eval`: normalise only.
   */
  readonly mode: CifarViewMode;
  /** Crop area range of the random crops (default per mode: supervised [0.2, 1] §E.7, simclr/byol [0.08, 1]). */
  readonly scale?: readonly [number, number];
  /** Use only the first `limit` records (0 or absent: all). The shared files are round-robin by class. */
  readonly limit?: number;
  /** Attach each record's class captions in BioCLIP 2's five text types (`cifar100Captions`). */
  readonly captions?: boolean;
}

/**
 * CIFAR-100's captions per fine label: the superclass → class taxonomy rendered in BioCLIP 2's five text types
 * (docs/methods.md §A.3) with `_` written as a space — `taxon` 'a photo of large omnivores and herbivores cattle.',
 * `sci` and `com` 'a photo of cattle.' (CIFAR has no scientific names: the most specific rank name stands in),
 * `sci_com` 'a photo of cattle with common name cattle.', `taxon_com` likewise. [100][5], TEXT_TYPES order.
 */
export function cifar100Captions(): string[][] {
  return taxonomyCaptions(cifar100Taxonomy(), (n) => n.replace(/_/g, ' '));
}

/** The first `limit` records of a dataset (all when 0/absent). */
export function limitDataset<D extends LoaderDataset>(ds: D, limit?: number): D {
  if (!limit || limit >= ds.length) return ds;
  return { ...ds, length: limit, get: (i: number) => ds.get(i) } as D;
}

/** The augmentation views of a mode (one view for supervised/eval, two for simclr/byol/pair). */
export function cifar100Views(mode: CifarViewMode, scale?: readonly [number, number]): ImageView[] {
  switch (mode) {
    case 'supervised':
      return [
        new ImageView({
          geometry: new RandomResizedCrop(32, { scale: scale ?? [0.2, 1] }),
          flip: 0.5,
          normalize: new Normalize(STATS.mean, STATS.std),
        }),
      ];
    case 'pair':
      return [...cifar100Views('supervised', scale), ...cifar100Views('supervised', scale)];
    case 'simclr':
      return simclrViews({ size: 32, scale: scale ?? [0.08, 1], blur: false, normalize: STATS });
    case 'byol':
      return byolViews({ size: 32, scale: scale ?? [0.08, 1], normalize: STATS });
    case 'eval':
      return [
        new ImageView({
          geometry: new ResizeCenterCrop(32, 32),
          normalize: new Normalize(STATS.mean, STATS.std),
        }),
      ];
  }
}

/**
 * The CIFAR-100 recipes' pipeline: a CIFAR-100 binary (optionally its first `limit` records, optionally with
 * captions) through the views of `mode`.
 *
 * @example
 * pipelineSource('cifar100', { file: '../shared/datasets/cifar-100/train.bin', mode: 'simclr' });
 */
export function cifar100(args: Cifar100Args): Pipeline {
  const ds = limitDataset(readCifar100(args.file), args.limit);
  const captions = args.captions ? cifar100Captions() : null;
  const dataset = captions
    ? { ...ds, get: (i: number) => ({ ...ds.get(i), captions: captions[ds.labels[i]] }) }
    : ds;
  return { dataset, transform: viewsTransform({ image: cifar100Views(args.mode, args.scale) }) };
}

/**
 * Images of a CIFAR dataset normalised as the `eval` view does (no resampling: the records are already 32 px),
 * stacked NCHW. `indices` defaults to all records.
 */
export function cifarEvalImages(
  ds: CifarDataset,
  indices?: ArrayLike<number>,
): Float32Array /* [N, 3, 32, 32] */ {
  const n = indices ? indices.length : ds.length;
  const out = new Float32Array(n * 3072);
  for (let r = 0; r < n; r++) {
    const img = ds.get(indices ? indices[r] : r).image!;
    const px = img.data; // [32, 32, 3] HWC bytes
    const o = r * 3072;
    for (let c = 0; c < 3; c++) {
      const m = STATS.mean[c];
      const s = 1 / STATS.std[c];
      for (let i = 0; i < 1024; i++) out[o + c * 1024 + i] = (px[i * 3 + c] / 255 - m) * s;
    }
  }
  return out;
}
