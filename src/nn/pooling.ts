import type { Tensor } from '../engine/tensor.ts';
import { CladeError } from '../util/errors.ts';

/**
 * Global average pool: mean over H and W.
 *
 * @example
 * globalAvgPool(x);   // [B, C, H, W] -> [B, C]
 */
export function globalAvgPool(x: Tensor /* [B, C, H, W] */): Tensor /* [B, C] */ {
  return x.mean([2, 3]);
}

/** x [B, C, H, W] viewed as [B, C, H/k, k, W/k, k] (kernel == stride, no overlap). */
function windows(x: Tensor, k: number, what: string): Tensor {
  const [b, c, h, w] = x.shape;
  if (x.rank !== 4 || h % k !== 0 || w % k !== 0)
    throw new CladeError(`${what}: kernel ${k} must divide H and W of [B, C, H, W], got [${x.shape}]`);
  return x.reshape([b, c, h / k, k, w / k, k]);
}

/**
 * Average pool with kernel == stride (reshape + mean; no padding).
 *
 * @example
 * avgPool(x, 2);   // [B, C, 32, 32] -> [B, C, 16, 16]
 */
export function avgPool(x: Tensor /* [B, C, H, W] */, kernel: number): Tensor /* [B, C, H/k, W/k] */ {
  return windows(x, kernel, 'avgPool').mean([3, 5]);
}

/**
 * Max pool with kernel == stride (reshape + max; ties share the gradient as ReduceMax's rule defines).
 *
 * @example
 * maxPool(x, 2);   // [B, C, 32, 32] -> [B, C, 16, 16]
 */
export function maxPool(x: Tensor /* [B, C, H, W] */, kernel: number): Tensor /* [B, C, H/k, W/k] */ {
  return windows(x, kernel, 'maxPool').max([3, 5]);
}
