import { CladeError } from '../../util/errors.ts';
import type { Rng } from '../../util/rng.ts';
import { adjustBrightness, adjustContrast, adjustHue, adjustSaturation } from './color.ts';
import type { FloatImage } from './float-image.ts';
import type { PixelOp } from './pixel-op.ts';

/** A jitter range: `x` means [max(0, 1 - x), 1 + x] (hue: [-x, x]), or an explicit `[lo, hi]`. */
export type JitterRange = number | readonly [number, number];

export interface ColorJitterParams {
  /** Order the four adjustments run in: 0 brightness, 1 contrast, 2 saturation, 3 hue. */
  readonly order: readonly number[];
  readonly brightness: number | null;
  readonly contrast: number | null;
  readonly saturation: number | null;
  readonly hue: number | null;
}

/**
 * torchvision's `ColorJitter(brightness, contrast, saturation, hue)`: each factor drawn uniformly from its range,
 * the four adjustments applied in a random order (`get_params`' `randperm(4)`). A factor whose range is 0 is
 * skipped (null), as in torchvision.
 *
 * @example
 * const cj = new ColorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 });
 * cj.apply(img, { order: [0, 1, 2, 3], brightness: 1.2, contrast: null, saturation: null, hue: null });
 */
export class ColorJitter implements PixelOp<ColorJitterParams> {
  readonly name = 'ColorJitter';
  readonly brightness: readonly [number, number] | null;
  readonly contrast: readonly [number, number] | null;
  readonly saturation: readonly [number, number] | null;
  readonly hue: readonly [number, number] | null;

  constructor(
    opts: {
      brightness?: JitterRange;
      contrast?: JitterRange;
      saturation?: JitterRange;
      hue?: JitterRange;
    } = {},
  ) {
    this.brightness = range(opts.brightness ?? 0, 'brightness', 1, [0, Infinity]);
    this.contrast = range(opts.contrast ?? 0, 'contrast', 1, [0, Infinity]);
    this.saturation = range(opts.saturation ?? 0, 'saturation', 1, [0, Infinity]);
    this.hue = range(opts.hue ?? 0, 'hue', 0, [-0.5, 0.5]);
  }

  sample(rng: Rng): ColorJitterParams {
    const order = Array.from(rng.permutation(4));
    const draw = (r: readonly [number, number] | null) => (r ? rng.uniform(r[0], r[1]) : null);
    const brightness = draw(this.brightness);
    const contrast = draw(this.contrast);
    const saturation = draw(this.saturation);
    const hue = draw(this.hue);
    return { order, brightness, contrast, saturation, hue };
  }

  apply(img: FloatImage, p: ColorJitterParams | null): void {
    if (!p) return;
    const hw = img.width * img.height;
    for (const k of p.order) {
      if (k === 0 && p.brightness !== null) adjustBrightness(img.data, p.brightness);
      else if (k === 1 && p.contrast !== null) adjustContrast(img.data, hw, p.contrast);
      else if (k === 2 && p.saturation !== null) adjustSaturation(img.data, hw, p.saturation);
      else if (k === 3 && p.hue !== null) adjustHue(img.data, hw, p.hue);
    }
  }
}

function range(
  v: JitterRange,
  name: string,
  center: number,
  bound: readonly [number, number],
): readonly [number, number] | null {
  let r: [number, number];
  if (typeof v === 'number') {
    if (!(v >= 0))
      throw new CladeError(`expected a non-negative number, got ${v}`, { field: `ColorJitter.${name}` });
    r = [center - v, center + v];
    if (center === 1) r[0] = Math.max(0, r[0]);
  } else r = [v[0], v[1]];
  if (!(r[0] >= bound[0] && r[1] <= bound[1] && r[0] <= r[1]))
    throw new CladeError(`range [${r}] must lie in [${bound}]`, { field: `ColorJitter.${name}` });
  return r[0] === center && r[1] === center ? null : r;
}
