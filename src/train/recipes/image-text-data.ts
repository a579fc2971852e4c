/**
 * The data side of the image-text recipes (clip-taxonomy, clipin): which taxonomy-captioned image dataset they
 * train on — the built-in `synthetic-taxonomy` or CIFAR-100 as a 2-rank taxonomy (superclass → class) with
 * captions in BioCLIP 2's five text types — and the image encoder they use on it.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { pipelineSource, type PipelineSource } from '../../data/pipelines/index.ts';
import { readCifar100 } from '../../data/readers/cifar.ts';
import { syntheticTaxonomy, type SyntheticTaxonomyDataset } from '../../data/synthetic/synthetic-taxonomy.ts';
import { cifar100Taxonomy } from '../../data/taxonomy/cifar100-taxonomy.ts';
import type { Taxonomy } from '../../data/taxonomy/taxonomy.ts';
import { TEXT_TYPES, type TextType } from '../../data/taxonomy/text-types.ts';
import { CladeError } from '../../util/errors.ts';
import { cifarEncoder, type CifarEncoder } from './cifar-encoder.ts';
import {
  CIFAR100_MEAN,
  CIFAR100_STD,
  cifar100Captions,
  cifarEvalImages,
  type CifarViewMode,
} from '../../data/pipelines/cifar.ts';

export const IMAGE_TEXT_DATASETS = ['synthetic-taxonomy', 'cifar-100'] as const;
export type ImageTextDatasetName = (typeof IMAGE_TEXT_DATASETS)[number];

const pos = () => z.number().positive();
/**
 * Zod fields shared by the image-text recipes' schemas. `cropScale` is the CIFAR crop area range (each recipe
 * gives its default); synthetic-taxonomy keeps BioCLIP's / CLIPin's own views.
 */
export function imageTextDataFields(cropScale: readonly [number, number]) {
  return {
    /** `synthetic-taxonomy` (built in) or `cifar-100` (`dataDir`: train.bin / test.bin in CIFAR-100 format). */
    dataset: z.enum(IMAGE_TEXT_DATASETS).default('synthetic-taxonomy'),
    dataDir: z.string().default('../shared/datasets/cifar-100'),
    /** CIFAR-100: train on the first N records only (0 = all; the shared files are class-balanced prefixes). */
    limit: z.number().int().min(0).default(0),
    cropScale: z.tuple([pos(), pos()]).default([...cropScale] as [number, number]),
    /** BatchNorm after each convolution of the small CNN (clade's `cnn` CIFAR encoder). */
    imageBatchNorm: z.boolean().default(false),
  };
}

export interface ImageTextDataConfig {
  readonly dataset: ImageTextDatasetName;
  readonly dataDir: string;
  readonly limit: number;
  readonly cropScale: readonly [number, number];
  readonly imageBatchNorm: boolean;
  readonly seed: number;
  readonly perSpecies: number;
  readonly size: number;
  readonly imageChannels: readonly [number, number, number];
}

export interface ImageTextData {
  readonly name: ImageTextDatasetName;
  readonly taxonomy: Taxonomy;
  readonly classNames: readonly string[];
  readonly commonNames: readonly string[];
  /** Every class's captions, [K][5] in TEXT_TYPES order. */
  readonly captions: readonly (readonly string[])[];
  /** The synthetic dataset's training split (null for CIFAR-100). */
  readonly synthetic: SyntheticTaxonomyDataset | null;
  /** Image normalisation of the training and eval views (written to model.json). */
  readonly mean: readonly number[];
  readonly std: readonly number[];
  readonly evalTransform: string;
  /** Training pipeline with one view (CLIP) or two (CLIPin's online + target views). */
  train(views: 1 | 2): PipelineSource;
  /** Eval-mode pipeline of a split (synthetic: `perSpecies` images per species; CIFAR: `<split>.bin`, `limit` records). */
  evalSource(split: string, count?: number): PipelineSource;
  /** Class prompts of one text type, [K]. */
  prompts(type: TextType): string[];
  /** CIFAR-100 only: the first `n` test records as normalised NCHW images with fine labels (for evaluation). */
  testImages(n: number): { images: Float32Array; labels: Int32Array; n: number };
}

/** All captions of a dataset (a tokenizer's corpus). */
export function captionCorpus(data: ImageTextData): string[] {
  return data.captions.flat();
}

/**
 * The dataset of an image-text recipe. Building it reads no files (CIFAR-100's taxonomy is the official grouping);
 * the pipelines read `dataDir` in the loader's threads.
 *
 * @example
 * const data = imageTextData({ ...cfg, dataset: 'cifar-100' }); // data.captions[19][0] = 'a photo of … cattle.'
 */
export function imageTextData(cfg: ImageTextDataConfig): ImageTextData {
  const prompts = (captions: readonly (readonly string[])[]) => (type: TextType) =>
    captions.map((c) => c[TEXT_TYPES.indexOf(type)]);
  if (cfg.dataset === 'synthetic-taxonomy') {
    const synthetic = syntheticTaxonomy({ seed: cfg.seed, perSpecies: cfg.perSpecies, size: cfg.size });
    const captions = synthetic.classNames.map((_, k) => synthetic.get(k).captions ?? []);
    const pipeline = (split: string, mode: 'train' | 'eval', perSpecies: number, views: 1 | 2) =>
      pipelineSource('synthetic-image-text', {
        seed: cfg.seed,
        perSpecies,
        size: cfg.size,
        split,
        mode,
        views,
      });
    return {
      name: cfg.dataset,
      taxonomy: synthetic.taxonomy,
      classNames: synthetic.classNames,
      commonNames: synthetic.commonNames,
      captions,
      synthetic,
      mean: OPENAI_MEAN,
      std: OPENAI_STD,
      evalTransform: 'resize shorter side + centre crop, bicubic',
      train: (views) => pipeline('train', 'train', cfg.perSpecies, views),
      evalSource: (split, count = 5) => pipeline(split, 'eval', count, 1),
      prompts: prompts(captions),
      testImages: () => {
        throw new CladeError('testImages: only for dataset cifar-100', { field: 'dataset' });
      },
    };
  }
  if (cfg.size !== 32)
    throw new CladeError(`CIFAR-100 images are 32 px; got size ${cfg.size}`, { field: 'size' });
  const taxonomy = cifar100Taxonomy();
  const captions = cifar100Captions();
  const source = (file: string, mode: CifarViewMode, limit: number) =>
    pipelineSource('cifar100', {
      file: join(cfg.dataDir, file),
      mode,
      scale: cfg.cropScale,
      limit,
      captions: true,
    });
  return {
    name: cfg.dataset,
    taxonomy,
    classNames: taxonomy.classes.map((c) => c.lineage[1]!),
    commonNames: taxonomy.classes.map((c) => c.common!),
    captions,
    synthetic: null,
    mean: CIFAR100_MEAN,
    std: CIFAR100_STD,
    evalTransform: 'none (32 px records)',
    train: (views) => source('train.bin', views === 2 ? 'pair' : 'supervised', cfg.limit),
    evalSource: (split, count = 0) => source(`${split}.bin`, 'eval', count),
    prompts: prompts(captions),
    testImages: (n) => {
      const ds = readCifar100(join(cfg.dataDir, 'test.bin'));
      const m = Math.min(n, ds.length);
      const idx = Int32Array.from({ length: m }, (_, i) => i);
      return { images: cifarEvalImages(ds, idx), labels: ds.labels.slice(0, m), n: m };
    },
  };
}

/** The image preprocessing of an image-text model directory (model.json): size, layout, normalisation, eval view. */
export function imageTextPreprocessing(data: ImageTextData, size: number) {
  return {
    size,
    layout: 'NCHW',
    scale: '1/255',
    mean: data.mean,
    std: data.std,
    eval: data.evalTransform,
  } as const;
}

/** The image encoder of the image-text recipes: clade's small CIFAR CNN (optionally with BatchNorm). */
export function imageTextEncoder(cfg: ImageTextDataConfig): CifarEncoder {
  return cifarEncoder({ arch: 'cnn', channels: [...cfg.imageChannels], batchNorm: cfg.imageBatchNorm });
}

const OPENAI_MEAN = [0.48145466, 0.4578275, 0.40821073];
const OPENAI_STD = [0.26862954, 0.26130258, 0.27577711];
