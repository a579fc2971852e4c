import type { Tensor } from '../engine/tensor.ts';
import { gelu } from '../engine/functional/index.ts';
import type { Rng } from '../util/rng.ts';
import { filled, type Ctx, type HostTensor } from './context.ts';
import { attention, type AttentionParams } from './attention.ts';
import { dropout } from './dropout.ts';
import { layerNorm, type LayerNormParams } from './layer-norm.ts';
import { linear, type LinearParams } from './linear.ts';

/**
 * Pre-norm block parameters (CLIP's layout): ln1, attn, ln2, the MLP fc1 [D, M], fc2 [M, D], and optional
 * LayerScale vectors `ls1`, `ls2` [D] (open_clip's `ls_init_value`) multiplying the attention and MLP outputs.
 */
export type TransformerBlockParams<L = Tensor> = {
  readonly ln1: LayerNormParams<L>;
  readonly attn: AttentionParams<L>;
  readonly ln2: LayerNormParams<L>;
  readonly fc1: LinearParams<L>;
  readonly fc2: LinearParams<L>;
  readonly ls1?: L;
  readonly ls2?: L;
};

/** The MLP activation: exact-erf GELU (PyTorch's `nn.GELU`), or OpenAI CLIP's QuickGELU `x·σ(1.702·x)`. */
export type BlockActivation = 'gelu' | 'quickGelu';

export interface TransformerBlockOptions {
  readonly heads: number;
  readonly causal?: boolean;
  /** Dropout after the attention projection and after the MLP (training only). */
  readonly dropout?: number;
  /** MLP activation (default 'gelu'). */
  readonly activation?: BlockActivation;
  /** LayerNorm epsilon (default 1e-5, PyTorch's). */
  readonly lnEps?: number;
}

/** QuickGELU, `x·σ(1.702·x)` (OpenAI CLIP; open_clip's `quick_gelu: true`). */
export const quickGelu = (x: Tensor): Tensor => x.mul(x.mul(1.702).sigmoid());

/**
 * Pre-norm transformer block: x + ls1·attn(ln1(x)), then x + ls2·fc2(act(fc1(ln2(x)))).
 *
 * @example
 * const p = transformerBlock.init(rng, 192, 768);
 * const y = transformerBlock.apply(paramInputs(p), x, { heads: 3 }, ctx);   // x [B, T, 192] -> [B, T, 192]
 */
export const transformerBlock = {
  init(
    rng: Rng,
    width: number,
    mlpDim: number,
    opts: { layerScale?: number } = {},
  ): TransformerBlockParams<HostTensor> {
    const p = {
      ln1: layerNorm.init(width),
      attn: attention.init(rng, width),
      ln2: layerNorm.init(width),
      fc1: linear.init(rng, width, mlpDim),
      fc2: linear.init(rng, mlpDim, width),
    };
    return opts.layerScale === undefined
      ? p
      : { ...p, ls1: filled([width], opts.layerScale), ls2: filled([width], opts.layerScale) };
  },

  apply(
    p: TransformerBlockParams,
    x: Tensor /* [B, T, D] */,
    opts: TransformerBlockOptions,
    ctx: Ctx,
  ): Tensor /* [B, T, D] */ {
    const p1 = opts.dropout ?? 0;
    const eps = opts.lnEps ?? 1e-5;
    let a = attention.apply(
      p.attn,
      layerNorm.apply(p.ln1, x, eps),
      { heads: opts.heads, causal: opts.causal, dropout: p1 },
      ctx,
    );
    if (p.ls1) a = a.mul(p.ls1);
    const h = x.add(a);
    const hidden = linear.apply(p.fc1, layerNorm.apply(p.ln2, h, eps));
    const act = opts.activation === 'quickGelu' ? quickGelu(hidden) : gelu(hidden, { saveCdf: ctx.train });
    let m = linear.apply(p.fc2, act);
    if (p.ls2) m = m.mul(p.ls2);
    return h.add(dropout(m, p1, ctx));
  },
};
