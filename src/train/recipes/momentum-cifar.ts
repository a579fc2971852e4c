import { z } from 'zod';
import { F, type Tensor } from '../../engine/index.ts';
import { flatten, mapTree } from '../../engine/tree.ts';
import {
  isBuffer,
  normalInit,
  type Ctx,
  type HostTensor,
  type Params,
  type SymParams,
} from '../../nn/context.ts';
import { mlp } from '../../nn/mlp.ts';
import { projectionHead } from '../../nn/models/projection-head.ts';
import { byolCos, enqueue, mocoLoss } from '../../objectives/index.ts';
import { adamw } from '../../optim/adamw.ts';
import { cifarEncoder, cifarEncoderSchema, CIFAR_ENCODER_DEFAULT } from './cifar-encoder.ts';
import { CIFAR100_MEAN, CIFAR100_STD } from '../../data/pipelines/cifar.ts';
import { pipelineSource } from '../../data/pipelines/index.ts';
import type { Recipe } from '../recipe.ts';

const common = {
  file: z.string().default('../shared/datasets/cifar-100/train.bin'),
  limit: z.number().int().min(0).default(0),
  batchSize: z.number().int().min(2).default(256),
  encoder: cifarEncoderSchema.default(CIFAR_ENCODER_DEFAULT),
  projectionHidden: z.number().int().positive().default(512),
  projectionDim: z.number().int().positive().default(128),
  /** EMA momentum of the target: θ_t ← m·θ_t + (1 − m)·θ_online (methods.md §E.7's CIFAR trainer: 0.99). */
  momentum: z.number().min(0).max(1).default(0.99),
  cropScale: z.tuple([z.number().positive(), z.number().positive()]).default([0.08, 1]),
};

/**
 * `moco-cifar` options. τ 0.2 (MoCo v2, https://arxiv.org/abs/2003.04297, and §E.7); queue 4096 (the MoCo
 * authors' CIFAR-10 demo notebook); momentum 0.99 (§E.7, the CIFAR demo); weight decay 1e-4 (MoCo v1/v2).
 */
export const mocoCifarSchema = z
  .object({
    ...common,
    temperature: z.number().positive().default(0.2),
    queueSize: z.number().int().positive().default(4096),
    weightDecay: z.number().min(0).default(1e-4),
  })
  .strict();
/**
 * `byol-cifar` options. Predictor Linear → BN → ReLU → Linear (BYOL, https://arxiv.org/abs/2006.07733 §3.3;
 * hidden 4096 there, 512 here); momentum 0.99 (BYOL's base is 0.996 for 1000 epochs; 0.99 suits short runs, as
 * solo-learn's CIFAR configs); weight decay 1.5e-6 (BYOL's).
 */
export const byolCifarSchema = z
  .object({
    ...common,
    predictorHidden: z.number().int().positive().default(512),
    weightDecay: z.number().min(0).default(1.5e-6),
  })
  .strict();
export type MocoCifarConfig = z.infer<typeof mocoCifarSchema>;
export type ByolCifarConfig = z.infer<typeof byolCifarSchema>;

const isHost = (x: unknown): boolean =>
  !!x && typeof x === 'object' && 'data' in (x as object) && ArrayBuffer.isView((x as HostTensor).data);
/** A deep copy of a host parameter tree (fresh arrays). */
const copy = (t: Params): Params =>
  mapTree<HostTensor, HostTensor>(
    t,
    (h) => ({ shape: [...h.shape], data: h.data.slice() }),
    '',
    isHost,
  ) as Params;
const isSym = (x: unknown): boolean => !!x && typeof x === 'object' && 'op' in (x as object);

/**
 * Record the EMA of every non-buffer target parameter in `ctx.updates` (the step graph writes them back):
 * target ← m·target + (1 − m)·online, using the online values this step started from (the optimizer's update
 * of the online network is applied in the same graph, so the target lags it by one step). Target BatchNorm
 * statistics follow the target's own forward pass instead.
 */
export function emaTarget(target: SymParams, online: SymParams, m: number, ctx: Ctx): void {
  const on = new Map(flatten<Tensor>(online as never, '', isSym).map(([k, t]) => [k, t]));
  for (const [path, t] of flatten<Tensor>(target as never, '', isSym)) {
    if (isBuffer(path)) continue;
    const o = on.get(path);
    if (!o) throw new Error(`emaTarget: online has no '${path}'`);
    ctx.updates.set(
      t.name!,
      t
        .mul(m)
        .add(o.mul(1 - m))
        .stopGradient(),
    );
  }
}

type Method = 'moco' | 'byol';

function momentumRecipe(
  method: Method,
  cfg: MocoCifarConfig | ByolCifarConfig,
): Recipe & { config: typeof cfg } {
  const encoder = cifarEncoder(cfg.encoder);
  const B = cfg.batchSize;
  const widths = [encoder.dim, cfg.projectionHidden, cfg.projectionDim];
  // MoCo v2's head has no BatchNorm (no shuffle-BN on one device); BYOL's projector and predictor do.
  const head =
    method === 'moco'
      ? {
          init: (r: any) => mlp.init(r, widths),
          apply: (p: any, h: Tensor, ctx: Ctx) => mlp.apply(p, h, ctx, { activation: 'relu' }),
        }
      : projectionHead({ inDim: encoder.dim, hidden: cfg.projectionHidden, outDim: cfg.projectionDim });
  const byol = method === 'byol' ? (cfg as ByolCifarConfig) : null;
  const moco = method === 'moco' ? (cfg as MocoCifarConfig) : null;
  const predictor = byol
    ? projectionHead({ inDim: cfg.projectionDim, hidden: byol.predictorHidden, outDim: cfg.projectionDim })
    : null;
  if (moco && moco.queueSize < 2 * B)
    throw new Error(`moco-cifar: queueSize ${moco.queueSize} must be at least 2·batchSize = ${2 * B}`);
  const net = (p: any, x: Tensor, ctx: Ctx) => {
    const h = encoder.apply(p.encoder, x, ctx);
    return { h, z: head.apply(p.head, h, ctx) };
  };
  const halves = (t: Tensor) => [t.slice([0], [0], [B]), t.slice([0], [B], [2 * B])];

  return {
    name: `${method}-cifar`,
    config: cfg,
    batchSize: B,
    init: (rng) => {
      const online: Record<string, Params> = {
        encoder: encoder.init(rng.fork('encoder')),
        head: head.init(rng.fork('head')),
      };
      if (predictor) online.predictor = predictor.init(rng.fork('predictor'));
      // The target starts as a copy of the online encoder and head (MoCo, BYOL).
      const params: Record<string, Params> = {
        online,
        target: { encoder: copy(online.encoder), head: copy(online.head) },
      };
      if (moco) {
        const q = normalInit(rng.fork('queue'), [moco.queueSize, cfg.projectionDim], 1);
        for (let i = 0; i < moco.queueSize; i++) {
          const row = q.data.subarray(i * cfg.projectionDim, (i + 1) * cfg.projectionDim);
          const n = Math.hypot(...row);
          for (let j = 0; j < row.length; j++) row[j] /= n;
        }
        params.queue = q as HostTensor;
      }
      return params;
    },
    batchSpec: { view1: { shape: [B, 3, 32, 32] }, view2: { shape: [B, 3, 32, 32] } },
    trainable: (path) => path.startsWith('online.') && !isBuffer(path),
    loss: (p: any, b, ctx) => {
      const x = F.concat([b.view1, b.view2], 0); // [2B, 3, 32, 32]
      const online = net(p.online, x, ctx).z; // [2B, D]
      const target = net(p.target, x, ctx).z.stopGradient(); // [2B, D]
      emaTarget(p.target, p.online, cfg.momentum, ctx);
      const [k1, k2] = halves(target);
      if (moco) {
        const [q1, q2] = halves(online);
        // Symmetrised across the two views (§E.7); both views' keys join the queue.
        const loss = mocoLoss(q1, k2, p.queue, moco.temperature)
          .add(mocoLoss(q2, k1, p.queue, moco.temperature))
          .mul(0.5);
        ctx.updates.set('queue', enqueue(p.queue, F.concat([k1, k2], 0)));
        return { loss };
      }
      const [p1, p2] = halves(predictor!.apply(p.online.predictor, online, ctx));
      return { loss: byolCos(p1, k2).add(byolCos(p2, k1)) }; // BYOL's L + L~
    },
    optimizer: adamw({ weightDecay: cfg.weightDecay }),
    pipeline: pipelineSource('cifar100', {
      file: cfg.file,
      mode: method === 'moco' ? 'simclr' : 'byol',
      scale: cfg.cropScale,
      limit: cfg.limit,
    }),
    feeds: (batch) => ({ view1: batch.views[0], view2: batch.views[1] }),
    towers: (n) => ({
      image: {
        inputs: { image: { shape: [n, 3, 32, 32] } },
        forward: (p: any, i, ctx) => {
          const { h, z } = net(p.online, i.image, ctx);
          return { embedding: h, projection: z };
        },
      },
    }),
    describe: () => ({
      recipe: `${method}-cifar`,
      config: cfg,
      embedDim: encoder.dim,
      objective:
        method === 'moco'
          ? {
              name: 'moco',
              temperature: moco!.temperature,
              queue: moco!.queueSize,
              paper: 'https://arxiv.org/abs/1911.05722',
            }
          : { name: 'byol', paper: 'https://arxiv.org/abs/2006.07733' },
      momentum: cfg.momentum,
      image: {
        arch: encoder.config,
        preprocessing: { size: 32, layout: 'NCHW', scale: '1/255', mean: CIFAR100_MEAN, std: CIFAR100_STD },
      },
      outputs: { embedding: 'pooled online-encoder features', projection: 'online projection' },
    }),
  };
}

/**
 * MoCo on CIFAR-100 (He et al. 2020, https://arxiv.org/abs/1911.05722; v2 head and τ, https://arxiv.org/abs/2003.04297;
 * methods.md §F.3, §E.7): online encoder + MLP head for queries, an EMA copy for keys, a FIFO queue of past keys
 * as negatives, kept as a non-trainable parameter updated inside the step graph.
 *
 * @example
 * const recipe = mocoCifar({ queueSize: 4096, momentum: 0.99 });
 */
export const mocoCifar = (o: z.input<typeof mocoCifarSchema> = {}) =>
  momentumRecipe('moco', mocoCifarSchema.parse(o));

/**
 * BYOL on CIFAR-100 (Grill et al. 2020, https://arxiv.org/abs/2006.07733; methods.md §F.3): online encoder →
 * projector → predictor regresses the EMA target's projection of the other view (2 − 2 cos, symmetrised);
 * no negatives.
 *
 * @example
 * const recipe = byolCifar({ momentum: 0.99 });
 */
export const byolCifar = (o: z.input<typeof byolCifarSchema> = {}) =>
  momentumRecipe('byol', byolCifarSchema.parse(o));
