import type { HostTensor } from '../context.ts';
import { mlp, type MlpParams } from '../mlp.ts';
import type { Model } from './model.ts';

export interface ProjectionHeadConfig {
  readonly inDim: number;
  readonly hidden: number;
  readonly outDim: number;
}

/**
 * SimCLR-style projection head: Linear → BatchNorm1d → ReLU → Linear.
 *
 * @example
 * const head = projectionHead({ inDim: 512, hidden: 2048, outDim: 128 });
 * const z = head.apply(paramInputs(head.init(rng)), h, ctx);   // h [B, 512] -> [B, 128]
 */
export function projectionHead(
  config: ProjectionHeadConfig,
): Model<MlpParams<HostTensor>, ProjectionHeadConfig> {
  return {
    name: 'projectionHead',
    config,
    init: (rng) => mlp.init(rng, [config.inDim, config.hidden, config.outDim], { norm: 'batch' }),
    apply: (p, h /* [B, inDim] */, ctx) => mlp.apply(p, h, ctx, { activation: 'relu' }),
  };
}
