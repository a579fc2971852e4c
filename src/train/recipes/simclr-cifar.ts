import { concat } from '../../engine/functional/index.ts';
import type { Tensor } from '../../engine/tensor.ts';
import type { Ctx, HostTensor } from '../../nn/context.ts';
import type { MlpParams } from '../../nn/mlp.ts';
import type { CifarEncoderParams } from '../../nn/models/cifar-encoder.ts';
import { projectionHead } from '../../nn/models/projection-head.ts';
import type { SymbolicParams } from '../../nn/param-tree.ts';
import { ntXent } from '../../objectives/index.ts';
import { adamw } from '../../optim/adamw.ts';
import { lars } from '../../optim/lars.ts';
import type { Recipe } from '../recipe.ts';
import { cifarImage, twoViews } from './parts/cifar.ts';
import type { SpecSource } from './parts/spec-data.ts';
import { simclrCifarSchema, type SimclrCifarOptions } from './schemas.ts';

export type SimclrCifarParams = {
  readonly encoder: CifarEncoderParams<HostTensor>;
  readonly head: MlpParams<HostTensor>;
};
type Sym = SymbolicParams<SimclrCifarParams>;

/**
 * SimCLR on CIFAR-100 (Chen et al. 2020, https://arxiv.org/abs/2002.05709; docs/methods.md §F.3): two augmented views
 * of each image through a shared encoder and projection head, NT-Xent over the 2N views. Labels are not used in
 * training. The exported image tower's `embedding` is the encoder's pooled features (before the projection
 * head, as the paper evaluates), with the projection as an extra output `projection`.
 *
 * @example
 * const recipe = simclrCifar({ temperature: 0.5 });
 * await train(recipe, { steps: 400, lr: 2e-3, warmup: 40, seed: 0, outDir, checkpointEvery: 200, keepLast: 2 });
 */
export function simclrCifar(options: SimclrCifarOptions = {}, spec?: SpecSource) {
  const cfg = simclrCifarSchema.parse(options);
  const image = cifarImage(cfg, spec);
  const { encoder } = image;
  const head = projectionHead({
    inDim: encoder.dim,
    hidden: cfg.projectionHidden,
    outDim: cfg.projectionDim,
  });
  const B = cfg.batchSize;
  const embed = (p: Sym, x: Tensor, ctx: Ctx) => encoder.apply(p.encoder, x, ctx); // [B, dim]
  const project = (p: Sym, h: Tensor, ctx: Ctx) => head.apply(p.head, h, ctx); // [B, out]

  const recipe = {
    name: 'simclr-cifar',
    config: cfg,
    batchSize: B,
    init: (rng) => ({ encoder: encoder.init(rng.fork('encoder')), head: head.init(rng.fork('head')) }),
    batchSpec: twoViews.batchSpec(B),
    loss: (p, b, ctx) => {
      // Both views go through the encoder as one [2B] batch, as SimCLR's implementation does (BatchNorm sees
      // the 2B images together).
      const z = project(p, embed(p, concat([b.view1, b.view2], 0), ctx), ctx); // [2B, out]
      return { loss: ntXent(z.slice([0], [0], [B]), z.slice([0], [B], [2 * B]), cfg.temperature) };
    },
    optimizer:
      cfg.optimizer === 'lars'
        ? lars({ weightDecay: cfg.weightDecay })
        : adamw({ weightDecay: cfg.weightDecay }),
    pipeline: image.pipeline('simclr'),
    feeds: twoViews.feeds,
    towers: (n) => ({
      image: {
        inputs: { image: image.input(n) },
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
      image: image.describe({ projection: { hidden: cfg.projectionHidden, out: cfg.projectionDim } }),
      outputs: { embedding: 'pooled encoder features', projection: 'projection-head output (NT-Xent space)' },
    }),
  } satisfies Recipe<SimclrCifarParams> & Record<string, unknown>;
  return { ...recipe, ...image.hooks<SimclrCifarParams>(recipe.towers) };
}
