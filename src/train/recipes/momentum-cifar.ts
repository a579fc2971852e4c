import { concat } from '../../engine/functional/index.ts';
import type { Tensor } from '../../engine/tensor.ts';
import { isBuffer, normalInit, type Ctx, type HostTensor } from '../../nn/context.ts';
import { mlp, type MlpParams } from '../../nn/mlp.ts';
import type { CifarEncoderParams } from '../../nn/models/cifar-encoder.ts';
import { projectionHead } from '../../nn/models/projection-head.ts';
import { cloneParams, type SymbolicParams } from '../../nn/param-tree.ts';
import { byolCos, enqueue, mocoLoss } from '../../objectives/index.ts';
import { adamw } from '../../optim/adamw.ts';
import { CladeError } from '../../util/errors.ts';
import type { Rng } from '../../util/rng.ts';
import type { Recipe, TowerSpec } from '../recipe.ts';
import { cifarImage, twoViews } from './parts/cifar.ts';
import type { SpecSource } from './parts/spec-data.ts';
import { emaTarget } from './parts/momentum-target.ts';
import {
  byolCifarSchema,
  mocoCifarSchema,
  type ByolCifarConfig,
  type ByolCifarOptions,
  type MocoCifarConfig,
  type MocoCifarOptions,
} from './schemas.ts';

/** An encoder and its projection head: the network MoCo's key encoder and BYOL's target copy. */
type Network = { readonly encoder: CifarEncoderParams<HostTensor>; readonly head: MlpParams<HostTensor> };
export type MocoCifarParams = {
  readonly online: Network;
  readonly target: Network;
  readonly queue: HostTensor;
};
export type ByolCifarParams = {
  readonly online: Network & { readonly predictor: MlpParams<HostTensor> };
  readonly target: Network;
};
type Sym<P> = SymbolicParams<P>;

/**
 * What MoCo and BYOL share: the encoder and projection head (`head`: MoCo v2's has no BatchNorm — no shuffle-BN on
 * one device — BYOL's does), the online network with a target copy, the image tower of the online network, the
 * two views and the model.json block.
 */
function momentumParts(cfg: MocoCifarConfig | ByolCifarConfig, norm: 'none' | 'batch', spec?: SpecSource) {
  const image = cifarImage(cfg, spec);
  const widths = [image.encoder.dim, cfg.projectionHidden, cfg.projectionDim];
  const head =
    norm === 'batch'
      ? projectionHead({ inDim: widths[0], hidden: widths[1], outDim: widths[2] })
      : {
          init: (r: Rng) => mlp.init(r, widths),
          apply: (p: MlpParams, h: Tensor, ctx: Ctx) => mlp.apply(p, h, ctx),
        };
  /** h = encoder(x) [N, dim], z = head(h) [N, out]. */
  const net = (p: Sym<Network>, x: Tensor, ctx: Ctx) => {
    const h = image.encoder.apply(p.encoder, x, ctx);
    return { h, z: head.apply(p.head, h, ctx) };
  };
  const B = cfg.batchSize;
  return {
    image,
    net,
    /** The online network and its target, which starts as a copy of it (MoCo, BYOL). */
    init: (rng: Rng): { online: Network; target: Network } => {
      const online = { encoder: image.encoder.init(rng.fork('encoder')), head: head.init(rng.fork('head')) };
      return { online, target: cloneParams(online) };
    },
    /** Online and target projections of both views as one [2B] batch; the target's EMA recorded. */
    project: (
      p: Sym<{ online: Network; target: Network }>,
      b: Readonly<Record<string, Tensor>>,
      ctx: Ctx,
    ) => {
      const x = concat([b.view1, b.view2], 0); // [2B, 3, 32, 32]
      const online = net(p.online, x, ctx).z; // [2B, D]
      const target = net(p.target, x, ctx).z.stopGradient(); // [2B, D]
      emaTarget(p.target, p.online, cfg.momentum, ctx);
      const halves = (t: Tensor) => [t.slice([0], [0], [B]), t.slice([0], [B], [2 * B])];
      return { online, q: halves(online), k: halves(target) };
    },
    common: {
      batchSize: B,
      batchSpec: twoViews.batchSpec(B),
      trainable: (path: string) => path.startsWith('online.') && !isBuffer(path),
      optimizer: adamw({ weightDecay: cfg.weightDecay }),
      feeds: twoViews.feeds,
      towers: (n: number): Record<'image', TowerSpec<Sym<{ online: Network }>>> => ({
        image: {
          inputs: { image: image.input(n) },
          forward: (p, i, ctx) => {
            const { h, z } = net(p.online, i.image, ctx);
            return { embedding: h, projection: z };
          },
        },
      }),
    },
    describe: (recipe: string, objective: Record<string, unknown>) => ({
      recipe,
      config: cfg,
      embedDim: image.encoder.dim,
      objective,
      momentum: cfg.momentum,
      image: image.describe(),
      outputs: { embedding: 'pooled online-encoder features', projection: 'online projection' },
    }),
  };
}

/**
 * MoCo on CIFAR-100 (He et al. 2020, https://arxiv.org/abs/1911.05722; v2 head and τ, https://arxiv.org/abs/2003.04297;
 * docs/methods.md §F.3, §E.7): online encoder + MLP head for queries, an EMA copy for keys, a FIFO queue of past keys
 * as negatives, kept as a non-trainable parameter updated inside the step graph; InfoNCE symmetrised across the
 * two views (§E.7), both views' keys joining the queue.
 *
 * @example
 * const recipe = mocoCifar({ queueSize: 4096, momentum: 0.99 });
 */
export function mocoCifar(options: MocoCifarOptions = {}, spec?: SpecSource) {
  const cfg = mocoCifarSchema.parse(options);
  const m = momentumParts(cfg, 'none', spec);
  if (cfg.queueSize < 2 * cfg.batchSize)
    throw new Error(
      `moco-cifar: queueSize ${cfg.queueSize} must be at least 2·batchSize = ${2 * cfg.batchSize}`,
    );
  const recipe = {
    name: 'moco-cifar',
    config: cfg,
    ...m.common,
    init: (rng) => ({ ...m.init(rng), queue: unitRows(rng.fork('queue'), cfg.queueSize, cfg.projectionDim) }),
    loss: (p, b, ctx) => {
      const { q, k } = m.project(p, b, ctx);
      const tau = cfg.temperature;
      const loss = mocoLoss(q[0], k[1], p.queue, tau)
        .add(mocoLoss(q[1], k[0], p.queue, tau))
        .mul(0.5);
      ctx.updates.set('queue', enqueue(p.queue, concat(k, 0)));
      return { loss };
    },
    pipeline: m.image.pipeline('simclr'),
    describe: () =>
      m.describe('moco-cifar', {
        name: 'moco',
        temperature: cfg.temperature,
        queue: cfg.queueSize,
        paper: 'https://arxiv.org/abs/1911.05722',
      }),
    ...m.image.hooks<MocoCifarParams>(m.common.towers),
  } satisfies Recipe<MocoCifarParams> & Record<string, unknown>;
  return recipe;
}

/**
 * BYOL on CIFAR-100 (Grill et al. 2020, https://arxiv.org/abs/2006.07733; docs/methods.md §F.3): online encoder →
 * projector → predictor regresses the EMA target's projection of the other view (2 − 2 cos, symmetrised);
 * no negatives.
 *
 * @example
 * const recipe = byolCifar({ momentum: 0.99 });
 */
export function byolCifar(options: ByolCifarOptions = {}, spec?: SpecSource) {
  const cfg = byolCifarSchema.parse(options);
  const m = momentumParts(cfg, 'batch', spec);
  const predictor = projectionHead({
    inDim: cfg.projectionDim,
    hidden: cfg.predictorHidden,
    outDim: cfg.projectionDim,
  });
  const recipe = {
    name: 'byol-cifar',
    config: cfg,
    ...m.common,
    init: (rng) => {
      const { online, target } = m.init(rng);
      return { online: { ...online, predictor: predictor.init(rng.fork('predictor')) }, target };
    },
    loss: (p, b, ctx) => {
      const { online, k } = m.project(p, b, ctx);
      const pred = predictor.apply(p.online.predictor, online, ctx);
      const [p1, p2] = [
        pred.slice([0], [0], [cfg.batchSize]),
        pred.slice([0], [cfg.batchSize], [2 * cfg.batchSize]),
      ];
      return { loss: byolCos(p1, k[1]).add(byolCos(p2, k[0])) }; // BYOL's L + L~
    },
    pipeline: m.image.pipeline('byol'),
    describe: () => m.describe('byol-cifar', { name: 'byol', paper: 'https://arxiv.org/abs/2006.07733' }),
    ...m.image.hooks<ByolCifarParams>(m.common.towers),
  } satisfies Recipe<ByolCifarParams> & Record<string, unknown>;
  return recipe;
}

/** A [n, d] tensor of random unit rows (MoCo's initial queue of keys). */
function unitRows(rng: Rng, n: number, d: number): HostTensor {
  const q = normalInit(rng, [n, d], 1);
  for (let i = 0; i < n; i++) {
    const row = q.data.subarray(i * d, (i + 1) * d);
    const norm = Math.hypot(...row);
    for (let j = 0; j < row.length; j++) row[j] /= norm;
  }
  return q;
}
