import { syntheticTaxonomy, SYNTHETIC_TABULAR_FEATURES } from '../../data/synthetic/synthetic-taxonomy.ts';
import { TEXT_TYPES } from '../../data/taxonomy/text-types.ts';
import { textTypeSchedule, type TextMixing } from '../../data/taxonomy/text-type-schedule.ts';
import { WordTokenizer } from '../../data/tokenizers/word-tokenizer.ts';
import { constant, type Tensor } from '../../engine/index.ts';
import type { Ctx, Params, SymParams } from '../../nn/context.ts';
import { linear } from '../../nn/linear.ts';
import { mlp } from '../../nn/mlp.ts';
import { smallCnn } from '../../nn/models/small-cnn.ts';
import { textTransformer } from '../../nn/models/text-transformer.ts';
import { cmcLoss } from '../../objectives/index.ts';
import { adamw } from '../../optim/adamw.ts';
import { columnStats, tabularReference } from '../../data/pipelines/tabular.ts';
import { pipelineSource } from '../../data/pipelines/index.ts';
import type { Recipe, TowerSpec } from '../recipe.ts';
import { clipinScores, zeroShotByRank } from './tower-eval.ts';

export type Modality = 'image' | 'text' | 'tabular';
export const MODALITIES: readonly Modality[] = ['image', 'text', 'tabular'];

export interface MultiviewTabularConfig {
  readonly seed: number;
  readonly perSpecies: number;
  readonly size: number;
  readonly batchSize: number;
  readonly embedDim: number;
  readonly imageChannels: readonly [number, number, number];
  readonly textWidth: number;
  readonly textDepth: number;
  readonly textHeads: number;
  readonly contextLength: number;
  readonly mixing: TextMixing;
  /** Hidden widths of the tabular MLP (LayerNorm + ReLU between layers). */
  readonly tabularHidden: readonly number[];
  /** CMC aggregation: `core` = Σ_j L(V₁, V_j), `full` = Σ_{i<j} L(V_i, V_j) (methods.md §F.3). */
  readonly mode: 'core' | 'full';
  /** The core view V₁ (the others follow in image, text, tabular order). */
  readonly core: Modality;
  readonly temperature: number;
  /** SCARF corruption rate and Gaussian-noise fraction of the tabular view (methods.md §F.4). */
  readonly corruption: number;
  readonly noise: number;
  readonly weightDecay: number;
}

export const MULTIVIEW_TABULAR_DEFAULTS: MultiviewTabularConfig = {
  seed: 0,
  perSpecies: 40,
  size: 32,
  batchSize: 120,
  embedDim: 64,
  imageChannels: [32, 64, 128],
  textWidth: 64,
  textDepth: 2,
  textHeads: 2,
  contextLength: 16,
  mixing: 'perBatch', // BioCLIP 2 text types (methods.md §A.3)
  tabularHidden: [128, 128], // clade's default
  mode: 'core', // CMC's core-view (Tian et al. 2020)
  core: 'image',
  temperature: 0.07, // CMC (Tian et al. 2020, https://arxiv.org/abs/1906.05849)
  corruption: 0.3, // clade's: SCARF's 0.6 (Bahri et al. 2022) destroys too much of a 6-feature vector
  noise: 0.1, // clade's: 10% of each feature's standard deviation
  weightDecay: 0.2, // as clip-taxonomy (BioCLIP 2, methods.md §A.5)
};

export interface MultiviewTabularRecipe extends Recipe {
  readonly config: MultiviewTabularConfig;
  readonly tokenizer: WordTokenizer;
  /** The views' embeddings [B, D] in loss order (core first). */
  embed(p: SymParams, batch: Readonly<Record<string, Tensor>>, ctx: Ctx): Tensor[];
  readonly order: readonly Modality[];
  /** Zero-shot accuracy by rank of image → text and tabular → text (`image/species`, `tabular/kingdom`, …). */
  zeroShot(params: Params, perSpecies?: number, split?: string): Promise<Record<string, number>>;
}

/**
 * Image + caption + tabular contrastive training in one model with CMC (Tian et al. 2020,
 * https://arxiv.org/abs/1906.05849; methods.md §F.3–F.4): three encoders — small CNN + projection, causal text
 * transformer, and an MLP over the 6 standardised tabular features — and pairwise symmetric InfoNCE aggregated
 * over the core view (`core`) or all pairs (`full`). The tabular tower standardises raw features in-graph with
 * the training set's reference statistics, so the exported `tabular.onnx` takes raw features.
 */
export function multiviewTabular(overrides: Partial<MultiviewTabularConfig> = {}): MultiviewTabularRecipe {
  const cfg = { ...MULTIVIEW_TABULAR_DEFAULTS, ...overrides };
  const dataset = syntheticTaxonomy({
    seed: cfg.seed,
    perSpecies: cfg.perSpecies,
    size: cfg.size,
    split: 'train',
  });
  const texts: string[] = [];
  for (let k = 0; k < dataset.classNames.length; k++) texts.push(...(dataset.get(k).captions ?? []));
  const tokenizer = WordTokenizer.fromCorpus(texts, { contextLength: cfg.contextLength });
  const ref = tabularReference(dataset);
  const stats = columnStats(ref.table, ref.rows);
  const nF = SYNTHETIC_TABULAR_FEATURES.length;
  const image = smallCnn({ channels: cfg.imageChannels });
  const text = textTransformer({
    vocab: tokenizer.vocabSize,
    context: cfg.contextLength,
    width: cfg.textWidth,
    depth: cfg.textDepth,
    heads: cfg.textHeads,
    outDim: cfg.embedDim,
  });
  const schedule = textTypeSchedule(cfg.seed, cfg.mixing);
  const [B, T, S] = [cfg.batchSize, cfg.contextLength, cfg.size];
  const order: Modality[] = [cfg.core, ...MODALITIES.filter((m) => m !== cfg.core)];
  const P = (p: SymParams) => p as any; // eslint-disable-line @typescript-eslint/no-explicit-any

  const encodeImage = (p: any, x: Tensor, ctx: Ctx) =>
    linear.apply(p.imageProj, image.apply(p.image, x, ctx));
  const encodeText = (p: any, ids: Tensor, eot: Tensor, ctx: Ctx) => text.apply(p.text, ids, ctx, eot);
  /** x [N, 6] raw features → standardised → MLP → [N, D]. */
  const encodeTabular = (p: any, x: Tensor, ctx: Ctx) => {
    const mean = constant(stats.mean, [1, nF]);
    const inv = constant(
      stats.std.map((s) => 1 / s),
      [1, nF],
    );
    return mlp.apply(p.tabular, x.sub(mean).mul(inv), ctx, { activation: 'relu' });
  };
  const embed = (sp: SymParams, b: Readonly<Record<string, Tensor>>, ctx: Ctx): Tensor[] => {
    const p = P(sp);
    const by: Record<Modality, () => Tensor> = {
      image: () => encodeImage(p, b.image, ctx),
      text: () => encodeText(p, b.ids, b.eot, ctx),
      tabular: () => encodeTabular(p, b.tabular, ctx),
    };
    return order.map((m) => by[m]());
  };
  const pipeline = (split: string, mode: 'train' | 'eval', perSpecies = cfg.perSpecies) =>
    pipelineSource('synthetic-tabular', {
      seed: cfg.seed,
      perSpecies,
      size: S,
      split,
      mode,
      corruption: cfg.corruption,
      noise: cfg.noise,
    });

  const towers = (n: number): Record<string, TowerSpec> => ({
    image: {
      inputs: { image: { shape: [n, 3, S, S] } },
      forward: (p, i, ctx) => ({ embedding: encodeImage(p, i.image, ctx) }),
    },
    text: {
      inputs: { ids: { shape: [n, T], dtype: 'int64' }, eot: { shape: [n], dtype: 'int64' } },
      forward: (p, i, ctx) => ({ embedding: encodeText(p, i.ids, i.eot, ctx) }),
    },
    tabular: {
      inputs: { tabular: { shape: [n, nF] } },
      forward: (p, i, ctx) => ({ embedding: encodeTabular(p, i.tabular, ctx) }),
    },
  });
  /** Zero-shot species prediction by rank from images and from tabular features against `taxon` prompts. */
  const cosine = (a: Float32Array, b: Float32Array) => clipinScores('contrastive', a, b, cfg.embedDim, 0);
  const zeroShot = (params: Params, perSpecies = 5, split = 'test') =>
    zeroShotByRank({
      params,
      towers: towers(60),
      batch: 60,
      source: pipeline(split, 'eval', perSpecies),
      classes: {
        taxonomy: dataset.taxonomy,
        prompts: dataset.classNames.map((_, k) => dataset.get(k).captions![TEXT_TYPES.indexOf('taxon')]),
      },
      tokenizer,
      queries: ['image', 'tabular'],
      modes: {
        image: (q, t) => cosine(q.image.embedding, t.embedding),
        tabular: (q, t) => cosine(q.tabular.embedding, t.embedding),
      },
    });

  return {
    name: 'multiview-tabular',
    config: cfg,
    tokenizer,
    order,
    embed,
    batchSize: B,
    init: (rng) => ({
      image: image.init(rng.fork('image')),
      imageProj: linear.init(rng.fork('imageProj'), cfg.imageChannels[2], cfg.embedDim),
      text: text.init(rng.fork('text')),
      tabular: mlp.init(rng.fork('tabular'), [nF, ...cfg.tabularHidden, cfg.embedDim], { norm: 'layer' }),
    }),
    batchSpec: {
      image: { shape: [B, 3, S, S] },
      ids: { shape: [B, T], dtype: 'int64' },
      eot: { shape: [B], dtype: 'int64' },
      tabular: { shape: [B, nF] },
    },
    loss: (p, b, ctx) => {
      const views = embed(p, b, ctx);
      return { loss: cmcLoss(views, cfg.temperature, cfg.mode) };
    },
    optimizer: adamw({ beta1: 0.9, beta2: 0.98, eps: 1e-6, weightDecay: cfg.weightDecay }),
    pipeline: pipeline('train', 'train'),
    feeds(batch, step) {
      const types = schedule.batch(step, B);
      const caps = Array.from({ length: B }, (_, i) => batch.captions![i][TEXT_TYPES.indexOf(types[i])]);
      const tok = tokenizer.encode(caps);
      return {
        image: batch.views[0],
        ids: BigInt64Array.from(tok.ids, BigInt),
        eot: BigInt64Array.from(tok.eotIndex, BigInt),
        tabular: batch.tabular![0],
      };
    },
    towers,
    zeroShot,
    periodicEval: (params) => zeroShot(params),
    describe: () => ({
      recipe: 'multiview-tabular',
      config: cfg,
      embedDim: cfg.embedDim,
      views: order,
      image: {
        arch: 'smallCnn',
        channels: cfg.imageChannels,
        preprocessing: { size: S, layout: 'NCHW', scale: '1/255' },
      },
      text: {
        arch: 'textTransformer',
        width: cfg.textWidth,
        depth: cfg.textDepth,
        heads: cfg.textHeads,
        context: T,
      },
      tabular: {
        arch: 'mlp',
        widths: [nF, ...cfg.tabularHidden, cfg.embedDim],
        features: SYNTHETIC_TABULAR_FEATURES,
        standardise: { mean: [...stats.mean], std: [...stats.std] },
      },
      tokenizer: tokenizer.toJSON(),
      textTypes: TEXT_TYPES,
      taxonomy: { ranks: dataset.taxonomy.ranks, classNames: dataset.classNames },
    }),
  };
}
