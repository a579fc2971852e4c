import type { Rng } from '../../util/rng.ts';
import type { FloatImage } from './float-image.ts';

/**
 * A transform on a float CHW image whose random parameters do not depend on the image size (colour, blur,
 * solarize, grayscale). `sample` draws the parameters from an `Rng`; `apply` uses them, in place, deterministically.
 * `null` parameters mean "not applied" (a probability that came out false).
 *
 * @example
 * const p = op.sample(rng);
 * op.apply(img, p); // img changed in place
 */
export interface PixelOp<P = unknown> {
  readonly name: string;
  sample(rng: Rng): P | null;
  apply(img: FloatImage, params: P | null): void;
}

/** Sample then apply, returning the image (changed in place). */
export function forward<P>(op: PixelOp<P>, img: FloatImage, rng: Rng): FloatImage {
  op.apply(img, op.sample(rng));
  return img;
}
