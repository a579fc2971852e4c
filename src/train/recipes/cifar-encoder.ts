import { z } from 'zod';
import type { Tensor } from '../../engine/index.ts';
import type { Ctx, HostTensor, Params, SymParams } from '../../nn/context.ts';
import { batchNorm, type BatchNormParams } from '../../nn/batch-norm.ts';
import { conv2d, type Conv2dParams } from '../../nn/conv2d.ts';
import { globalAvgPool } from '../../nn/pooling.ts';
import { cifarResNet18 } from '../../nn/models/resnet.ts';
import { smallCnn } from '../../nn/models/small-cnn.ts';
import { vit } from '../../nn/models/vit.ts';
import type { Rng } from '../../util/rng.ts';

/**
 * Image encoders for 32 px CIFAR images, sized for 2 CPU cores. Each maps [B, 3, 32, 32] to pooled features
 * [B, dim] (no classification head):
 * - `cnn`: the engine benchmark's small CNN (conv3×3 c1 s1 → c2 s2 → c3 s2, ReLU, global average pool), optionally
 *   with BatchNorm after each convolution;
 * - `resnet`: the CIFAR ResNet of methods.md §E.7 (3×3 stem, no max-pool, BasicBlocks, BatchNorm) with a
 *   configurable width and stage depths (ResNet-18 = width 64, blocks [2, 2, 2, 2]);
 * - `vit`: a small CIFAR ViT (patch 4, class-token pooling; §E.7's is width 512, depth 16, heads 8).
 */
export const cifarEncoderSchema = z.discriminatedUnion('arch', [
  z
    .object({
      arch: z.literal('cnn'),
      channels: z
        .tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()])
        .default([32, 64, 128]),
      /** BatchNorm after each convolution (conv without bias → BN → ReLU); trains much faster. */
      batchNorm: z.boolean().default(false),
    })
    .strict(),
  z
    .object({
      arch: z.literal('resnet'),
      width: z.number().int().positive().default(16),
      blocks: z.array(z.number().int().positive()).min(1).default([1, 1, 1]),
    })
    .strict(),
  z
    .object({
      arch: z.literal('vit'),
      patch: z.number().int().positive().default(4),
      width: z.number().int().positive().default(128),
      depth: z.number().int().positive().default(4),
      heads: z.number().int().positive().default(4),
      mlp: z.number().int().positive().default(256),
      dropout: z.number().min(0).max(1).default(0),
    })
    .strict(),
]);
export type CifarEncoderConfig = z.infer<typeof cifarEncoderSchema>;

/** The default: the small CNN (≈ 93k parameters, the fastest of the three on CPU). */
export const CIFAR_ENCODER_DEFAULT: CifarEncoderConfig = {
  arch: 'cnn',
  channels: [32, 64, 128],
  batchNorm: false,
};

export interface CifarEncoder {
  readonly config: CifarEncoderConfig;
  /** Width of the pooled features. */
  readonly dim: number;
  init(rng: Rng): Params;
  apply(p: SymParams, x: Tensor /* [B, 3, 32, 32] */, ctx: Ctx): Tensor /* [B, dim] */;
}

/**
 * Build an encoder from its (schema-validated) config.
 *
 * @example
 * const enc = cifarEncoder({ arch: 'resnet', width: 16, blocks: [1, 1, 1] }); // enc.dim === 64
 */
export function cifarEncoder(config: CifarEncoderConfig = CIFAR_ENCODER_DEFAULT): CifarEncoder {
  const c = cifarEncoderSchema.parse(config);
  type M = { init(rng: Rng): unknown; apply(p: never, x: Tensor, ctx: Ctx): Tensor };
  let model: M;
  let dim: number;
  if (c.arch === 'cnn' && c.batchNorm) {
    model = bnCnn(c.channels);
    dim = c.channels[2];
  } else if (c.arch === 'cnn') {
    model = smallCnn({ channels: c.channels }) as unknown as M;
    dim = c.channels[2];
  } else if (c.arch === 'resnet') {
    model = cifarResNet18({ width: c.width, blocks: c.blocks }) as unknown as M;
    dim = c.width * 2 ** (c.blocks.length - 1);
  } else {
    const { patch, width, depth, heads, mlp, dropout } = c;
    model = vit({ image: 32, patch, width, depth, heads, mlp, dropout }) as unknown as M;
    dim = width;
  }
  return {
    config: c,
    dim,
    init: (rng) => model.init(rng) as Record<string, HostTensor>,
    apply: (p, x, ctx) => model.apply(p as never, x, ctx),
  };
}

/** The small CNN with BatchNorm: conv3×3 (no bias, strides 1, 2, 2) → BN → ReLU, ×3, global average pool. */
function bnCnn(channels: readonly [number, number, number]) {
  const ins = [3, channels[0], channels[1]];
  return {
    init: (rng: Rng) => ({
      convs: channels.map((ch, i) => conv2d.init(rng, ins[i], ch, 3, { bias: false })),
      bns: channels.map((ch) => batchNorm.init(ch)),
    }),
    apply: (p: never, x: Tensor, ctx: Ctx) => {
      const q = p as { convs: Conv2dParams[]; bns: BatchNormParams[] };
      let h = x;
      q.convs.forEach((cv, i) => {
        const y = conv2d.apply(cv, h, { stride: i === 0 ? 1 : 2, padding: 1 });
        h = batchNorm.apply(q.bns[i], y, ctx).relu();
      });
      return globalAvgPool(h); // [B, C3]
    },
  };
}
