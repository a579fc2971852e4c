/**
 * Every recipe option, declared once: one strict zod schema per recipe (defaults filled in, unknown keys rejected),
 * composed from option groups shared by the recipes that share a part. A recipe's config type is `z.infer` of its
 * schema; presets and config files give these options under `recipeConfig`. The trainer's options (`train`) are
 * in src/config/train-options.ts.
 */
import { z } from 'zod';
import { TEXT_TYPES } from '../../data/taxonomy/text-types.ts';
import { CLIPIN_PAPER_DIMS } from '../../nn/models/clipin-heads.ts';
import { RADIAL_WEIGHTS } from '../../objectives/index.ts';

const int = () => z.number().int();
const pos = () => z.number().int().positive();
const range = (d: readonly [number, number]) =>
  z.tuple([z.number().positive(), z.number().positive()]).default([...d] as [number, number]);
const batchSize = (d: number) => pos().default(d);
const weightDecay = (d: number) => z.number().min(0).default(d);

// ---- option groups (one per part) ----

/** The built-in synthetic-taxonomy dataset (parts/synthetic-data.ts). */
const syntheticData = {
  /** Seed of the dataset: species, names and every sample. */
  seed: int().default(0),
  /** Training images per species (60 species). */
  perSpecies: pos().default(40),
  /** Image side in pixels. */
  size: pos().default(32),
};

/**
 * Which taxonomy-captioned image data an image-text recipe trains on (parts/image-text-data.ts). `cropScale` is
 * the CIFAR-100 crop area range (each recipe gives its default); synthetic-taxonomy keeps its recipe's own views.
 */
const imageTextData = (cropScale: readonly [number, number]) => ({
  /** `synthetic-taxonomy` (built in) or `cifar-100` (`dataDir`: train.bin / test.bin in CIFAR-100 format). */
  dataset: z.enum(['synthetic-taxonomy', 'cifar-100']).default('synthetic-taxonomy'),
  dataDir: z.string().default('../shared/datasets/cifar-100'),
  /** CIFAR-100: train on the first N records only (0 = all; the shared files are class-balanced prefixes). */
  limit: int().min(0).default(0),
  /** CIFAR-100: RandomResizedCrop area range of the training views (+ flip). */
  cropScale: range(cropScale),
});

/** The image tower of the image-text recipes (parts/towers.ts): clade's small CNN. */
const imageTower = {
  /** Widths of the CNN's three 3×3 convolutions (strides 1, 2, 2). */
  imageChannels: z.tuple([pos(), pos(), pos()]).default([32, 64, 128]),
  /** BatchNorm after each convolution (conv → BN → ReLU; the `cnn` encoder of the CIFAR recipes). */
  imageBatchNorm: z.boolean().default(false),
};

/**
 * A `data` SPEC to train on instead of the recipe's built-in data (src/data/readers/data-spec.ts: an image folder,
 * `FILE.csv|.tsv|.jsonl|.parquet?image=COL&ranks=…`, `webdataset:PATTERN`, `chains:FILE.csv`, …; '' = built-in),
 * and what `train.evalEvery` measures on its validation split (kNN top-1 by rank; zero-shot by rank where there is
 * a text tower).
 */
const specData = {
  data: z.string().default(''),
  /** Also RLD (T 0.1) and Calinski–Harabasz of the validation embeddings at each evaluation. */
  evalGeometry: z.boolean().default(false),
};

/** The causal text transformer and its tokenizer's context (parts/towers.ts). */
const textTower = {
  textWidth: pos().default(64),
  textDepth: pos().default(2),
  textHeads: pos().default(2),
  /** Tokens per caption (the word tokenizer pads or truncates to this). */
  contextLength: int().min(2).default(16),
};

/** Width of the shared image / text embedding. */
const embedDim = { embedDim: pos().default(64) };

/** Which BioCLIP 2 text type each caption is drawn in (parts/caption-feed.ts; docs/methods.md §A.3). */
const textTypes = {
  /** `perBatch`: one text type per batch (BioCLIP 2); `perSample`: one per caption. */
  mixing: z.enum(['perBatch', 'perSample']).default('perBatch'),
  /**
   * The text types captions are drawn from (default all five, BioCLIP 2); `["com"]` trains on class names only
   * (the ablation of docs/studies/taxonomy.md).
   */
  textTypes: z
    .array(z.enum(TEXT_TYPES))
    .min(1)
    .default([...TEXT_TYPES]),
};

/** A model directory to start from (its towers and tokenizer); '' = fresh towers. */
const from = { from: z.string().default('') };

/**
 * Fine-tuning a pretrained `from` (parts/fine-tune.ts): lock a tower (LiT; open_clip's `--lock-image` /
 * `--lock-text`), keeping its last N transformer blocks and what follows them (final LayerNorm, projection)
 * trainable, and layer-wise LR decay (BEiT / timm `layer_decay`): layer id k of a tower with L blocks (0 the
 * embeddings, i + 1 block i, L + 1 the final LayerNorm and projection) learns at lr·layerDecay^(L + 1 − k).
 */
const lockTextOptions = {
  lockText: z.boolean().default(false),
  unlockTextBlocks: int().min(0).default(0),
  layerDecay: z.number().positive().max(1).default(1),
};
const fineTune = {
  lockImage: z.boolean().default(false),
  unlockImageBlocks: int().min(0).default(0),
  ...lockTextOptions,
};
/** `from` of the CLIP recipes that start only from an open_clip checkpoint folder, and the fine-tuning options. */
const fromOpenClip = {
  /** An open_clip checkpoint folder (open_clip_config.json + safetensors) to fine-tune; '' = fresh towers. */
  from: z.string().default(''),
  ...fineTune,
};

// ---- the image-text recipes ----

/** CLIP's image + text towers on synthetic-taxonomy, batch 120, BioCLIP 2's weight decay 0.2 (docs/methods.md §A.5). */
const clipModel = {
  ...syntheticData,
  batchSize: batchSize(120),
  ...embedDim,
  ...imageTower,
  ...textTower,
  ...textTypes,
  weightDecay: weightDecay(0.2),
};

/**
 * `clip-taxonomy`: image + text towers, CLIP InfoNCE over BioCLIP 2 captions. Batch 120 = two images per species of
 * the default tree; weight decay 0.2 as BioCLIP 2 (docs/methods.md §A.5); CIFAR crop [0.5, 1] as the supervised-cifar
 * preset (BioCLIP's 0.9–1 is for 224 px crops).
 */
export const clipTaxonomySchema = z
  .object({
    ...clipModel,
    /** clade's extension: SupCon weights per taxonomic rank on the image embeddings ([] = plain BioCLIP 2). */
    rankWeights: z.array(z.number()).default([]),
    ...imageTextData([0.5, 1]),
    ...fromOpenClip,
    ...specData,
  })
  .strict();

/**
 * `clipin`: clip-taxonomy's towers with the CLIPin plug-in. Head dims are CPU-sized (the paper's are
 * `CLIPIN_PAPER_DIMS`); β, ε and weight decay 0.001 from CLIPin's code (§D.6); EMA momentum 0.95 fixed (§D.4);
 * λ_self = λ_comb = 1 at init and learned (§D.3); CIFAR crop [0.8, 1] (CLIPin's crop area, §D.5).
 */
export const clipinSchema = z
  .object({
    ...syntheticData,
    batchSize: batchSize(120),
    ...imageTower,
    ...textTower,
    ...textTypes,
    preDim: pos().default(128), // paper 1024
    clipDim: pos().default(64), // paper 512
    ncDim: pos().default(256), // paper 8192
    predHidden: pos().default(128), // paper 2048
    weightDecay: weightDecay(0.001),
    momentum: z.number().min(0).max(1).default(0.95),
    lambdaInit: z.number().min(0).default(1),
    /**
     * Learn λ_self and λ_comb (§D.3). At clade's from-scratch learning rates (~100× CLIPin's 3e-5) AdamW moves
     * each λ by up to lr per step and the loss drives both towards 0, switching the CLIP term off; `false` keeps
     * them at `lambdaInit`.
     */
    learnLambdas: z.boolean().default(true),
    /**
     * A clip-taxonomy / clip-replay model directory, or an open_clip checkpoint folder, whose image and text towers
     * (and tokenizer) to start from.
     */
    ...from,
    ...fineTune,
    ...imageTextData([0.8, 1]),
    ...specData,
  })
  .strict();
export { CLIPIN_PAPER_DIMS };

/**
 * `clip-replay`: clip-taxonomy + BioCLIP 2's experience replay (docs/methods.md §A.4) on synthetic-taxonomy; the replay
 * stream is a second synthetic-taxonomy (another seed), captioned in one text type.
 */
export const clipReplaySchema = z
  .object({
    ...clipModel,
    /** Seed of the replay stream's synthetic-taxonomy (clade's: any seed other than the biology data's). */
    replaySeed: int().default(1000),
    replayPerSpecies: pos().default(20),
    /** Replay captions (clade's stand-in for LAION's raw text: plain common names, the least taxonomic type). */
    replayTextType: z.enum(TEXT_TYPES).default('com'),
    ...fromOpenClip,
    ...specData,
    /** With `data`: a second SPEC of image-caption pairs (an image folder or a manifest with `captions=`) replayed. */
    replayData: z.string().default(''),
    /** With `data`: RandomResizedCrop area range of the training views (+ flip). */
    cropScale: range([0.5, 1]),
  })
  .strict();

/**
 * `multiview-tabular`: image + caption + tabular encoders trained with CMC (Tian et al. 2020,
 * https://arxiv.org/abs/1906.05849; docs/methods.md §F.3–F.4) on synthetic-taxonomy or the Palmer penguins table.
 */
export const multiviewTabularSchema = z
  .object({
    ...clipModel,
    /**
     * Built-in data: `synthetic-taxonomy`, or `palmer-penguins` (`dataDir`/penguins.csv; parts/penguins-data.ts):
     * species is the class, the four measurements the tabular features, rows missing a measurement are left out,
     * a 20 % validation split seeded by `seed`. The table has no images: views of text and tabular only (preset
     * `multiview-penguins`: two SCARF views of each row).
     */
    dataset: z.enum(['synthetic-taxonomy', 'palmer-penguins']).default('synthetic-taxonomy'),
    /** palmer-penguins: the folder holding penguins.csv. */
    dataDir: z.string().default('../shared/datasets/palmer-penguins'),
    /** Hidden widths of the tabular MLP (LayerNorm + ReLU between layers); clade's default. */
    tabularHidden: z.array(pos()).default([128, 128]),
    /** CMC aggregation: `core` = Σ_j L(V₁, V_j) (CMC's core view), `full` = Σ_{i<j} L(V_i, V_j) (§F.3). */
    mode: z.enum(['core', 'full']).default('core'),
    /** The core view V₁ (the others follow in image, text, tabular order). */
    core: z.enum(['image', 'text', 'tabular']).default('image'),
    /** CMC's temperature. */
    temperature: z.number().positive().default(0.07),
    /** SCARF corruption rate of the tabular view (clade's: SCARF's 0.6 destroys too much of 6 features; §F.4). */
    corruption: z.number().min(0).max(1).default(0.3),
    /** Gaussian noise of the tabular view, as a fraction of each feature's standard deviation (clade's). */
    noise: z.number().min(0).default(0.1),
    /**
     * The views, in loss order after `core` (default: image, text, tabular). With a `data` SPEC any two or more of
     * them; `tabular` may appear twice (two SCARF views of the same row: tabular-only CMC, e.g. a table without images).
     */
    views: z
      .array(z.enum(['image', 'text', 'tabular']))
      .min(2)
      .default(['image', 'text', 'tabular']),
    ...specData,
    cropScale: range([0.5, 1]),
  })
  .strict();

/**
 * `radial-finetune`: Radial Embedding fine-tuning of a text tower on synthetic-taxonomy chains (docs/methods.md §C.3):
 * batch 8 and weight decay 0.01 as the RE code; λ_p, λ_e, λ_m = 10, 1, 1. The text tower dims apply to a fresh
 * init only (`from` carries its own).
 */
export const radialFinetuneSchema = z
  .object({
    seed: syntheticData.seed,
    /**
     * A clip-taxonomy / clip-replay / radial-finetune model directory (its text tower, tokenizer and dims), or an
     * open_clip checkpoint folder (its text tower and CLIP BPE tokenizer).
     */
    ...from,
    ...lockTextOptions,
    batchSize: batchSize(8),
    /** Training chains per training species (negatives redrawn per chain); clade's. */
    chainsPerSpecies: pos().default(8),
    /** Species with `label % heldOutEvery === heldOutEvery − 1` are held out of training (0 = none); clade's. */
    heldOutEvery: int().min(0).default(4),
    ...embedDim,
    ...textTower,
    weights: z
      .object({ p: z.number().min(0), e: z.number().min(0), m: z.number().min(0) })
      .strict()
      .default({ ...RADIAL_WEIGHTS }),
    weightDecay: weightDecay(0.01),
    /** `chains:FILE.csv` / `hierarcaps:FILE.csv` chains to train on instead of synthetic-taxonomy's ('' = built-in). */
    data: z.string().default(''),
  })
  .strict();

// ---- the CIFAR-100 recipes ----

/** The CIFAR image encoder (src/nn/models/cifar-encoder.ts); the default is the small CNN (≈ 93k parameters). */
const cifarEncoder = z
  .discriminatedUnion('arch', [
    z
      .object({
        arch: z.literal('cnn'),
        channels: z.tuple([pos(), pos(), pos()]).default([32, 64, 128]),
        /** BatchNorm after each convolution (conv without bias → BN → ReLU); trains much faster. */
        batchNorm: z.boolean().default(false),
      })
      .strict(),
    z
      .object({
        arch: z.literal('resnet'),
        width: pos().default(16),
        blocks: z.array(pos()).min(1).default([1, 1, 1]),
      })
      .strict(),
    z
      .object({
        arch: z.literal('vit'),
        patch: pos().default(4),
        width: pos().default(128),
        depth: pos().default(4),
        heads: pos().default(4),
        mlp: pos().default(256),
        dropout: z.number().min(0).max(1).default(0),
      })
      .strict(),
  ])
  .default({ arch: 'cnn', channels: [32, 64, 128], batchNorm: false });

/** A CIFAR-100 training binary, its first N records, the encoder and the random-crop area (parts/cifar.ts). */
const cifarTraining = (crop: readonly [number, number], batch: number, minBatch = 1) => ({
  file: z.string().default('../shared/datasets/cifar-100/train.bin'),
  /** First N records only (0 = all). */
  limit: int().min(0).default(0),
  batchSize: int().min(minBatch).default(batch),
  encoder: cifarEncoder,
  cropScale: range(crop),
  /** A `data` SPEC to train on instead of `file` (images resampled to 32 px by the views). */
  ...specData,
});

/**
 * `supervised-cifar` (the supervised baseline of docs/methods.md §E.7): label smoothing 0.1 and crop [0.2, 1] + flip as
 * §E.7; AdamW weight decay 0.05 (§E.7 states none; 0.05 is DeiT's); batch 256 (§E.7: 1000); the small CNN (§E.7
 * trains a 16-layer ViT for 600 epochs, far beyond a CPU budget).
 */
export const supervisedCifarSchema = z
  .object({
    ...cifarTraining([0.2, 1], 256),
    /** Which rank the head classifies: CIFAR-100's 100 classes (`fine`) or 20 superclasses (`coarse`). */
    target: z.enum(['fine', 'coarse']).default('fine'),
    labelSmoothing: z.number().min(0).max(1).default(0.1),
    weightDecay: weightDecay(0.05),
  })
  .strict();

/** Projection head Linear → BN → ReLU → Linear widths (SimCLR §B.1: hidden = encoder width there, 512 here). */
const projection = {
  projectionHidden: pos().default(512),
  projectionDim: pos().default(128),
};

/**
 * `simclr-cifar` (SimCLR, Chen et al. 2020, https://arxiv.org/abs/2002.05709): τ 0.5 (the paper's CIFAR-10
 * setting, appendix B.9); views RandomResizedCrop(0.08–1) + flip + colour jitter 0.5 + grayscale 0.2, no blur
 * (B.9); AdamW with the paper's decay 1e-6 (LARS, its large-batch optimizer, as `optimizer: 'lars'`); batch 256.
 */
export const simclrCifarSchema = z
  .object({
    ...cifarTraining([0.08, 1], 256, 2),
    ...projection,
    temperature: z.number().positive().default(0.5),
    optimizer: z.enum(['adamw', 'lars']).default('adamw'),
    weightDecay: weightDecay(1e-6),
  })
  .strict();

/** The EMA target of MoCo and BYOL: θ_t ← m·θ_t + (1 − m)·θ_online (docs/methods.md §E.7's CIFAR trainer: 0.99). */
const momentum = { momentum: z.number().min(0).max(1).default(0.99) };

/**
 * `moco-cifar`: τ 0.2 (MoCo v2, https://arxiv.org/abs/2003.04297, and §E.7); queue 4096 (the MoCo authors' CIFAR-10
 * demo notebook); momentum 0.99 (§E.7); weight decay 1e-4 (MoCo v1/v2).
 */
export const mocoCifarSchema = z
  .object({
    ...cifarTraining([0.08, 1], 256, 2),
    ...projection,
    ...momentum,
    temperature: z.number().positive().default(0.2),
    queueSize: pos().default(4096),
    weightDecay: weightDecay(1e-4),
  })
  .strict();

/**
 * `byol-cifar`: predictor Linear → BN → ReLU → Linear (BYOL, https://arxiv.org/abs/2006.07733 §3.3; hidden 4096
 * there, 512 here); momentum 0.99 (BYOL's base is 0.996 for 1000 epochs; 0.99 suits short runs, as solo-learn's
 * CIFAR configs); weight decay 1.5e-6 (BYOL's).
 */
export const byolCifarSchema = z
  .object({
    ...cifarTraining([0.08, 1], 256, 2),
    ...projection,
    ...momentum,
    predictorHidden: pos().default(512),
    weightDecay: weightDecay(1.5e-6),
  })
  .strict();

// ---- config types (what each recipe builds from) and options (what its factory accepts) ----

export type ClipTaxonomyConfig = z.infer<typeof clipTaxonomySchema>;
export type ClipTaxonomyOptions = z.input<typeof clipTaxonomySchema>;
export type ClipinConfig = z.infer<typeof clipinSchema>;
export type ClipinOptions = z.input<typeof clipinSchema>;
export type ClipReplayConfig = z.infer<typeof clipReplaySchema>;
export type ClipReplayOptions = z.input<typeof clipReplaySchema>;
export type MultiviewTabularConfig = z.infer<typeof multiviewTabularSchema>;
export type MultiviewTabularOptions = z.input<typeof multiviewTabularSchema>;
export type RadialFinetuneConfig = z.infer<typeof radialFinetuneSchema>;
export type RadialFinetuneOptions = z.input<typeof radialFinetuneSchema>;
export type SupervisedCifarConfig = z.infer<typeof supervisedCifarSchema>;
export type SupervisedCifarOptions = z.input<typeof supervisedCifarSchema>;
export type SimclrCifarConfig = z.infer<typeof simclrCifarSchema>;
export type SimclrCifarOptions = z.input<typeof simclrCifarSchema>;
export type MocoCifarConfig = z.infer<typeof mocoCifarSchema>;
export type MocoCifarOptions = z.input<typeof mocoCifarSchema>;
export type ByolCifarConfig = z.infer<typeof byolCifarSchema>;
export type ByolCifarOptions = z.input<typeof byolCifarSchema>;
