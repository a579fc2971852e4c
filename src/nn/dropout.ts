import { dropout as dropoutOp } from '../engine/functional/index.ts';
import type { Tensor } from '../engine/tensor.ts';
import type { Ctx } from './context.ts';

/**
 * Inverted dropout with a mask the step feeds from clade's seeded RNG (`ctx.dropoutMask`); identity in eval
 * mode or when p = 0.
 *
 * @example
 * const h = dropout(x, 0.1, ctx);   // x [B, T, D] -> [B, T, D]
 */
export function dropout(x: Tensor, p: number, ctx: Ctx): Tensor {
  return dropoutOp(x, ctx.dropoutMask(x.shape, p));
}
