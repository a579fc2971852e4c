import { z } from 'zod';
import { F, type Tensor } from '../../engine/index.ts';
import type { Ctx, SymParams } from '../../nn/context.ts';
import { projectionHead } from '../../nn/models/projection-head.ts';
import { ntXent } from '../../objectives/index.ts';
import { adamw } from '../../optim/adamw.ts';
import { lars } from '../../optim/lars.ts';
import { cifarEncoder, cifarEncoderSchema, CIFAR_ENCODER_DEFAULT } from './cifar-encoder.ts';
import { CIFAR100_MEAN, CIFAR100_STD } from '../../data/pipelines/cifar.ts';
import { pipelineSource } from '../../data/pipelines/index.ts';
import type { Recipe } from '../recipe.ts';

/**
 * Options of `simclr-cifar`. Defaults and their sources (SimCLR, Chen et al. 2020, https://arxiv.org/abs/2002.05709):
 * - temperature 0.5: the paper's CIFAR-10 setting (appendix B.9);
 * - views: RandomResizedCrop(0.08–1) + flip + colour jitter of strength 0.5 (0.4, 0.4, 0.4, 0.1, p 0.8) +
 *   grayscale 0.2, no blur on CIFAR (appendix B.9; the data layer's `simclrViews`);
 * - projection head Linear → BN → ReLU → Linear to 128 (§B.1 / §4.2; hidden = encoder width there, 512 here);
 * - optimizer: AdamW with weight decay 1e-6 (the paper's decay; LARS, its optimizer for large batches, is
 *   available as `optimizer: 'lars'`); batch 256 (the paper sweeps 256–8192; 256 keeps a step short on 2 cores).
 */
export const simclrCifarSchema = z
  .object({
    file: z.string().default('../shared/datasets/cifar-100/train.bin'),
    limit: z.number().int().min(0).default(0),
    batchSize: z.number().int().min(2).default(256),
    encoder: cifarEncoderSchema.default(CIFAR_ENCODER_DEFAULT),
    projectionHidden: z.number().int().positive().default(512),
    projectionDim: z.number().int().positive().default(128),
    temperature: z.number().positive().default(0.5),
    cropScale: z.tuple([z.number().positive(), z.number().positive()]).default([0.08, 1]),
    optimizer: z.enum(['adamw', 'lars']).default('adamw'),
    weightDecay: z.number().min(0).default(1e-6),
  })
  .strict();
export type SimclrCifarConfig = z.infer<typeof simclrCifarSchema>;

/**
 * SimCLR on CIFAR-100 (Chen et al. 2020, https://arxiv.org/abs/2002.05709; methods.md §F.3): two augmented views
 * of each image through a shared encoder and projection head, NT-Xent over the 2N views. Labels are not used in
 * training. The exported image tower's `embedding` is the encoder's pooled features (before the projection
 * head, as the paper evaluates), with the projection as an extra output `projection`.
 *
 * @example
 * const recipe = simclrCifar({ temperature: 0.5 });
 * await train(recipe, { steps: 400, lr: 2e-3, warmup: 40, seed: 0, outDir, checkpointEvery: 200, keepLast: 2 });
 */
export function simclrCifar(options: z.input<typeof simclrCifarSchema> = {}): Recipe & {
  readonly config: SimclrCifarConfig;
} {
  const cfg = simclrCifarSchema.parse(options);
  const encoder = cifarEncoder(cfg.encoder);
  const head = projectionHead({
    inDim: encoder.dim,
    hidden: cfg.projectionHidden,
    outDim: cfg.projectionDim,
  });
  const B = cfg.batchSize;

  const embed = (p: SymParams, x: Tensor, ctx: Ctx) => encoder.apply((p as any).encoder, x, ctx); // [B, dim]
  const project = (p: SymParams, h: Tensor, ctx: Ctx) => head.apply((p as any).head, h, ctx); // [B, out]

  return {
    name: 'simclr-cifar',
    config: cfg,
    batchSize: B,
    init: (rng) => ({ encoder: encoder.init(rng.fork('encoder')), head: head.init(rng.fork('head')) }),
    batchSpec: { view1: { shape: [B, 3, 32, 32] }, view2: { shape: [B, 3, 32, 32] } },
    loss: (p, b, ctx) => {
      // Both views go through the encoder as one [2B] batch, as SimCLR's implementation does (BatchNorm sees
      // the 2B images together).
      const h = embed(p, F.concat([b.view1, b.view2], 0), ctx);
      const z = project(p, h, ctx); // [2B, out]
      const z1 = z.slice([0], [0], [B]);
      const z2 = z.slice([0], [B], [2 * B]);
      return { loss: ntXent(z1, z2, cfg.temperature) };
    },
    optimizer:
      cfg.optimizer === 'lars'
        ? lars({ weightDecay: cfg.weightDecay })
        : adamw({ weightDecay: cfg.weightDecay }),
    pipeline: pipelineSource('cifar100', {
      file: cfg.file,
      mode: 'simclr',
      scale: cfg.cropScale,
      limit: cfg.limit,
    }),
    feeds: (batch) => ({ view1: batch.views[0], view2: batch.views[1] }),
    towers: (n) => ({
      image: {
        inputs: { image: { shape: [n, 3, 32, 32] } },
        forward: (p, i, ctx) => {
          const h = embed(p, i.image, ctx);
          return { embedding: h, projection: project(p, h, ctx) };
        },
      },
    }),
    describe: () => ({
      recipe: 'simclr-cifar',
      config: cfg,
      embedDim: encoder.dim,
      objective: { name: 'ntxent', temperature: cfg.temperature, paper: 'https://arxiv.org/abs/2002.05709' },
      image: {
        arch: encoder.config,
        projection: { hidden: cfg.projectionHidden, out: cfg.projectionDim },
        preprocessing: {
          size: 32,
          layout: 'NCHW',
          scale: '1/255',
          mean: CIFAR100_MEAN,
          std: CIFAR100_STD,
          eval: 'none (32 px records)',
        },
      },
      outputs: { embedding: 'pooled encoder features', projection: 'projection-head output (NT-Xent space)' },
    }),
  };
}
