import { CladeError } from '../../util/errors.ts';
import type { Rng } from '../../util/rng.ts';
import { toTensor, type AnyImage, type FloatImage } from './float-image.ts';

/**
 * torchvision's `RandomHorizontalFlip(p)`. `sample` returns whether to flip; `apply` mirrors columns
 * (`out[c, y, x] = in[c, y, W - 1 - x]`). View pipelines fuse the flip into the crop's resampling instead.
 *
 * @example
 * const f = new RandomHorizontalFlip(0.5);
 * const flipped = f.apply(img, true);
 */
export class RandomHorizontalFlip {
  readonly name = 'RandomHorizontalFlip';
  constructor(readonly p = 0.5) {
    if (!(p >= 0 && p <= 1))
      throw new CladeError(`expected p in [0, 1], got ${p}`, { field: 'RandomHorizontalFlip.p' });
  }

  sample(rng: Rng): boolean {
    return rng.bernoulli(this.p);
  }

  apply(img: AnyImage, flip: boolean): FloatImage {
    const t = toTensor(img);
    if (!flip) return t === img ? { ...t, data: t.data.slice() } : t;
    const { width: w, height: h, channels: c } = t;
    const out = new Float32Array(t.data.length);
    for (let r = 0; r < c * h; r++) {
      const o = r * w;
      for (let x = 0; x < w; x++) out[o + x] = t.data[o + w - 1 - x];
    }
    return { data: out, width: w, height: h, channels: c };
  }
}
