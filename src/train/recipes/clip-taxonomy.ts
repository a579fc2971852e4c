import type { SyntheticTaxonomyDataset } from '../../data/synthetic/synthetic-taxonomy.ts';
import { TEXT_TYPES } from '../../data/taxonomy/text-types.ts';
import { textTypeSchedule, type TextMixing } from '../../data/taxonomy/text-type-schedule.ts';
import { WordTokenizer } from '../../data/tokenizers/word-tokenizer.ts';
import { F, type Tensor } from '../../engine/index.ts';
import { filled, type Ctx, type HostTensor, type SymParams } from '../../nn/context.ts';
import { linear } from '../../nn/linear.ts';
import { textTransformer } from '../../nn/models/text-transformer.ts';
import { CLIP_LOGIT_SCALE_INIT, CLIP_LOGIT_SCALE_MAX, hierarchicalLoss } from '../../objectives/index.ts';
import { adamw } from '../../optim/adamw.ts';
import { CladeError } from '../../util/errors.ts';
import { runImageTower } from './cifar-eval.ts';
import type { Recipe, TowerSpec } from '../recipe.ts';
import {
  captionCorpus,
  imageTextData,
  imageTextEncoder,
  type ImageTextData,
  type ImageTextDatasetName,
  imageTextPreprocessing,
} from './image-text-data.ts';
import { clipinScores, zeroShotByRank, zeroShotOfOutputs, type ZeroShotModes } from './tower-eval.ts';

/** Rows per zero-shot batch (60 = one image per species of the default synthetic tree). */
const EVAL_BATCH = 60;
/** CIFAR-100 test records scored by `periodicEval` (a class-balanced prefix). */
const CIFAR_PERIODIC_EVAL = 1000;

export interface ClipTaxonomyConfig {
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
  readonly weightDecay: number;
  /** clade's extension: SupCon weights per rank on the image embeddings (0 = plain BioCLIP 2). */
  readonly rankWeights: readonly number[];
  /** Training data: the built-in synthetic-taxonomy or CIFAR-100 (superclass → class) from `dataDir`. */
  readonly dataset: ImageTextDatasetName;
  readonly dataDir: string;
  /** CIFAR-100: first N training records (0 = all). */
  readonly limit: number;
  /** CIFAR-100: RandomResizedCrop area range of the training view (+ flip). */
  readonly cropScale: readonly [number, number];
  /** BatchNorm in the small CNN (conv → BN → ReLU). */
  readonly imageBatchNorm: boolean;
}

export const CLIP_TAXONOMY_DEFAULTS: ClipTaxonomyConfig = {
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
  mixing: 'perBatch', // BioCLIP 2 (methods.md §A.3)
  weightDecay: 0.2, // BioCLIP 2 (methods.md §A.5)
  rankWeights: [],
  dataset: 'synthetic-taxonomy',
  dataDir: '../shared/datasets/cifar-100',
  limit: 0,
  cropScale: [0.5, 1], // CIFAR-100: as the supervised-cifar preset (BioCLIP's 0.9–1 is for 224 px crops)
  imageBatchNorm: false,
};

/**
 * CLIP-style training with BioCLIP 2's taxonomic text supervision on the built-in synthetic-taxonomy dataset or
 * CIFAR-100 (superclass → class): an image tower (small CNN + projection) and a causal text tower over captions
 * of one text type drawn per batch, symmetric InfoNCE with a learnable logit scale (init ln(1/0.07), clamped to
 * [0, ln 100]).
 */
export interface ClipTaxonomyRecipe extends Recipe {
  readonly config: ClipTaxonomyConfig;
  readonly tokenizer: WordTokenizer;
  /** The synthetic training split; reading it throws when the recipe trains on CIFAR-100 (use `data`). */
  readonly dataset: SyntheticTaxonomyDataset;
  readonly data: ImageTextData;
  /** The eval-mode pipeline of another split (synthetic: `count` per species; CIFAR-100: first `count` records). */
  evalPipeline(split: string, count: number): Recipe['pipeline'];
  zeroShotImages: NonNullable<Recipe['zeroShotImages']>;
}

export function clipTaxonomy(overrides: Partial<ClipTaxonomyConfig> = {}): ClipTaxonomyRecipe {
  const cfg = { ...CLIP_TAXONOMY_DEFAULTS, ...overrides };
  const data = imageTextData(cfg);
  const tokenizer = WordTokenizer.fromCorpus(captionCorpus(data), { contextLength: cfg.contextLength });
  const image = imageTextEncoder(cfg);
  const text = textTransformer({
    vocab: tokenizer.vocabSize,
    context: cfg.contextLength,
    width: cfg.textWidth,
    depth: cfg.textDepth,
    heads: cfg.textHeads,
    outDim: cfg.embedDim,
  });
  const schedule = textTypeSchedule(cfg.seed, cfg.mixing);
  const B = cfg.batchSize;
  const T = cfg.contextLength;
  const S = cfg.size;

  const encodeImage = (p: SymParams, x: Tensor, ctx: Ctx) =>
    linear.apply((p as any).imageProj, image.apply((p as any).image, x, ctx));
  const encodeText = (p: SymParams, ids: Tensor, eot: Tensor, ctx: Ctx) =>
    text.apply((p as any).text, ids, ctx, eot);

  const rankOf = cfg.rankWeights.map((_, r) => data.taxonomy.labelsAt(r)); // class -> clade index at rank r
  const rankLabels = (labels: Int32Array, rank: number) =>
    BigInt64Array.from(labels, (k) => BigInt(rankOf[rank][k]));

  const towers = (n: number): Record<string, TowerSpec> => ({
    image: {
      inputs: { image: { shape: [n, 3, S, S] } },
      forward: (p, i, ctx) => ({ embedding: encodeImage(p, i.image, ctx) }),
    },
    text: {
      inputs: { ids: { shape: [n, T], dtype: 'int64' }, eot: { shape: [n], dtype: 'int64' } },
      forward: (p, i, ctx) => ({ embedding: encodeText(p, i.ids, i.eot, ctx) }),
    },
  });

  const classes = { taxonomy: data.taxonomy, prompts: data.prompts('taxon') };
  const modes: ZeroShotModes = {
    zeroshot: (q, t) => clipinScores('contrastive', q.image.embedding, t.embedding, cfg.embedDim),
  };
  const zeroShotImages: ClipTaxonomyRecipe['zeroShotImages'] = (params, img, labels) =>
    zeroShotOfOutputs({
      params,
      textTower: towers(EVAL_BATCH).text,
      batch: EVAL_BATCH,
      tokenizer,
      classes,
      queries: { image: { embedding: img.embedding.data } },
      labels,
      modes,
    });

  const recipe: ClipTaxonomyRecipe = {
    name: 'clip-taxonomy',
    config: cfg,
    tokenizer,
    get dataset(): SyntheticTaxonomyDataset {
      if (!data.synthetic)
        throw new CladeError(
          `clip-taxonomy: 'dataset' is the synthetic-taxonomy split; this recipe trains on ${data.name} (use 'data')`,
        );
      return data.synthetic;
    },
    data,
    batchSize: B,
    init: (rng) => ({
      image: image.init(rng.fork('image')),
      imageProj: linear.init(rng.fork('imageProj'), cfg.imageChannels[2], cfg.embedDim),
      text: text.init(rng.fork('text')),
      logitScale: filled([], CLIP_LOGIT_SCALE_INIT) as HostTensor,
    }),
    batchSpec: {
      image: { shape: [B, 3, S, S] },
      ids: { shape: [B, T], dtype: 'int64' },
      eot: { shape: [B], dtype: 'int64' },
      ...Object.fromEntries(
        cfg.rankWeights.map((_, r) => [`rank${r}`, { shape: [B], dtype: 'int64' as const }]),
      ),
    },
    loss: (p, b, ctx) => {
      const img = encodeImage(p, b.image, ctx);
      const txt = encodeText(p, b.ids, b.eot, ctx);
      const ranks = cfg.rankWeights.map((weight, r) => ({ labels: b[`rank${r}`], weight }));
      const { loss, clip } = hierarchicalLoss(img, txt, (p as any).logitScale, ranks);
      const logits = F.cosineMatrix(img, txt);
      const targets = BigInt64Array.from({ length: B }, (_, i) => BigInt(i));
      void targets;
      return {
        loss,
        metrics: {
          clip,
          logitScale: (p as any).logitScale.reshape([1]).sum(),
          batchAcc: F.accuracy(logits, arangeTensor(B)),
        },
      };
    },
    optimizer: adamw({ beta1: 0.9, beta2: 0.98, eps: 1e-6, weightDecay: cfg.weightDecay }),
    clamp: (path) => (path === 'logitScale' ? [0, CLIP_LOGIT_SCALE_MAX] : undefined),
    pipeline: data.train(1),
    feeds(batch, step) {
      const types = schedule.batch(step, B);
      const texts = Array.from({ length: B }, (_, i) => batch.captions![i][TEXT_TYPES.indexOf(types[i])]);
      const tok = tokenizer.encode(texts);
      const feeds: Record<string, Float32Array | BigInt64Array> = {
        image: batch.views[0],
        ids: BigInt64Array.from(tok.ids, BigInt),
        eot: BigInt64Array.from(tok.eotIndex, BigInt),
      };
      cfg.rankWeights.forEach((_, r) => (feeds[`rank${r}`] = rankLabels(batch.labels!, r)));
      return feeds;
    },
    towers,
    describe: () => ({
      recipe: 'clip-taxonomy',
      config: cfg,
      embedDim: cfg.embedDim,
      image: {
        arch: 'smallCnn',
        channels: cfg.imageChannels,
        batchNorm: cfg.imageBatchNorm,
        projection: cfg.embedDim,
        preprocessing: imageTextPreprocessing(data, S),
      },
      text: {
        arch: 'textTransformer',
        width: cfg.textWidth,
        depth: cfg.textDepth,
        heads: cfg.textHeads,
        context: T,
        pooling: 'end-of-text token',
      },
      tokenizer: tokenizer.toJSON(),
      textTypes: TEXT_TYPES,
      templates: ['a photo of {}.'],
      dataset: data.name,
      taxonomy: {
        ranks: data.taxonomy.ranks,
        classes: data.taxonomy.classes.map((c) => c.lineage),
        classNames: data.classNames,
        commonNames: data.commonNames,
      },
      logitScaleInit: CLIP_LOGIT_SCALE_INIT,
    }),
    evalPipeline: (split: string, count: number) => data.evalSource(split, count),
    zeroShotImages,
    // Zero-shot accuracy by rank during training (train.evalEvery): synthetic — a held-out split of 5 images per
    // species; CIFAR-100 — the first 1,000 test records.
    periodicEval: async (params) => {
      if (data.synthetic)
        return zeroShotByRank({
          params,
          towers: towers(EVAL_BATCH),
          batch: EVAL_BATCH,
          source: data.evalSource('val', 5),
          classes,
          tokenizer,
          modes,
        });
      const test = data.testImages(CIFAR_PERIODIC_EVAL);
      const img = await runImageTower(recipe, params, test.images, test.n, 100);
      return zeroShotImages(params, img, test.labels);
    },
  };
  return recipe;
}

function arangeTensor(n: number): Tensor {
  return F.arange(n);
}
