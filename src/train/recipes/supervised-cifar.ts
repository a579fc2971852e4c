import { z } from 'zod';
import { cifar100CoarseOfFine } from '../../data/taxonomy/cifar100-taxonomy.ts';
import { F } from '../../engine/index.ts';
import type { Ctx, SymParams } from '../../nn/context.ts';
import { linear } from '../../nn/linear.ts';
import { adamw } from '../../optim/adamw.ts';
import type { Tensor } from '../../engine/index.ts';
import { cifarEncoder, cifarEncoderSchema, CIFAR_ENCODER_DEFAULT } from './cifar-encoder.ts';
import { CIFAR100_MEAN, CIFAR100_STD } from '../../data/pipelines/cifar.ts';
import { pipelineSource } from '../../data/pipelines/index.ts';
import type { Recipe } from '../recipe.ts';

/**
 * Options of `supervised-cifar`. Defaults and their sources:
 * - label smoothing 0.1 and crop area [0.2, 1] + flip: the supervised baseline of methods.md §E.7;
 * - AdamW with weight decay 0.05 (§E.7 trains with AdamW but states no decay; 0.05 is DeiT's value for ViTs);
 * - batch 256 (§E.7 uses 1000; 256 keeps a step short on 2 cores);
 * - the small CNN encoder (§E.7 uses a 16-layer ViT for 600 epochs, far beyond a CPU budget).
 * The learning rate and schedule are trainer options (presets).
 */
export const supervisedCifarSchema = z
  .object({
    /** CIFAR-100 training binary. */
    file: z.string().default('../shared/datasets/cifar-100/train.bin'),
    /** First N records only (0 = all). */
    limit: z.number().int().min(0).default(0),
    batchSize: z.number().int().positive().default(256),
    encoder: cifarEncoderSchema.default(CIFAR_ENCODER_DEFAULT),
    /** Which rank the head classifies: CIFAR-100's 100 classes (`fine`) or 20 superclasses (`coarse`). */
    target: z.enum(['fine', 'coarse']).default('fine'),
    labelSmoothing: z.number().min(0).max(1).default(0.1),
    cropScale: z.tuple([z.number().positive(), z.number().positive()]).default([0.2, 1]),
    weightDecay: z.number().min(0).default(0.05),
  })
  .strict();
export type SupervisedCifarConfig = z.infer<typeof supervisedCifarSchema>;

/**
 * Supervised CIFAR-100 baseline (the comparison point of the RLD/CH study, methods.md §E.7): an image encoder
 * plus a linear classifier trained with cross-entropy and label smoothing 0.1 on crop + flip augmented images.
 * The exported image tower gives the encoder's pooled features as `embedding` (what kNN / linear probes and
 * RLD measure) and the classifier's `logits`.
 *
 * Label smoothing: Szegedy et al. 2016, https://arxiv.org/abs/1512.00567. CIFAR-100: Krizhevsky 2009,
 * https://www.cs.toronto.edu/~kriz/learning-features-2009-TR.pdf.
 *
 * @example
 * const recipe = supervisedCifar({ file: '../shared/datasets/cifar-100/train.bin' });
 * await train(recipe, { steps: 600, lr: 2e-3, warmup: 50, seed: 0, outDir, checkpointEvery: 200, keepLast: 2 });
 */
export function supervisedCifar(options: z.input<typeof supervisedCifarSchema> = {}): Recipe & {
  readonly config: SupervisedCifarConfig;
} {
  const cfg = supervisedCifarSchema.parse(options);
  const encoder = cifarEncoder(cfg.encoder);
  const classes = cfg.target === 'fine' ? 100 : 20;
  const coarseOf = cifar100CoarseOfFine();
  const B = cfg.batchSize;

  const forward = (p: SymParams, x: Tensor, ctx: Ctx) => {
    const h = encoder.apply((p as any).encoder, x, ctx); // [B, dim]
    return { embedding: h, logits: linear.apply((p as any).head, h) }; // logits [B, classes]
  };

  return {
    name: 'supervised-cifar',
    config: cfg,
    batchSize: B,
    init: (rng) => ({
      encoder: encoder.init(rng.fork('encoder')),
      head: linear.init(rng.fork('head'), encoder.dim, classes),
    }),
    batchSpec: { image: { shape: [B, 3, 32, 32] }, label: { shape: [B], dtype: 'int64' } },
    loss: (p, b, ctx) => {
      const { logits } = forward(p, b.image, ctx);
      return {
        loss: F.crossEntropy(logits, b.label, { labelSmoothing: cfg.labelSmoothing }),
        metrics: { batchAcc: F.accuracy(logits, b.label) },
      };
    },
    optimizer: adamw({ weightDecay: cfg.weightDecay }),
    pipeline: pipelineSource('cifar100', {
      file: cfg.file,
      mode: 'supervised',
      scale: cfg.cropScale,
      limit: cfg.limit,
    }),
    feeds: (batch) => ({
      image: batch.views[0],
      label: BigInt64Array.from(batch.labels!, (y) => BigInt(cfg.target === 'fine' ? y : coarseOf[y])),
    }),
    towers: (n) => ({
      image: {
        inputs: { image: { shape: [n, 3, 32, 32] } },
        forward: (p, i, ctx) => forward(p, i.image, ctx),
      },
    }),
    describe: () => ({
      recipe: 'supervised-cifar',
      config: cfg,
      embedDim: encoder.dim,
      image: {
        arch: encoder.config,
        head: { classes, target: cfg.target },
        preprocessing: {
          size: 32,
          layout: 'NCHW',
          scale: '1/255',
          mean: CIFAR100_MEAN,
          std: CIFAR100_STD,
          eval: 'none (32 px records)',
        },
      },
      outputs: { embedding: 'pooled encoder features', logits: `${classes}-way ${cfg.target} classifier` },
    }),
  };
}
