import type { Tensor } from '../../engine/tensor.ts';
import type { Rng } from '../../util/rng.ts';
import { batchNorm, type BatchNormParams } from '../batch-norm.ts';
import type { Ctx, HostTensor } from '../context.ts';
import { conv2d, type Conv2dParams } from '../conv2d.ts';
import type { SymbolicParams } from '../param-tree.ts';
import { globalAvgPool } from '../pooling.ts';
import { cifarResNet18, type ResNetParams } from './resnet.ts';
import { smallCnn, type SmallCnnParams } from './small-cnn.ts';
import { vit, type VitParams } from './vit.ts';

/**
 * An image encoder for small (CIFAR-sized) images, sized for 2 CPU cores. Each maps [B, 3, S, S] to pooled
 * features [B, dim] (no classification head):
 * - `cnn`: the engine benchmark's small CNN (conv3×3 c1 s1 → c2 s2 → c3 s2, ReLU, global average pool), optionally
 *   with BatchNorm after each convolution (conv without bias → BN → ReLU);
 * - `resnet`: the CIFAR ResNet (3×3 stem, no max-pool, BasicBlocks, BatchNorm) with a configurable width and stage
 *   depths (ResNet-18 = width 64, blocks [2, 2, 2, 2]);
 * - `vit`: a small ViT over 32 px images (class-token pooling).
 * The recipes' options (with defaults) are `encoder` in src/train/recipes/schemas.ts.
 */
export type CifarEncoderConfig =
  | {
      readonly arch: 'cnn';
      readonly channels: readonly [number, number, number];
      readonly batchNorm: boolean;
    }
  | { readonly arch: 'resnet'; readonly width: number; readonly blocks: readonly number[] }
  | {
      readonly arch: 'vit';
      readonly patch: number;
      readonly width: number;
      readonly depth: number;
      readonly heads: number;
      readonly mlp: number;
      readonly dropout: number;
    };

/** The small CNN with BatchNorm's parameters: three convolutions and their BatchNorms. */
export type BnCnnParams<L = Tensor> = {
  readonly convs: readonly Conv2dParams<L>[];
  readonly bns: readonly BatchNormParams<L>[];
};
export type CifarEncoderParams<L = Tensor> =
  SmallCnnParams<L> | BnCnnParams<L> | ResNetParams<L> | VitParams<L>;

export interface CifarEncoder {
  readonly config: CifarEncoderConfig;
  /** Width of the pooled features. */
  readonly dim: number;
  init(rng: Rng): CifarEncoderParams<HostTensor>;
  apply(
    p: SymbolicParams<CifarEncoderParams<HostTensor>>,
    x: Tensor /* [B, 3, S, S] */,
    ctx: Ctx,
  ): Tensor /* [B, dim] */;
}

type AnyModel = {
  init(rng: Rng): CifarEncoderParams<HostTensor>;
  apply(p: never, x: Tensor, ctx: Ctx): Tensor;
};

/**
 * Build an encoder from its (complete) config.
 *
 * @example
 * const enc = cifarEncoder({ arch: 'resnet', width: 16, blocks: [1, 1, 1] }); // enc.dim === 64
 */
export function cifarEncoder(config: CifarEncoderConfig): CifarEncoder {
  let model: AnyModel;
  let dim: number;
  if (config.arch === 'cnn') {
    model = config.batchNorm ? bnCnn(config.channels) : smallCnn({ channels: config.channels });
    dim = config.channels[2];
  } else if (config.arch === 'resnet') {
    model = cifarResNet18({ width: config.width, blocks: config.blocks });
    dim = config.width * 2 ** (config.blocks.length - 1);
  } else {
    const { patch, width, depth, heads, mlp, dropout } = config;
    model = vit({ image: 32, patch, width, depth, heads, mlp, dropout });
    dim = width;
  }
  // Each architecture reads its own member of the params union (the one its init drew).
  return {
    config,
    dim,
    init: (rng) => model.init(rng),
    apply: (p, x, ctx) => model.apply(p as never, x, ctx),
  };
}

/** The small CNN with BatchNorm: conv3×3 (no bias, strides 1, 2, 2) → BN → ReLU, ×3, global average pool. */
function bnCnn(channels: readonly [number, number, number]) {
  const ins = [3, channels[0], channels[1]];
  return {
    init: (rng: Rng): BnCnnParams<HostTensor> => ({
      convs: channels.map((ch, i) => conv2d.init(rng, ins[i], ch, 3, { bias: false })),
      bns: channels.map((ch) => batchNorm.init(ch)),
    }),
    apply: (p: BnCnnParams, x: Tensor, ctx: Ctx) => {
      let h = x;
      p.convs.forEach((cv, i) => {
        const y = conv2d.apply(cv, h, { stride: i === 0 ? 1 : 2, padding: 1 });
        h = batchNorm.apply(p.bns[i], y, ctx).relu();
      });
      return globalAvgPool(h); // [B, C3]
    },
  };
}
