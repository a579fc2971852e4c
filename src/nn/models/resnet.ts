import type { Tensor } from '../../engine/tensor.ts';
import type { Ctx, HostTensor } from '../context.ts';
import { batchNorm, type BatchNormParams } from '../batch-norm.ts';
import { conv2d, type Conv2dParams } from '../conv2d.ts';
import { linear, type LinearParams } from '../linear.ts';
import { globalAvgPool } from '../pooling.ts';
import type { Rng } from '../../util/rng.ts';
import type { Model } from './model.ts';

export interface ResNetConfig {
  /** Channels of the first stage (64); stages use width·[1, 2, 4, 8]. */
  readonly width?: number;
  /** BasicBlocks per stage (ResNet-18: [2, 2, 2, 2]). */
  readonly blocks?: readonly number[];
  readonly inChannels?: number;
  /** Linear head size; without it the model returns the pooled [B, 8·width] features. */
  readonly outDim?: number;
}

type ConvBn<L> = { readonly conv: Conv2dParams<L>; readonly bn: BatchNormParams<L> };
export type BasicBlockParams<L = Tensor> = {
  readonly conv1: Conv2dParams<L>;
  readonly bn1: BatchNormParams<L>;
  readonly conv2: Conv2dParams<L>;
  readonly bn2: BatchNormParams<L>;
  readonly shortcut?: ConvBn<L>;
};
export type ResNetParams<L = Tensor> = {
  readonly stem: ConvBn<L>;
  readonly stages: readonly (readonly BasicBlockParams<L>[])[];
  readonly head?: LinearParams<L>;
};

function initBlock(rng: Rng, inC: number, outC: number, stride: number): BasicBlockParams<HostTensor> {
  const block = {
    conv1: conv2d.init(rng, inC, outC, 3, { bias: false }),
    bn1: batchNorm.init(outC),
    conv2: conv2d.init(rng, outC, outC, 3, { bias: false }),
    bn2: batchNorm.init(outC),
  };
  if (stride === 1 && inC === outC) return block;
  return {
    ...block,
    shortcut: { conv: conv2d.init(rng, inC, outC, 1, { bias: false }), bn: batchNorm.init(outC) },
  };
}

function applyBlock(p: BasicBlockParams, x: Tensor, stride: number, ctx: Ctx): Tensor {
  const h = batchNorm.apply(p.bn1, conv2d.apply(p.conv1, x, { stride, padding: 1 }), ctx).relu();
  const y = batchNorm.apply(p.bn2, conv2d.apply(p.conv2, h, { padding: 1 }), ctx);
  const skip = p.shortcut
    ? batchNorm.apply(p.shortcut.bn, conv2d.apply(p.shortcut.conv, x, { stride }), ctx)
    : x;
  return y.add(skip).relu();
}

/**
 * CIFAR ResNet (docs/methods.md §E.7): 3×3 stride-1 stem without max-pool, BasicBlock stages (first stride 1,
 * then 2), BatchNorm2d, global average pool, optional linear head. ResNet-18 with a 10-way head has
 * 11,173,962 parameters, as the PyTorch reference.
 *
 * @example
 * const m = cifarResNet18({ outDim: 10 });
 * const logits = m.apply(paramInputs(m.init(rng)), x, new Ctx(true));   // x [B, 3, 32, 32] -> [B, 10]
 */
export function cifarResNet18(config: ResNetConfig = {}): Model<ResNetParams<HostTensor>, ResNetConfig> {
  const width = config.width ?? 64;
  const blocks = config.blocks ?? [2, 2, 2, 2];
  const stageChannels = blocks.map((_, i) => width * 2 ** i);
  const strideOf = (stage: number, block: number) => (stage > 0 && block === 0 ? 2 : 1);
  return {
    name: 'cifarResNet18',
    config,
    init(rng) {
      const stem = {
        conv: conv2d.init(rng, config.inChannels ?? 3, width, 3, { bias: false }),
        bn: batchNorm.init(width),
      };
      let inC = width;
      const stages = blocks.map((n, s) =>
        Array.from({ length: n }, (_, b) => {
          const block = initBlock(rng, inC, stageChannels[s], strideOf(s, b));
          inC = stageChannels[s];
          return block;
        }),
      );
      return config.outDim ? { stem, stages, head: linear.init(rng, inC, config.outDim) } : { stem, stages };
    },
    apply(p, x /* [B, C, H, W] */, ctx) {
      let h = batchNorm.apply(p.stem.bn, conv2d.apply(p.stem.conv, x, { padding: 1 }), ctx).relu();
      p.stages.forEach((stage, s) =>
        stage.forEach((block, b) => (h = applyBlock(block, h, strideOf(s, b), ctx))),
      );
      const pooled = globalAvgPool(h); // [B, 8·width]
      return p.head ? linear.apply(p.head, pooled) : pooled;
    },
  };
}
