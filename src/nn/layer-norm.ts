import { layerNorm as layerNormOp } from '../engine/functional/index.ts';
import type { Tensor } from '../engine/tensor.ts';
import { filled, type HostTensor } from './context.ts';

/** LayerNorm parameters: `gamma` [D] (ones), `beta` [D] (zeros). */
export type LayerNormParams<L = Tensor> = { readonly gamma: L; readonly beta: L };

/**
 * Layer normalisation over the last axis (biased variance, eps 1e-5, as PyTorch).
 *
 * @example
 * const p = layerNorm.init(64);
 * const y = layerNorm.apply(paramInputs(p), x);   // x [B, T, 64] -> [B, T, 64]
 */
export const layerNorm = {
  init(dim: number): LayerNormParams<HostTensor> {
    return { gamma: filled([dim], 1), beta: filled([dim], 0) };
  },

  apply(p: LayerNormParams, x: Tensor /* [..., D] */, eps = 1e-5): Tensor /* [..., D] */ {
    return layerNormOp(x, p.gamma, p.beta, eps);
  },
};
