import { gelu, selu } from '../engine/functional/index.ts';
import type { Tensor } from '../engine/tensor.ts';
import type { Rng } from '../util/rng.ts';
import type { Ctx, HostTensor } from './context.ts';
import { batchNorm, type BatchNormParams } from './batch-norm.ts';
import { dropout } from './dropout.ts';
import { layerNorm, type LayerNormParams } from './layer-norm.ts';
import { linear, type LinearParams } from './linear.ts';

export type MlpNorm = 'none' | 'layer' | 'batch';
export type Activation = 'relu' | 'gelu' | 'selu';

/** One MLP layer: its linear and, on hidden layers, an optional norm (LayerNorm or BatchNorm, told apart by its buffers). */
export type MlpLayerParams<L = Tensor> = {
  readonly linear: LinearParams<L>;
  readonly norm?: LayerNormParams<L> | BatchNormParams<L>;
};
export type MlpParams<L = Tensor> = { readonly layers: readonly MlpLayerParams<L>[] };

export interface MlpInitOptions {
  /** Norm between each hidden linear and its activation (default 'none'). */
  readonly norm?: MlpNorm;
  readonly bias?: boolean;
}
export interface MlpApplyOptions {
  readonly activation?: Activation;
  /** Dropout after each hidden activation (training only). */
  readonly dropout?: number;
}

const ACTIVATIONS: { readonly [K in Activation]: (x: Tensor, train: boolean) => Tensor } = {
  relu: (x) => x.relu(),
  gelu: (x, train) => gelu(x, { saveCdf: train }),
  selu,
};

/**
 * Apply a named activation (exact-erf GELU as PyTorch's default; SELU with the standard constants).
 *
 * @example
 * activate(h, 'gelu', ctx.train);   // training graphs keep what the gradient reuses
 */
export const activate = (x: Tensor, a: Activation, train = false): Tensor => ACTIVATIONS[a](x, train);

/**
 * Multi-layer perceptron over `widths` = [in, hidden..., out]: linear → [norm] → activation → [dropout] on
 * every layer but the last, which is a plain linear.
 *
 * @example
 * const p = mlp.init(rng, [784, 1024, 1024, 10]);
 * const logits = mlp.apply(paramInputs(p), x, ctx, { activation: 'relu' });   // x [B, 784] -> [B, 10]
 */
export const mlp = {
  init(rng: Rng, widths: readonly number[], opts: MlpInitOptions = {}): MlpParams<HostTensor> {
    const layers: MlpLayerParams<HostTensor>[] = [];
    for (let i = 0; i + 1 < widths.length; i++) {
      const lin = linear.init(rng, widths[i], widths[i + 1], { bias: opts.bias });
      const hidden = i + 2 < widths.length;
      const norm =
        !hidden || !opts.norm || opts.norm === 'none'
          ? undefined
          : opts.norm === 'layer'
            ? layerNorm.init(widths[i + 1])
            : batchNorm.init(widths[i + 1]);
      layers.push(norm ? { linear: lin, norm } : { linear: lin });
    }
    return { layers };
  },

  apply(p: MlpParams, x: Tensor /* [B, in] */, ctx: Ctx, opts: MlpApplyOptions = {}): Tensor /* [B, out] */ {
    let h = x;
    p.layers.forEach((layer, i) => {
      h = linear.apply(layer.linear, h);
      if (i + 1 === p.layers.length) return;
      if (layer.norm)
        h =
          'running_mean' in layer.norm ? batchNorm.apply(layer.norm, h, ctx) : layerNorm.apply(layer.norm, h);
      h = activate(h, opts.activation ?? 'relu', ctx.train);
      if (opts.dropout) h = dropout(h, opts.dropout, ctx);
    });
    return h;
  },
};
