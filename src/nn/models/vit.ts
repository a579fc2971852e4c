import { concat } from '../../engine/functional/index.ts';
import type { Tensor } from '../../engine/tensor.ts';
import { CladeError } from '../../util/errors.ts';
import { normalInit, type HostTensor } from '../context.ts';
import { dropout } from '../dropout.ts';
import { layerNorm, type LayerNormParams } from '../layer-norm.ts';
import { linear, type LinearParams } from '../linear.ts';
import { transformerBlock, type TransformerBlockParams } from '../transformer-block.ts';
import type { Model } from './model.ts';

export interface VitConfig {
  /** Square input side (32). */
  readonly image?: number;
  readonly patch?: number;
  readonly channels?: number;
  readonly width: number;
  readonly depth: number;
  readonly heads: number;
  /** MLP hidden size (default 4·width). */
  readonly mlp?: number;
  /** Linear head after the final LayerNorm; without it the model returns the pooled [B, width] embedding. */
  readonly outDim?: number;
  /** 'cls': the class token; 'mean': the mean over all tokens (class token included, as vit-pytorch). */
  readonly pool?: 'cls' | 'mean';
  /** Dropout on the embeddings and after attention and MLP (training only). */
  readonly dropout?: number;
}

export type VitParams<L = Tensor> = {
  /** Patch embedding [C·p·p, D]; rows ordered (c, dy, dx), i.e. PyTorch's conv weight [D, C, p, p] flattened and transposed. */
  readonly patch: LinearParams<L>;
  readonly cls: L; // [D]
  readonly pos: L; // [1 + N, D]
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
 * A small ViT for CIFAR-sized images: patch embedding, class token, learned position embeddings, pre-norm
 * blocks, final LayerNorm, cls or mean pooling, optional linear head. Class token and position embeddings
 * init N(0, 1/width) as CLIP.
 *
 * @example
 * const m = vit({ image: 32, patch: 4, width: 192, depth: 6, heads: 3, mlp: 768, outDim: 10 });
 * const logits = m.apply(paramInputs(m.init(rng)), x, ctx);   // x [B, 3, 32, 32] -> [B, 10]
 */
export function vit(config: VitConfig): Model<VitParams<HostTensor>, VitConfig> {
  const image = config.image ?? 32;
  const patch = config.patch ?? 4;
  const channels = config.channels ?? 3;
  const { width, depth, heads } = config;
  const tokens = (image / patch) ** 2;
  if (!Number.isInteger(tokens) || width % heads !== 0)
    throw new CladeError(`vit: patch must divide image and heads must divide width`, {
      image,
      patch,
      width,
      heads,
    });
  return {
    name: 'vit',
    config,
    init(rng) {
      const scale = width ** -0.5;
      const params = {
        patch: linear.init(rng, channels * patch * patch, width),
        cls: normalInit(rng, [width], scale),
        pos: normalInit(rng, [1 + tokens, width], scale),
        blocks: Array.from({ length: depth }, () =>
          transformerBlock.init(rng, width, config.mlp ?? 4 * width),
        ),
        ln: layerNorm.init(width),
      };
      return config.outDim ? { ...params, head: linear.init(rng, width, config.outDim) } : params;
    },
    apply(p, x /* [B, C, H, W] */, ctx) {
      const b = x.shape[0];
      if (x.rank !== 4 || x.shape[1] !== channels || x.shape[2] !== image || x.shape[3] !== image)
        throw new CladeError(`vit: expected images [B, ${channels}, ${image}, ${image}], got [${x.shape}]`);
      const patches = linear.apply(p.patch, patchify(x, patch)).reshape([b, tokens, width]);
      const cls = p.cls.reshape([1, 1, width]).expand([b, 1, width]);
      let h = dropout(concat([cls, patches], 1).add(p.pos), config.dropout ?? 0, ctx); // [B, 1 + N, D]
      for (const block of p.blocks)
        h = transformerBlock.apply(block, h, { heads, dropout: config.dropout }, ctx);
      // LayerNorm acts per token, so pooling the class token first and normalising one row is the same.
      const pooled =
        config.pool === 'mean'
          ? layerNorm.apply(p.ln, h).mean(1)
          : layerNorm.apply(p.ln, h.slice([1], [0], [1]).reshape([b, width])); // [B, D]
      return p.head ? linear.apply(p.head, pooled) : pooled;
    },
  };
}
