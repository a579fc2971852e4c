import { CladeError } from '../../util/errors.ts';
import type { Rng } from '../../util/rng.ts';
import type { ImageView } from '../augment/image-view.ts';
import type { TabularView } from '../augment/tabular-views.ts';
import type { Sample } from '../types.ts';
import { withImage } from '../readers/decode-image.ts';
import type { Item, SampleTransform } from './loader-types.ts';
import { decodeViewRegion } from './region-decode.ts';

export interface ViewsTransformOptions {
  /** Image views drawn in order from the sample's stream (e.g. `simclrViews()`). */
  image?: readonly ImageView[];
  /** Tabular views of `sample.tabular`, drawn after the image views. */
  tabular?: readonly TabularView<unknown>[];
  /** Token ids for the sample (e.g. a tokenizer over its first caption, then a text view). */
  tokens?: (sample: Sample, rng: Rng) => Int32Array;
  /** Pass `sample.captions` through (default true). */
  captions?: boolean;
  /**
   * How samples carrying `imagePath` instead of `image` (ImageFolder, manifests) are decoded here, i.e. in the worker:
   * - `'fast'` (default): RGB JPEGs with libjpeg-turbo's fast IDCT (`decodeJpegFast`, as FFCV trains; pixels within a
   *   few levels of an exact decode), other files and platforms without the binding with sharp;
   * - `'exact'`: sharp for every file (pixel-identical to PIL, as torchvision decodes);
   * - `'region'`: exact, but the crops are drawn from the JPEG header first and only their rows are decoded
   *   (`decodeViewRegion`).
   */
  decode?: 'fast' | 'exact' | 'region';
}

/**
 * The usual per-sample transform: image views, tabular views and tokens, plus the label and captions.
 *
 * @example
 * const transform = viewsTransform({ image: simclrViews({ size: 32 }) });
 * // Item { views: [v1, v2], label }
 */
export function viewsTransform(opts: ViewsTransformOptions): SampleTransform {
  return async (sample, rng, ctx) => {
    const item: { -readonly [K in keyof Item]: Item[K] } = {};
    const views = opts.image ?? [];
    if (views.length) {
      const slot = (k: number, channels: number) => ctx?.viewSlot(k, views[k].size(channels));
      const region =
        !sample.image && sample.imagePath && opts.decode === 'region'
          ? await decodeViewRegion(sample.imagePath, views, rng)
          : null;
      if (region) item.views = views.map((v, k) => v.apply(region.image, region.params[k], slot(k, 3)));
      else {
        const img = (await withImage(sample, { fastJpeg: (opts.decode ?? 'fast') === 'fast' })).image;
        if (!img) throw new CladeError('sample has no image', { sample: sample.id });
        item.views = views.map((v, k) => v.forward(img, rng, slot(k, img.channels)));
      }
    }
    if (opts.tabular?.length) {
      if (!sample.tabular) throw new CladeError('sample has no tabular features', { sample: sample.id });
      item.tabular = opts.tabular.map((t) => t.forward(sample.tabular!, rng));
    }
    if (opts.tokens) item.tokens = opts.tokens(sample, rng);
    if (sample.label !== undefined) item.label = sample.label;
    if ((opts.captions ?? true) && sample.captions) item.captions = sample.captions;
    return item;
  };
}
