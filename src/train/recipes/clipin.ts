import { TEXT_TYPES } from '../../data/taxonomy/text-types.ts';
import { textTypeSchedule, type TextMixing } from '../../data/taxonomy/text-type-schedule.ts';
import { WordTokenizer } from '../../data/tokenizers/word-tokenizer.ts';
import { F, type Tensor } from '../../engine/index.ts';
import { filled, type Ctx, type HostTensor, type Params, type SymParams } from '../../nn/context.ts';
import { linear } from '../../nn/linear.ts';
import { textTransformer } from '../../nn/models/text-transformer.ts';
import { CLIP_LOGIT_SCALE_INIT, CLIP_LOGIT_SCALE_MAX, clipinLoss } from '../../objectives/index.ts';
import { adamw } from '../../optim/adamw.ts';
import {
  CLIPIN_LAMBDA_INIT,
  CLIPIN_LAMBDA_RANGE,
  CLIPIN_MOMENTUM,
  CLIPIN_PAPER_DIMS,
  emaTarget,
  initClipinHeads,
  ncProject,
  predict,
  syncTarget,
  type ClipinDims,
} from './clipin-heads.ts';
import type { Recipe, TowerSpec } from '../recipe.ts';
import { loadSubtree, readModelSource } from './model-source.ts';
import { clipinScores, zeroShotByRank, zeroShotOfOutputs, type ZeroShotModes } from './tower-eval.ts';
import { runImageTower } from './cifar-eval.ts';
import {
  captionCorpus,
  imageTextData,
  imageTextEncoder,
  type ImageTextData,
  type ImageTextDatasetName,
  imageTextPreprocessing,
} from './image-text-data.ts';
import { decays } from '../../optim/types.ts';

export interface ClipinConfig extends ClipinDims {
  readonly seed: number;
  readonly perSpecies: number;
  readonly size: number;
  readonly batchSize: number;
  readonly imageChannels: readonly [number, number, number];
  readonly textWidth: number;
  readonly textDepth: number;
  readonly textHeads: number;
  readonly contextLength: number;
  readonly mixing: TextMixing;
  readonly weightDecay: number;
  readonly momentum: number;
  readonly lambdaInit: number;
  /**
   * Learn λ_self and λ_comb (CLIPin, §D.3). At clade's from-scratch learning rates (~100× CLIPin's 3e-5) AdamW
   * moves each λ by up to lr per step and the loss drives both towards 0, switching the CLIP term off; `false`
   * keeps them at `lambdaInit`.
   */
  readonly learnLambdas: boolean;
  /** A clip-taxonomy / clip-replay model directory whose image and text towers (and tokenizer) to start from. */
  readonly from: string;
  /** Training data: the built-in synthetic-taxonomy or CIFAR-100 (superclass → class) from `dataDir`. */
  readonly dataset: ImageTextDatasetName;
  readonly dataDir: string;
  /** CIFAR-100: first N training records (0 = all). */
  readonly limit: number;
  /** CIFAR-100: RandomResizedCrop area range of both views (+ flip). */
  readonly cropScale: readonly [number, number];
  /** BatchNorm in the small CNN (conv → BN → ReLU). */
  readonly imageBatchNorm: boolean;
}

/** Towers as clip-taxonomy's; head dims CPU-sized (the paper's are CLIPIN_PAPER_DIMS = 1024/512/8192/2048). */
export const CLIPIN_DEFAULTS: ClipinConfig = {
  seed: 0,
  perSpecies: 40,
  size: 32,
  batchSize: 120,
  imageChannels: [32, 64, 128],
  textWidth: 64,
  textDepth: 2,
  textHeads: 2,
  contextLength: 16,
  mixing: 'perBatch', // BioCLIP 2 text types (methods.md §A.3)
  preDim: 128, // paper 1024
  clipDim: 64, // paper 512
  ncDim: 256, // paper 8192
  predHidden: 128, // paper 2048
  weightDecay: 0.001, // CLIPin code (§D.6)
  momentum: CLIPIN_MOMENTUM, // 0.95 fixed (§D.4)
  lambdaInit: CLIPIN_LAMBDA_INIT, // 1.0 (§D.3)
  learnLambdas: true, // §D.3
  from: '', // fresh towers
  dataset: 'synthetic-taxonomy',
  dataDir: '../shared/datasets/cifar-100',
  limit: 0,
  cropScale: [0.8, 1], // CIFAR-100 views: CLIPin's crop area (§D.5), + flip
  imageBatchNorm: false,
};
export { CLIPIN_PAPER_DIMS, clipinScores, syncTarget };

export interface ClipinRecipe extends Recipe {
  readonly config: ClipinConfig;
  readonly tokenizer: WordTokenizer;
  readonly data: ImageTextData;
  /**
   * Zero-shot accuracy by rank, `{ 'contrastive/species': …, 'nonContrastive/kingdom': … }` (also `periodicEval`):
   * synthetic — `perSpecies` images per species of `split`; CIFAR-100 — the first 1,000 test records.
   */
  zeroShot(params: Params, perSpecies?: number, split?: string): Promise<Record<string, number>>;
  zeroShotImages: NonNullable<Recipe['zeroShotImages']>;
}

/** Rows per zero-shot batch (60 = one image per species of the default tree per batch). */
const ZS_BATCH = 60;
/** CIFAR-100 test records scored by `zeroShot` / `periodicEval` (a class-balanced prefix). */
const CIFAR_PERIODIC_EVAL = 1000;

/**
 * CLIP-taxonomy's image and text towers with the CLIPin plug-in (Yang et al. 2025,
 * https://arxiv.org/abs/2508.06434; methods.md §D): L = L_inter + λ_self·L_intra + λ_comb·L_CLIP, two image views
 * (view 1 online, view 2 target), the caption shared by online and target text paths (§D.5), EMA target m = 0.95
 * updated in-graph, λs clamped to [0, 20] and the logit scale to [0, ln 100] after every step.
 *
 * Towers: `image` → `embedding` e_I (contrastive, unnormalised) and `target` y_I (target non-contrastive,
 * normalised); `text` → `embedding` e_T and `interPred` P_T^x. Zero-shot: `clipinScores` (§D.7).
 */
export function clipin(overrides: Partial<ClipinConfig> = {}): ClipinRecipe {
  let cfg = { ...CLIPIN_DEFAULTS, ...overrides };
  const src = cfg.from ? readModelSource(cfg.from, ['clip-taxonomy', 'clip-replay'], 'clipin') : null;
  if (src) {
    const c = src.config as unknown as ClipinConfig; // the towers' dims and tokenizer come with the weights
    cfg = { ...cfg, imageChannels: c.imageChannels, textWidth: c.textWidth, textDepth: c.textDepth };
    cfg = { ...cfg, textHeads: c.textHeads, contextLength: c.contextLength };
    cfg = { ...cfg, imageBatchNorm: c.imageBatchNorm ?? false };
  }
  const data = imageTextData(cfg);
  const tokenizer =
    src?.tokenizer ?? WordTokenizer.fromCorpus(captionCorpus(data), { contextLength: cfg.contextLength });
  const image = imageTextEncoder(cfg);
  const text = textTransformer({
    vocab: tokenizer.vocabSize,
    context: cfg.contextLength,
    width: cfg.textWidth,
    depth: cfg.textDepth,
    heads: cfg.textHeads,
  });
  const schedule = textTypeSchedule(cfg.seed, cfg.mixing);
  const [B, T, S] = [cfg.batchSize, cfg.contextLength, cfg.size];
  const P = (p: SymParams) => p as any; // eslint-disable-line @typescript-eslint/no-explicit-any

  /** h_I = g_I(f_I(x)) [N, pre] from any (online or target) module set. */
  const hImage = (m: any, x: Tensor, ctx: Ctx) => linear.apply(m.gI, image.apply(m.image, x, ctx));
  const hText = (m: any, ids: Tensor, eot: Tensor, ctx: Ctx) =>
    linear.apply(m.gT, text.apply(m.text, ids, ctx, eot));

  const towers = (n: number): Record<string, TowerSpec> => ({
    image: {
      inputs: { image: { shape: [n, 3, S, S] } },
      forward: (sp, i, ctx) => {
        const p = P(sp);
        const t = p.target;
        return {
          embedding: linear.apply(p.cI, hImage(p, i.image, ctx)),
          target: F.l2normalize(ncProject(t.pI, hImage(t, i.image, ctx), ctx)),
        };
      },
    },
    text: {
      inputs: { ids: { shape: [n, T], dtype: 'int64' }, eot: { shape: [n], dtype: 'int64' } },
      forward: (sp, i, ctx) => {
        const p = P(sp);
        const h = hText(p, i.ids, i.eot, ctx);
        return {
          embedding: linear.apply(p.cT, h),
          interPred: predict(p.qTx, ncProject(p.pT, h, ctx), ctx),
        };
      },
    },
  });
  const load = (fresh: Params, prefix: string) => (src ? loadSubtree(fresh, src, prefix) : fresh);
  /** Zero-shot accuracy by rank, both modes (§D.7); class prompts are `taxon` captions. */
  const classes = { taxonomy: data.taxonomy, prompts: data.prompts('taxon') };
  const modes: ZeroShotModes = {
    contrastive: (q, t) => clipinScores('contrastive', q.image.embedding, t.embedding, cfg.clipDim),
    nonContrastive: (q, t) => clipinScores('nonContrastive', q.image.target, t.interPred, cfg.ncDim),
  };
  const zeroShotImages: ClipinRecipe['zeroShotImages'] = (params, img, labels) =>
    zeroShotOfOutputs({
      params,
      textTower: towers(ZS_BATCH).text,
      batch: ZS_BATCH,
      tokenizer,
      classes,
      queries: { image: { embedding: img.embedding.data, target: img.target.data } },
      labels,
      modes,
    });
  const zeroShot = async (params: Params, perSpecies = 5, split = 'test') => {
    if (data.synthetic)
      return zeroShotByRank({
        params,
        towers: towers(ZS_BATCH),
        batch: ZS_BATCH,
        source: data.evalSource(split, perSpecies),
        classes,
        tokenizer,
        modes,
      });
    const test = data.testImages(CIFAR_PERIODIC_EVAL);
    return zeroShotImages(params, await runImageTower(recipe, params, test.images, test.n, 100), test.labels);
  };

  const recipe: ClipinRecipe = {
    name: 'clipin',
    config: cfg,
    tokenizer,
    data,
    batchSize: B,
    init: (rng) => {
      const online = {
        image: load(image.init(rng.fork('image')), 'image'),
        text: load(text.init(rng.fork('text')) as unknown as Params, 'text'), // text.proj is not used
        ...initClipinHeads(rng.fork('heads'), cfg.imageChannels[2], cfg.textWidth, cfg),
        logitScale: filled([], CLIP_LOGIT_SCALE_INIT) as HostTensor,
        lambdaSelf: filled([], cfg.lambdaInit) as HostTensor,
        lambdaComb: filled([], cfg.lambdaInit) as HostTensor,
      };
      // The target starts as a copy of the online network, also after loading weights (§D.4).
      return syncTarget(online);
    },
    batchSpec: {
      view1: { shape: [B, 3, S, S] },
      view2: { shape: [B, 3, S, S] },
      ids: { shape: [B, T], dtype: 'int64' },
      eot: { shape: [B], dtype: 'int64' },
    },
    loss: (sp, b, ctx) => {
      const p = P(sp);
      const hI = hImage(p, b.view1, ctx); // [B, pre]
      const hT = hText(p, b.ids, b.eot, ctx);
      const zI = ncProject(p.pI, hI, ctx); // [B, nc]
      const zT = ncProject(p.pT, hT, ctx);
      const tgt = emaTarget(p, ctx, cfg.momentum); // EMA first, then the target forward (§D.4)
      const yI = F.l2normalize(ncProject((tgt as any).pI, hImage(tgt, b.view2, ctx), ctx)).stopGradient();
      const yT = F.l2normalize(ncProject((tgt as any).pT, hText(tgt, b.ids, b.eot, ctx), ctx)).stopGradient();
      const eI = F.l2normalize(linear.apply(p.cI, hI)); // [B, clip]
      const eT = F.l2normalize(linear.apply(p.cT, hT));
      const o = {
        eI,
        eT,
        yI,
        yT,
        pIx: predict(p.qIx, zI, ctx),
        pTx: predict(p.qTx, zT, ctx),
        pIs: predict(p.qIs, zI, ctx),
        pTs: predict(p.qTs, zT, ctx),
      };
      const { loss, inter, intra, clip } = clipinLoss(o, p.logitScale, p.lambdaSelf, p.lambdaComb);
      const scalar = (t: Tensor) => t.reshape([1]).sum();
      return {
        loss,
        metrics: {
          inter,
          intra,
          clip,
          lambdaSelf: scalar(p.lambdaSelf),
          lambdaComb: scalar(p.lambdaComb),
          logitScale: scalar(p.logitScale),
          batchAcc: F.accuracy(F.cosineMatrix(eI, eT), F.arange(B)),
        },
      };
    },
    // β (0.9, 0.98), ε 1e-6, weight decay 0.001 (CLIPin code, §D.6). clade's decay rule exempts rank < 2 tensors
    // (norms, biases, logit scale and the λs; the code decays the λs at 0.001 — negligible either way).
    optimizer: adamw({ beta1: 0.9, beta2: 0.98, eps: 1e-6, weightDecay: cfg.weightDecay }),
    trainable: (path) =>
      !path.startsWith('target.') && (cfg.learnLambdas || (path !== 'lambdaSelf' && path !== 'lambdaComb')),
    // §D.6: weight decay 0.001 also applies to λ_self and λ_comb (not to norms, biases or the logit scale).
    decay: (path, shape) => path === 'lambdaSelf' || path === 'lambdaComb' || decays(path, shape),
    clamp: (path) =>
      path === 'logitScale'
        ? [0, CLIP_LOGIT_SCALE_MAX]
        : path === 'lambdaSelf' || path === 'lambdaComb'
          ? CLIPIN_LAMBDA_RANGE
          : undefined,
    pipeline: data.train(2),
    feeds(batch, step) {
      const types = schedule.batch(step, B);
      const texts = Array.from({ length: B }, (_, i) => batch.captions![i][TEXT_TYPES.indexOf(types[i])]);
      const tok = tokenizer.encode(texts);
      return {
        view1: batch.views[0],
        view2: batch.views[1],
        ids: BigInt64Array.from(tok.ids, BigInt),
        eot: BigInt64Array.from(tok.eotIndex, BigInt),
      };
    },
    towers,
    zeroShot,
    zeroShotImages,
    periodicEval: (params) => zeroShot(params),
    describe: () => ({
      recipe: 'clipin',
      config: cfg,
      embedDim: cfg.clipDim,
      paperDims: CLIPIN_PAPER_DIMS,
      image: {
        arch: 'smallCnn',
        channels: cfg.imageChannels,
        batchNorm: cfg.imageBatchNorm,
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
      zeroShot: {
        contrastive: 'exp(logitScale) · <n(image.embedding), n(text.embedding)>',
        nonContrastive: '<image.target, text.interPred> (y_I · P_T^x)',
      },
      dataset: data.name,
      taxonomy: {
        ranks: data.taxonomy.ranks,
        classes: data.taxonomy.classes.map((c) => c.lineage),
        classNames: data.classNames,
      },
    }),
  };
  return recipe;
}
