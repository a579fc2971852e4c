import type { Tensor } from '../engine/tensor.ts';
import { gelu } from '../engine/functional/index.ts';
import type { Rng } from '../util/rng.ts';
import type { Ctx, HostTensor } from './context.ts';
import { attention, type AttentionParams } from './attention.ts';
import { dropout } from './dropout.ts';
import { layerNorm, type LayerNormParams } from './layer-norm.ts';
import { linear, type LinearParams } from './linear.ts';

/** Pre-norm block parameters (CLIP's layout): ln1, attn, ln2, and the GELU MLP fc1 [D, M], fc2 [M, D]. */
export type TransformerBlockParams<L = Tensor> = {
  readonly ln1: LayerNormParams<L>;
  readonly attn: AttentionParams<L>;
  readonly ln2: LayerNormParams<L>;
  readonly fc1: LinearParams<L>;
  readonly fc2: LinearParams<L>;
};

export interface TransformerBlockOptions {
  readonly heads: number;
  readonly causal?: boolean;
  /** Dropout after the attention projection and after the MLP (training only). */
  readonly dropout?: number;
}

/**
 * Pre-norm transformer block: x + attn(ln1(x)), then x + fc2(gelu(fc1(ln2(x)))).
 *
 * @example
 * const p = transformerBlock.init(rng, 192, 768);
 * const y = transformerBlock.apply(paramInputs(p), x, { heads: 3 }, ctx);   // x [B, T, 192] -> [B, T, 192]
 */
export const transformerBlock = {
  init(rng: Rng, width: number, mlpDim: number): TransformerBlockParams<HostTensor> {
    return {
      ln1: layerNorm.init(width),
      attn: attention.init(rng, width),
      ln2: layerNorm.init(width),
      fc1: linear.init(rng, width, mlpDim),
      fc2: linear.init(rng, mlpDim, width),
    };
  },

  apply(
    p: TransformerBlockParams,
    x: Tensor /* [B, T, D] */,
    opts: TransformerBlockOptions,
    ctx: Ctx,
  ): Tensor /* [B, T, D] */ {
    const p1 = opts.dropout ?? 0;
    const a = attention.apply(
      p.attn,
      layerNorm.apply(p.ln1, x),
      { heads: opts.heads, causal: opts.causal, dropout: p1 },
      ctx,
    );
    const h = x.add(a);
    const hidden = linear.apply(p.fc1, layerNorm.apply(p.ln2, h));
    const m = linear.apply(p.fc2, gelu(hidden, { saveCdf: ctx.train }));
    return h.add(dropout(m, p1, ctx));
  },
};
