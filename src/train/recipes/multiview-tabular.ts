import { pipelineSource } from '../../data/pipelines/index.ts';
import { columnStats, tabularReference } from '../../data/pipelines/tabular.ts';
import { SYNTHETIC_TABULAR_FEATURES } from '../../data/synthetic/synthetic-taxonomy.ts';
import { constant, type Tensor } from '../../engine/tensor.ts';
import type { Ctx, HostTensor } from '../../nn/context.ts';
import { mlp, type MlpParams } from '../../nn/mlp.ts';
import type { SymbolicParams } from '../../nn/param-tree.ts';
import { cmcLoss } from '../../objectives/index.ts';
import type { Rng } from '../../util/rng.ts';
import type { Recipe, TowerSpec } from '../recipe.ts';
import { captionFeed } from './parts/caption-feed.ts';
import { clipAdamw, imageTextDescription } from './parts/clip-objective.ts';
import { captionTokenizer } from './parts/image-text-data.ts';
import { syntheticData } from './parts/synthetic-data.ts';
import { clipTowers, type ClipTowerParams } from './parts/towers.ts';
import { clipinScores, zeroShotEvaluation } from './parts/zero-shot.ts';
import {
  multiviewTabularSchema,
  type MultiviewTabularConfig,
  type MultiviewTabularOptions,
} from './schemas.ts';

export type Modality = 'image' | 'text' | 'tabular';
export const MODALITIES: readonly Modality[] = ['image', 'text', 'tabular'];
export type MultiviewTabularParams = ClipTowerParams & { readonly tabular: MlpParams<HostTensor> };
type Sym = SymbolicParams<MultiviewTabularParams>;

/**
 * The tabular tower: raw features x [N, 6] standardised in-graph with the training set's reference statistics
 * (so the exported tabular.onnx takes raw features), then the MLP → [N, D].
 */
function tabularTower(cfg: MultiviewTabularConfig, ref: { table: Float32Array; rows: number }) {
  const stats = columnStats(ref.table, ref.rows);
  const nF = SYNTHETIC_TABULAR_FEATURES.length;
  const widths = [nF, ...cfg.tabularHidden, cfg.embedDim];
  return {
    init: (rng: Rng) => mlp.init(rng, widths, { norm: 'layer' }),
    apply: (p: Sym['tabular'], x: Tensor, ctx: Ctx) => {
      const mean = constant(stats.mean, [1, nF]);
      const inv = constant(
        stats.std.map((s) => 1 / s),
        [1, nF],
      );
      return mlp.apply(p, x.sub(mean).mul(inv), ctx, { activation: 'relu' });
    },
    inputs: (n: number) => ({ tabular: { shape: [n, nF] } }),
    describe: () => ({
      arch: 'mlp',
      widths,
      features: SYNTHETIC_TABULAR_FEATURES,
      standardise: { mean: [...stats.mean], std: [...stats.std] },
    }),
  };
}

/**
 * Image + caption + tabular contrastive training in one model with CMC (Tian et al. 2020,
 * https://arxiv.org/abs/1906.05849; methods.md §F.3–F.4) on synthetic-taxonomy: the image and text towers of
 * clip-taxonomy and an MLP over the 6 standardised tabular features, pairwise symmetric InfoNCE aggregated over
 * the core view (`core`) or all pairs (`full`). `zeroShot` / `periodicEval`: zero-shot accuracy by rank of
 * image → text and tabular → text (`image/species`, `tabular/kingdom`, …).
 */
export function multiviewTabular(options: MultiviewTabularOptions = {}) {
  const cfg = multiviewTabularSchema.parse(options);
  const data = syntheticData(cfg);
  const tokenizer = captionTokenizer(cfg.contextLength, data);
  const t = clipTowers(cfg, data.preprocessing, tokenizer);
  const tab = tabularTower(cfg, tabularReference(data.synthetic!));
  const B = cfg.batchSize;
  const captions = captionFeed(cfg, B, t.text.tokenize);
  const order: Modality[] = [cfg.core, ...MODALITIES.filter((m) => m !== cfg.core)];
  /** The views' embeddings [B, D] in loss order (core first). */
  const embed = (p: Sym, b: Readonly<Record<string, Tensor>>, ctx: Ctx): Tensor[] => {
    const by: Record<Modality, () => Tensor> = {
      image: () => t.encodeImage(p, b.image, ctx),
      text: () => t.encodeText(p, b.ids, b.eot, ctx),
      tabular: () => tab.apply(p.tabular, b.tabular, ctx),
    };
    return order.map((m) => by[m]());
  };
  const pipeline = (split: string, mode: 'train' | 'eval', perSpecies: number) =>
    pipelineSource('synthetic-tabular', {
      ...{ seed: cfg.seed, size: cfg.size, corruption: cfg.corruption, noise: cfg.noise },
      ...{ split, mode, perSpecies },
    });
  const towers = (n: number): Record<Modality, TowerSpec<Sym>> => ({
    ...t.towers(n),
    tabular: {
      inputs: tab.inputs(n),
      forward: (p, i, ctx) => ({ embedding: tab.apply(p.tabular, i.tabular, ctx) }),
    },
  });
  const cosine = (a: Float32Array, b: Float32Array) => clipinScores('contrastive', a, b, cfg.embedDim, 0);
  const zs = zeroShotEvaluation({
    towers,
    tokenizer,
    data: { ...data, evalSource: (split, count = 5) => pipeline(split, 'eval', count) },
    queries: ['image', 'tabular'],
    modes: {
      image: (q, txt) => cosine(q.image.embedding, txt.embedding),
      tabular: (q, txt) => cosine(q.tabular.embedding, txt.embedding),
    },
  });

  const recipe = {
    name: 'multiview-tabular',
    config: cfg,
    tokenizer,
    order,
    embed,
    batchSize: B,
    init: (rng) => ({ ...t.init(rng), tabular: tab.init(rng.fork('tabular')) }),
    batchSpec: { ...t.image.inputs(B), ...t.text.inputs(B), ...tab.inputs(B) },
    loss: (p, b, ctx) => ({ loss: cmcLoss(embed(p, b, ctx), cfg.temperature, cfg.mode) }),
    optimizer: clipAdamw(cfg.weightDecay),
    pipeline: pipeline('train', 'train', cfg.perSpecies),
    feeds: (batch, step) => ({ image: batch.views[0], ...captions(batch, step), tabular: batch.tabular![0] }),
    towers,
    zeroShot: (params: MultiviewTabularParams, count?: number, split?: string) =>
      zs.zeroShot(params, count, split),
    periodicEval: (params) => zs.zeroShot(params),
    describe: () =>
      imageTextDescription('multiview-tabular', cfg, data, {
        ...t.describe(),
        tabular: tab.describe(),
        embedDim: cfg.embedDim,
        views: order,
      }),
  } satisfies Recipe<MultiviewTabularParams> & Record<string, unknown>;
  return recipe;
}
export type MultiviewTabularRecipe = ReturnType<typeof multiviewTabular>;
