import { cifar100CoarseOfFine } from '../../data/taxonomy/cifar100-taxonomy.ts';
import { accuracy, crossEntropy } from '../../engine/functional/index.ts';
import type { Tensor } from '../../engine/tensor.ts';
import type { Ctx, HostTensor } from '../../nn/context.ts';
import { linear, type LinearParams } from '../../nn/linear.ts';
import type { CifarEncoderParams } from '../../nn/models/cifar-encoder.ts';
import type { SymbolicParams } from '../../nn/param-tree.ts';
import { adamw } from '../../optim/adamw.ts';
import type { Recipe } from '../recipe.ts';
import { cifarImage } from './parts/cifar.ts';
import type { SpecSource } from './parts/spec-data.ts';
import { supervisedCifarSchema, type SupervisedCifarOptions } from './schemas.ts';

export type SupervisedCifarParams = {
  readonly encoder: CifarEncoderParams<HostTensor>;
  readonly head: LinearParams<HostTensor>;
};

/**
 * Supervised CIFAR-100 baseline (the comparison point of the RLD/CH study, docs/methods.md §E.7): an image encoder
 * plus a linear classifier trained with cross-entropy and label smoothing 0.1 (Szegedy et al. 2016,
 * https://arxiv.org/abs/1512.00567) on crop + flip augmented images. The exported image tower gives the encoder's
 * pooled features as `embedding` (what kNN / linear probes and RLD measure) and the classifier's `logits`.
 *
 * @example
 * const recipe = supervisedCifar({ file: '../shared/datasets/cifar-100/train.bin' });
 * await train(recipe, { steps: 600, lr: 2e-3, warmup: 50, seed: 0, outDir, checkpointEvery: 200, keepLast: 2 });
 */
export function supervisedCifar(options: SupervisedCifarOptions = {}, spec?: SpecSource) {
  const cfg = supervisedCifarSchema.parse(options);
  const image = cifarImage(cfg, spec);
  // a SPEC's classes: `fine` = its classes, `coarse` = the clades of its coarsest rank
  const tax = image.taxonomy;
  const classes = tax
    ? cfg.target === 'fine'
      ? tax.size
      : tax.cladesAt(0).length
    : cfg.target === 'fine'
      ? 100
      : 20;
  const coarseOf = tax ? tax.labelsAt(0) : cifar100CoarseOfFine();
  const B = cfg.batchSize;
  const forward = (p: SymbolicParams<SupervisedCifarParams>, x: Tensor, ctx: Ctx) => {
    const h = image.encoder.apply(p.encoder, x, ctx); // [B, dim]
    return { embedding: h, logits: linear.apply(p.head, h) }; // logits [B, classes]
  };

  const recipe = {
    name: 'supervised-cifar',
    config: cfg,
    batchSize: B,
    init: (rng) => ({
      encoder: image.encoder.init(rng.fork('encoder')),
      head: linear.init(rng.fork('head'), image.encoder.dim, classes),
    }),
    batchSpec: { image: image.input(B), label: { shape: [B], dtype: 'int64' } },
    loss: (p, b, ctx) => {
      const { logits } = forward(p, b.image, ctx);
      return {
        loss: crossEntropy(logits, b.label, { labelSmoothing: cfg.labelSmoothing }),
        metrics: { batchAcc: accuracy(logits, b.label) },
      };
    },
    optimizer: adamw({ weightDecay: cfg.weightDecay }),
    pipeline: image.pipeline('supervised'),
    feeds: (batch) => ({
      image: batch.views[0],
      label: BigInt64Array.from(batch.labels!, (y) => BigInt(cfg.target === 'fine' ? y : coarseOf[y])),
    }),
    towers: (n) => ({
      image: { inputs: { image: image.input(n) }, forward: (p, i, ctx) => forward(p, i.image, ctx) },
    }),
    describe: () => ({
      recipe: 'supervised-cifar',
      config: cfg,
      embedDim: image.encoder.dim,
      image: image.describe({ head: { classes, target: cfg.target } }),
      outputs: { embedding: 'pooled encoder features', logits: `${classes}-way ${cfg.target} classifier` },
    }),
  } satisfies Recipe<SupervisedCifarParams> & Record<string, unknown>;
  return { ...recipe, ...image.hooks<SupervisedCifarParams>(recipe.towers) };
}
