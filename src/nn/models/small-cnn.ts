import type { Tensor } from '../../engine/tensor.ts';
import type { HostTensor } from '../context.ts';
import { conv2d, type Conv2dParams } from '../conv2d.ts';
import { linear, type LinearParams } from '../linear.ts';
import { globalAvgPool } from '../pooling.ts';
import type { Model } from './model.ts';

export interface SmallCnnConfig {
  readonly inChannels?: number;
  /** Channels of the three 3×3 convolutions (strides 1, 2, 2). Default [32, 64, 128]. */
  readonly channels?: readonly [number, number, number];
  readonly outDim?: number;
}
export type SmallCnnParams<L = Tensor> = {
  readonly convs: readonly Conv2dParams<L>[];
  readonly head?: LinearParams<L>;
};

/**
 * The engine benchmark's CNN (issue 2 (b)): conv3×3 32 s1 → 64 s2 → 128 s2 (padding 1, bias, ReLU), global
 * average pool, linear head. 94,538 parameters with a 10-way head on 3-channel input.
 *
 * @example
 * const m = smallCnn({ outDim: 10 });
 * const logits = m.apply(paramInputs(m.init(rng)), x, ctx);   // x [B, 3, 32, 32] -> [B, 10]
 */
export function smallCnn(config: SmallCnnConfig = {}): Model<SmallCnnParams<HostTensor>, SmallCnnConfig> {
  const channels = config.channels ?? [32, 64, 128];
  return {
    name: 'smallCnn',
    config,
    init(rng) {
      const ins = [config.inChannels ?? 3, channels[0], channels[1]];
      const convs = channels.map((c, i) => conv2d.init(rng, ins[i], c, 3));
      return config.outDim ? { convs, head: linear.init(rng, channels[2], config.outDim) } : { convs };
    },
    apply(p, x /* [B, C, H, W] */) {
      let h = x;
      p.convs.forEach((c, i) => (h = conv2d.apply(c, h, { stride: i === 0 ? 1 : 2, padding: 1 }).relu()));
      const pooled = globalAvgPool(h); // [B, C3]
      return p.head ? linear.apply(p.head, pooled) : pooled;
    },
  };
}
