import type { Tensor } from '../../engine/tensor.ts';
import type { Rng } from '../../util/rng.ts';
import type { Ctx, Params, Symbolic } from '../context.ts';

/**
 * A model with its configuration bound: `init` draws a host parameter tree, `apply` traces the forward pass
 * on the symbolic twin of that tree (`paramInputs(params)`). `Extra` lists inputs beyond `x` (the text
 * transformer's end-of-text positions).
 *
 * @example
 * const model = smallCnn({ outDim: 10 });
 * const params = model.init(new Rng(0));
 * const logits = model.apply(paramInputs(params), images, new Ctx(false));   // [B, 3, 32, 32] -> [B, 10]
 */
export interface Model<P extends Params, Cfg, X = Tensor, Extra extends unknown[] = []> {
  readonly name: string;
  readonly config: Cfg;
  init(rng: Rng): P;
  apply(params: Symbolic<P>, x: X, ctx: Ctx, ...extra: Extra): Tensor;
}
