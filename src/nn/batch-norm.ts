import { constant, prim, scalar, type Tensor } from '../engine/tensor.ts';
import { CladeError } from '../util/errors.ts';
import { filled, type Ctx, type HostTensor } from './context.ts';

/**
 * BatchNorm parameters and buffers, PyTorch's names: `gamma`/`beta` [C] when affine; `running_mean` (zeros) and
 * `running_var` (ones) [C] are buffers (`isBuffer`), updated through `ctx.updates` rather than by the optimizer.
 */
export type BatchNormParams<L = Tensor> = {
  readonly gamma?: L;
  readonly beta?: L;
  readonly running_mean: L;
  readonly running_var: L;
};

export interface BatchNormOptions {
  /** Learnable scale and shift (default true; CLIPin's projector uses `affine: false`). */
  readonly affine?: boolean;
  readonly momentum?: number;
  readonly eps?: number;
}

/**
 * Batch normalisation over channel axis 1 of [B, C], [B, C, L] or [B, C, H, W] (BatchNorm1d and 2d).
 * Training: normalise with the batch mean and biased variance; record running stats
 * `(1 − m)·running + m·batch` with the *unbiased* variance (PyTorch) in `ctx.updates` under the buffers'
 * paths (a second call in the same step chains onto the first update). Eval: normalise with the running stats.
 *
 * @example
 * const p = batchNorm.init(64);
 * const y = batchNorm.apply(paramInputs(p, 'bn'), x, ctx);   // x [B, 64, H, W] -> same shape
 */
export const batchNorm = {
  init(channels: number, opts: Pick<BatchNormOptions, 'affine'> = {}): BatchNormParams<HostTensor> {
    const stats = { running_mean: filled([channels], 0), running_var: filled([channels], 1) };
    return opts.affine === false
      ? stats
      : { gamma: filled([channels], 1), beta: filled([channels], 0), ...stats };
  },

  apply(p: BatchNormParams, x: Tensor /* [B, C, ...] */, ctx: Ctx, opts: BatchNormOptions = {}): Tensor {
    const eps = opts.eps ?? 1e-5;
    const m = opts.momentum ?? 0.1;
    const c = x.shape[1];
    if (x.rank < 2 || p.running_mean.shape[0] !== c)
      throw new CladeError(`batchNorm expects [B, ${p.running_mean.shape[0]}, ...], got [${x.shape}]`, {
        buffer: p.running_mean.name,
      });
    if (ctx.train) {
      const n = x.size / c;
      if (n < 2)
        throw new CladeError(`batchNorm in training needs more than one value per channel, got [${x.shape}]`);
      // One fused primitive (ONNX BatchNormalization in training mode) with a hand-written backward.
      const gamma = p.gamma ?? constant(new Float32Array(c).fill(1), [c]);
      const beta = p.beta ?? constant(new Float32Array(c), [c]);
      const part = (which: 'y' | 'mean' | 'var') => prim('batchNorm', [x, gamma, beta], { eps, part: which });
      // A second application in the same step (another view through the same layer) continues from the
      // first one's update, as PyTorch's sequential in-place updates do.
      const stat = (buffer: Tensor, batch: Tensor /* [C] */) => {
        const name = bufferName(buffer);
        const prev = ctx.updates.get(name) ?? buffer;
        ctx.updates.set(
          name,
          prev
            .mul(1 - m)
            .add(batch.mul(m))
            .stopGradient(),
        );
      };
      stat(p.running_mean, part('mean'));
      stat(p.running_var, part('var').mul(n / (n - 1)));
      return part('y');
    }
    // Eval: gamma / √(running_var + eps) folded into one per-channel scale and shift.
    const statShape = [c, ...x.shape.slice(2).map(() => 1)];
    let inv = scalar(1).div(p.running_var.add(eps).sqrt()); // [C]
    if (p.gamma) inv = inv.mul(p.gamma);
    let shift = p.running_mean.mul(inv).neg();
    if (p.beta) shift = shift.add(p.beta);
    return x.mul(inv.reshape(statShape)).add(shift.reshape(statShape));
  },
};

function bufferName(buffer: Tensor): string {
  if (buffer.op !== 'input' || !buffer.name)
    throw new CladeError(
      `batchNorm running statistics must be named graph inputs (paramInputs), got ${buffer}`,
    );
  return buffer.name;
}
