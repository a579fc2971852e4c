import { concat } from '../../engine/functional/index.ts';
import type { Tensor } from '../../engine/tensor.ts';
import { CladeError } from '../../util/errors.ts';
import { normalInit, type HostTensor } from '../context.ts';
import { dropout } from '../dropout.ts';
import { layerNorm, type LayerNormParams } from '../layer-norm.ts';
import { linear, type LinearParams } from '../linear.ts';
import { transformerBlock, type BlockActivation, type TransformerBlockParams } from '../transformer-block.ts';
import type { Model } from './model.ts';

export interface VitConfig {
  /** Input side (32), or `[height, width]`. */
  readonly image?: number | readonly [number, number];
  readonly patch?: number;
  readonly channels?: number;
  readonly width: number;
  readonly depth: number;
  readonly heads: number;
  /** MLP hidden size (default 4·width). */
  readonly mlp?: number;
  /** Linear head after the final LayerNorm; without it the model returns the pooled [B, width] embedding. */
  readonly outDim?: number;
  /**
   * 'cls': the class token; 'mean': the mean over all tokens (class token included, as vit-pytorch);
   * 'meanPatches': the mean over the patch tokens only (open_clip's `pool_type: 'avg'`).
   */
  readonly pool?: 'cls' | 'mean' | 'meanPatches';
  /** Dropout on the embeddings and after attention and MLP (training only). */
  readonly dropout?: number;
  /** Bias on the patch embedding (default true; open_clip's `conv1` has none). */
  readonly patchBias?: boolean;
  /** Bias on the head (default true; open_clip's `proj` has none). */
  readonly headBias?: boolean;
  /** LayerNorm on the embeddings before the blocks (open_clip's `ln_pre`; default false). */
  readonly lnPre?: boolean;
  /** Final LayerNorm after pooling rather than on every token (open_clip's `final_ln_after_pool`). */
  readonly lnAfterPool?: boolean;
  /** MLP activation (default 'gelu'). */
  readonly activation?: BlockActivation;
  /** LayerScale init value: blocks get `ls1`, `ls2` (open_clip's `ls_init_value`). */
  readonly layerScale?: number;
  /** LayerNorm epsilon (default 1e-5). */
  readonly lnEps?: number;
}

export type VitParams<L = Tensor> = {
  /** Patch embedding [C·p·p, D]; rows ordered (c, dy, dx), i.e. PyTorch's conv weight [D, C, p, p] flattened and transposed. */
  readonly patch: LinearParams<L>;
  readonly cls: L; // [D]
  readonly pos: L; // [1 + N, D]
  readonly lnPre?: LayerNormParams<L>;
  readonly blocks: readonly TransformerBlockParams<L>[];
  readonly ln: LayerNormParams<L>;
  readonly head?: LinearParams<L>;
};

/**
 * Cut [B, C, H, W] into non-overlapping p×p patches, each flattened in (c, dy, dx) order: [B·N, C·p·p].
 * Patch embedding is this plus one linear rather than a stride-p conv: the cut is a Reshape and one
 * Transpose that needs no gradient (the image is data), and the weight gradient is then one GEMM over all
 * B·N patches, while ORT's conv weight gradient is a depthwise im2col conv plus B small batched GEMMs and a
 * ReduceSum (engine guide §6). Both compute the same function.
 */
export function patchify(x: Tensor /* [B, C, H, W] */, p: number): Tensor /* [B·N, C·p·p] */ {
  const [b, c, h, w] = x.shape;
  if (x.rank !== 4 || h % p !== 0 || w % p !== 0)
    throw new CladeError(`vit: patch ${p} must divide the image sides of [B, C, H, W], got [${x.shape}]`);
  const gh = h / p;
  const gw = w / p;
  return x
    .reshape([b, c, gh, p, gw, p])
    .transpose([0, 2, 4, 1, 3, 5])
    .reshape([b * gh * gw, c * p * p]);
}

/**
 * A ViT: patch embedding, class token, learned position embeddings, optional `ln_pre`, pre-norm blocks, final
 * LayerNorm, cls or mean pooling, optional linear head. Small configs train on CIFAR; with `patchBias: false`,
 * `lnPre: true`, `headBias: false` it is open_clip's `VisionTransformer` (src/pretrained loads those weights).
 * Class token and position embeddings init N(0, 1/width) as CLIP.
 *
 * @example
 * const m = vit({ image: 32, patch: 4, width: 192, depth: 6, heads: 3, mlp: 768, outDim: 10 });
 * const logits = m.apply(paramInputs(m.init(rng)), x, ctx);   // x [B, 3, 32, 32] -> [B, 10]
 */
export function vit(config: VitConfig): Model<VitParams<HostTensor>, VitConfig> {
  const [imageH, imageW] =
    typeof config.image === 'object' ? config.image : [config.image ?? 32, config.image ?? 32];
  const patch = config.patch ?? 4;
  const channels = config.channels ?? 3;
  const { width, depth, heads } = config;
  const tokens = (imageH / patch) * (imageW / patch);
  if (!Number.isInteger(imageH / patch) || !Number.isInteger(imageW / patch) || width % heads !== 0)
    throw new CladeError(`vit: patch must divide image and heads must divide width`, {
      image: `${imageH}x${imageW}`,
      patch,
      width,
      heads,
    });
  const eps = config.lnEps ?? 1e-5;
  const blockOpts = { heads, dropout: config.dropout, activation: config.activation, lnEps: eps };
  return {
    name: 'vit',
    config,
    init(rng) {
      const scale = width ** -0.5;
      const patchLinear = linear.init(rng, channels * patch * patch, width);
      const params = {
        patch: config.patchBias === false ? { w: patchLinear.w } : patchLinear,
        cls: normalInit(rng, [width], scale),
        pos: normalInit(rng, [1 + tokens, width], scale),
        ...(config.lnPre ? { lnPre: layerNorm.init(width) } : {}),
        blocks: Array.from({ length: depth }, () =>
          transformerBlock.init(rng, width, config.mlp ?? 4 * width, { layerScale: config.layerScale }),
        ),
        ln: layerNorm.init(width),
      };
      if (!config.outDim) return params;
      const head =
        config.headBias === false
          ? { w: normalInit(rng, [width, config.outDim], scale) }
          : linear.init(rng, width, config.outDim);
      return { ...params, head };
    },
    apply(p, x /* [B, C, H, W] */, ctx) {
      const b = x.shape[0];
      if (x.rank !== 4 || x.shape[1] !== channels || x.shape[2] !== imageH || x.shape[3] !== imageW)
        throw new CladeError(`vit: expected images [B, ${channels}, ${imageH}, ${imageW}], got [${x.shape}]`);
      const patches = linear.apply(p.patch, patchify(x, patch)).reshape([b, tokens, width]);
      const cls = p.cls.reshape([1, 1, width]).expand([b, 1, width]);
      let h = dropout(concat([cls, patches], 1).add(p.pos), config.dropout ?? 0, ctx); // [B, 1 + N, D]
      if (p.lnPre) h = layerNorm.apply(p.lnPre, h, eps);
      for (const block of p.blocks) h = transformerBlock.apply(block, h, blockOpts, ctx);
      const ln = (t: Tensor) => layerNorm.apply(p.ln, t, eps);
      // LayerNorm acts per token, so pooling the class token first and normalising one row is the same.
      let pooled: Tensor; // [B, D]
      if (config.pool === 'mean') pooled = config.lnAfterPool ? ln(h.mean(1)) : ln(h).mean(1);
      else if (config.pool === 'meanPatches') {
        const rest = h.slice([1], [1], [1 + tokens]);
        pooled = config.lnAfterPool ? ln(rest.mean(1)) : ln(rest).mean(1);
      } else pooled = ln(h.slice([1], [0], [1]).reshape([b, width]));
      return p.head ? linear.apply(p.head, pooled) : pooled;
    },
  };
}
