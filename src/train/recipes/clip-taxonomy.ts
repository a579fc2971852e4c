import { syntheticTaxonomy, type SyntheticTaxonomyDataset } from '../../data/synthetic/synthetic-taxonomy.ts';
import { TEXT_TYPES } from '../../data/taxonomy/text-types.ts';
import { textTypeSchedule, type TextMixing } from '../../data/taxonomy/text-type-schedule.ts';
import { WordTokenizer } from '../../data/tokenizers/word-tokenizer.ts';
import { F, type Tensor } from '../../engine/index.ts';
import { filled, type Ctx, type HostTensor, type SymParams } from '../../nn/context.ts';
import { linear } from '../../nn/linear.ts';
import { smallCnn } from '../../nn/models/small-cnn.ts';
import { textTransformer } from '../../nn/models/text-transformer.ts';
import { CLIP_LOGIT_SCALE_INIT, CLIP_LOGIT_SCALE_MAX, hierarchicalLoss } from '../../objectives/index.ts';
import { adamw } from '../../optim/adamw.ts';
import type { Recipe, TowerSpec } from './recipe.ts';
import type { SyntheticPipelineArgs } from './pipelines.ts';
import { clipinScores, zeroShotByRank } from './tower-eval.ts';

const EVAL_BATCH = 60;

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
};

/** All captions a dataset can produce: the tokenizer's corpus (deterministic in the dataset seed). */
function corpus(ds: SyntheticTaxonomyDataset): string[] {
  const texts: string[] = [];
  for (let k = 0; k < ds.classNames.length; k++) texts.push(...(ds.get(k).captions ?? []));
  return texts;
}

/**
 * CLIP-style training with BioCLIP 2's taxonomic text supervision on the built-in synthetic-taxonomy dataset:
 * an image tower (small CNN + projection) and a causal text tower over captions of one text type drawn per
 * batch, symmetric InfoNCE with a learnable logit scale (init ln(1/0.07), clamped to [0, ln 100]).
 */
export interface ClipTaxonomyRecipe extends Recipe {
  readonly config: ClipTaxonomyConfig;
  readonly tokenizer: WordTokenizer;
  readonly dataset: SyntheticTaxonomyDataset;
  /** The eval-mode pipeline of another split (for embedding held-out data). */
  evalPipeline(split: string, perSpecies: number): Recipe['pipeline'];
}

export function clipTaxonomy(overrides: Partial<ClipTaxonomyConfig> = {}): ClipTaxonomyRecipe {
  const cfg = { ...CLIP_TAXONOMY_DEFAULTS, ...overrides };
  const dataset = syntheticTaxonomy({
    seed: cfg.seed,
    perSpecies: cfg.perSpecies,
    size: cfg.size,
    split: 'train',
  });
  const tokenizer = WordTokenizer.fromCorpus(corpus(dataset), { contextLength: cfg.contextLength });
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
  const B = cfg.batchSize;
  const T = cfg.contextLength;
  const S = cfg.size;

  const encodeImage = (p: SymParams, x: Tensor, ctx: Ctx) =>
    linear.apply((p as any).imageProj, image.apply((p as any).image, x, ctx));
  const encodeText = (p: SymParams, ids: Tensor, eot: Tensor, ctx: Ctx) =>
    text.apply((p as any).text, ids, ctx, eot);

  const pipeline = (split: string, mode: 'train' | 'eval', perSpecies = cfg.perSpecies) => ({
    module: new URL('./pipelines.ts', import.meta.url).href,
    export: 'syntheticPipeline',
    args: { seed: cfg.seed, perSpecies, size: S, split, mode } satisfies SyntheticPipelineArgs,
  });

  const rankOf = cfg.rankWeights.map((_, r) => dataset.taxonomy.labelsAt(r)); // class -> clade index at rank r
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

  return {
    name: 'clip-taxonomy',
    config: cfg,
    tokenizer,
    dataset,
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
    pipeline: pipeline('train', 'train'),
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
        projection: cfg.embedDim,
        preprocessing: {
          size: S,
          layout: 'NCHW',
          scale: '1/255',
          mean: OPENAI_MEAN,
          std: OPENAI_STD,
          eval: 'resize shorter side + centre crop, bicubic',
        },
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
      taxonomy: {
        ranks: dataset.taxonomy.ranks,
        classes: dataset.taxonomy.classes.map((c) => c.lineage),
        classNames: dataset.classNames,
        commonNames: dataset.commonNames,
      },
      logitScaleInit: CLIP_LOGIT_SCALE_INIT,
    }),
    evalPipeline: (split: string, perSpecies: number) => pipeline(split, 'eval', perSpecies),
    // Zero-shot accuracy by rank on a held-out split during training (train.evalEvery).
    periodicEval: (params) =>
      zeroShotByRank({
        params,
        towers: towers(EVAL_BATCH),
        batch: EVAL_BATCH,
        source: pipeline('val', 'eval', 5),
        dataset,
        tokenizer,
        textType: TEXT_TYPES.indexOf('taxon'),
        modes: {
          zeroshot: (q, t) => clipinScores('contrastive', q.image.embedding, t.embedding, cfg.embedDim),
        },
      }),
  };
}

const OPENAI_MEAN = [0.48145466, 0.4578275, 0.40821073];
const OPENAI_STD = [0.26862954, 0.26130258, 0.27577711];

function arangeTensor(n: number): Tensor {
  return F.arange(n);
}
