import { causalMask } from '../engine/functional/index.ts';
import type { Tensor } from '../engine/tensor.ts';
import type { Rng } from '../util/rng.ts';
import { CladeError } from '../util/errors.ts';
import type { Ctx, HostTensor } from './context.ts';
import { dropout } from './dropout.ts';
import { linear, type LinearParams } from './linear.ts';

/** Multi-head attention parameters: fused `qkv` linear [D, 3D] (q, k, v column blocks) and output `proj` [D, D]. */
export type AttentionParams<L = Tensor> = { readonly qkv: LinearParams<L>; readonly proj: LinearParams<L> };

export interface AttentionOptions {
  readonly heads: number;
  /** Additive causal mask (token t attends to tokens ≤ t). */
  readonly causal?: boolean;
  /** Dropout on the output projection (training only). */
  readonly dropout?: number;
}

/**
 * Multi-head self-attention: softmax(Q·Kᵀ/√d_h + mask)·V per head, then the output projection.
 *
 * The fused qkv weight is stored as one [D, 3D] linear (one checkpoint entry, PyTorch's `in_proj` layout
 * transposed), but applied as three [D, D] products on column slices of the *weight*: slicing the small weight
 * rather than the [B·T, 3D] activation avoids three activation-sized Slice copies forward and three Pad + Add
 * backward. The 1/√d_h scale is folded into the q weight and bias.
 *
 * @example
 * const p = attention.init(rng, 192);
 * const y = attention.apply(paramInputs(p), x, { heads: 3, causal: true }, ctx);   // x [B, T, 192] -> [B, T, 192]
 */
export const attention = {
  init(rng: Rng, width: number): AttentionParams<HostTensor> {
    return { qkv: linear.init(rng, width, 3 * width), proj: linear.init(rng, width, width) };
  },

  apply(
    p: AttentionParams,
    x: Tensor /* [B, T, D] */,
    opts: AttentionOptions,
    ctx?: Ctx,
  ): Tensor /* [B, T, D] */ {
    const [b, t, d] = x.shape;
    const h = opts.heads;
    if (x.rank !== 3 || d % h !== 0 || p.qkv.w.shape[1] !== 3 * d)
      throw new CladeError(
        `attention expects [B, T, D] with D divisible by heads ${h} and qkv [D, 3D], got x [${x.shape}] and qkv.w [${p.qkv.w.shape}]`,
      );
    const dh = d / h;
    const x2 = x.reshape([b * t, d]);
    const project = (i: number, scale = 1): Tensor /* [B, H, T, dh] */ => {
      let w = p.qkv.w.slice([1], [i * d], [(i + 1) * d]);
      let bias = p.qkv.b?.slice([0], [i * d], [(i + 1) * d]);
      if (scale !== 1) {
        w = w.mul(scale);
        bias = bias?.mul(scale);
      }
      const y = bias ? x2.matmul(w).add(bias) : x2.matmul(w);
      return y.reshape([b, t, h, dh]).transpose([0, 2, 1, 3]);
    };
    const q = project(0, 1 / Math.sqrt(dh));
    const k = project(1);
    const v = project(2);
    let scores = q.matmul(k, { transB: true }); // [B, H, T, T]
    if (opts.causal) scores = scores.add(causalMask(t));
    const heads = scores.softmax(-1).matmul(v); // [B, H, T, dh]
    const merged = heads.transpose([0, 2, 1, 3]).reshape([b * t, d]);
    let out = linear.apply(p.proj, merged).reshape([b, t, d]);
    if (ctx && opts.dropout) out = dropout(out, opts.dropout, ctx);
    return out;
  },
};
