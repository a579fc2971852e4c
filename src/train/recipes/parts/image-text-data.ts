/**
 * The data part of the image-text recipes: a taxonomy-captioned image source — its taxonomy, every class's captions
 * in BioCLIP 2's five text types, the loader pipelines of its training and held-out splits, and the image
 * preprocessing a model trained on it records. Recipes name a source with `dataset`; each source is a factory in
 * `IMAGE_TEXT_SOURCES`, so another kind of data (image folders, manifests with rank columns, WebDataset shards) is
 * one more factory there, not a change to any recipe.
 */
import type { PipelineSource } from '../../../data/pipelines/index.ts';
import type { SyntheticTaxonomyDataset } from '../../../data/synthetic/synthetic-taxonomy.ts';
import type { Taxonomy } from '../../../data/taxonomy/taxonomy.ts';
import { TEXT_TYPES, type TextType } from '../../../data/taxonomy/text-types.ts';
import { WordTokenizer } from '../../../data/tokenizers/word-tokenizer.ts';
import { cifar100Data } from './cifar-data.ts';
import { syntheticData } from './synthetic-data.ts';

/** The preprocessing of an image tower's input, as model.json records it (`clade embed` applies it). */
export interface ImagePreprocessing {
  readonly size: number;
  readonly layout: 'NCHW';
  readonly scale: '1/255';
  readonly mean: readonly number[];
  readonly std: readonly number[];
  /** The evaluation transform, in words. */
  readonly eval: string;
}

export interface ImageTextData {
  readonly name: string;
  readonly taxonomy: Taxonomy;
  readonly classNames: readonly string[];
  readonly commonNames: readonly string[];
  /** Every class's captions, [K][5] in TEXT_TYPES order. */
  readonly captions: readonly (readonly string[])[];
  /** Free captions of the training data beyond the class captions (a `data` SPEC's caption columns), for the tokenizer. */
  readonly corpus?: readonly string[];
  /** The synthetic dataset's training split (null for other sources). */
  readonly synthetic: SyntheticTaxonomyDataset | null;
  readonly preprocessing: ImagePreprocessing;
  /** Training pipeline with one view (CLIP) or two (CLIPin's online + target views). */
  train(views: 1 | 2): PipelineSource;
  /** Eval-mode pipeline of a split (synthetic: `count` images per species; CIFAR: `<split>.bin`, `count` records). */
  evalSource(split: string, count?: number): PipelineSource;
  /**
   * Held-out images evaluated in the main thread, normalised NCHW with their classes (CIFAR-100: the first `n`
   * test records), or null when the source is evaluated through `evalSource` instead.
   */
  testImages(n: number): { images: Float32Array; labels: Int32Array; n: number } | null;
}

/** What an image-text source is built from (a recipe's config). */
export interface ImageTextDataConfig {
  readonly dataset: keyof typeof IMAGE_TEXT_SOURCES;
  readonly dataDir: string;
  readonly limit: number;
  readonly cropScale: readonly [number, number];
  readonly seed: number;
  readonly perSpecies: number;
  readonly size: number;
  /** Image mean/std of a pretrained `from` model (synthetic-taxonomy only; default OpenAI CLIP's). */
  readonly normalize?: { readonly mean: readonly number[]; readonly std: readonly number[] };
}

/** The image-text sources by `dataset` name. Building one reads no files; the pipelines read in the loader. */
export const IMAGE_TEXT_SOURCES = {
  'synthetic-taxonomy': syntheticData,
  'cifar-100': cifar100Data,
} as const satisfies Record<string, (cfg: ImageTextDataConfig) => ImageTextData>;

/**
 * The data a recipe config names.
 *
 * @example
 * const data = imageTextData({ ...cfg, dataset: 'cifar-100' }); // data.captions[19][0] = 'a photo of … cattle.'
 */
export function imageTextData(cfg: ImageTextDataConfig): ImageTextData {
  return IMAGE_TEXT_SOURCES[cfg.dataset](cfg);
}

/** Class prompts of one text type, [K]. */
export function prompts(data: Pick<ImageTextData, 'captions'>, type: TextType): string[] {
  return data.captions.map((c) => c[TEXT_TYPES.indexOf(type)]);
}

/** A word tokenizer over every caption of the data (and of any `more` data, e.g. a replay stream). */
export function captionTokenizer(
  contextLength: number,
  ...data: Pick<ImageTextData, 'captions' | 'corpus'>[]
) {
  return WordTokenizer.fromCorpus(
    data.flatMap((d) => [...d.captions.flat(), ...(d.corpus ?? [])]),
    { contextLength },
  );
}

/** The `taxonomy` block of model.json: ranks, each class's lineage, names. */
export function taxonomyDescription(data: ImageTextData) {
  return {
    ranks: data.taxonomy.ranks,
    classes: data.taxonomy.classes.map((c) => c.lineage),
    classNames: data.classNames,
    commonNames: data.commonNames,
  };
}
