import type { Tensor } from '../engine/tensor.ts';

/**
 * Global-norm gradient clipping (`torch.nn.utils.clip_grad_norm_`): every gradient is scaled by
 * min(1, maxNorm / (‖g‖₂ + 1e-6)) where ‖g‖₂ is the norm over all gradients together. Returns the clipped
 * gradients and the pre-clip norm (a useful metric).
 */
export function clipGlobalNorm(
  grads: readonly Tensor[],
  maxNorm: Tensor | number,
): { grads: Tensor[]; norm: Tensor } {
  let sq = grads[0].square().sum();
  for (const g of grads.slice(1)) sq = sq.add(g.square().sum());
  const norm = sq.sqrt();
  const coef = (typeof maxNorm === 'number' ? norm.mul(0).add(maxNorm) : maxNorm)
    .div(norm.add(1e-6))
    .minimum(1);
  return { grads: grads.map((g) => g.mul(coef)), norm };
}
