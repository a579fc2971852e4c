/**
 * A recipe's `data` SPEC opened in the main thread when the recipe is built: what the recipe needs before the
 * first step (classes and their taxonomy, every caption for the tokenizer, whether there is a validation split,
 * the WebDataset stream the trainer reads) — the loader workers open the same spec themselves (`spec` pipeline).
 * `specImageTextData` turns it into the image-text recipes' `ImageTextData`, so clip-taxonomy, clipin, clip-replay
 * and multiview-tabular train on it with no change to their objective.
 */
import { pipelineSource, type PipelineSource } from '../../../data/pipelines/index.ts';
import {
  findBadItems,
  isStream,
  openSpecPart,
  type ImageStats,
  type SpecPipelineArgs,
} from '../../../data/pipelines/spec.ts';
import { parseDataSpec } from '../../../data/readers/data-spec.ts';
import { Taxonomy } from '../../../data/taxonomy/taxonomy.ts';
import { taxonomyCaptions } from '../../../data/taxonomy/text-types.ts';
import type { Dataset, SkipReport, StreamDataset } from '../../../data/types.ts';
import { CladeError } from '../../../util/errors.ts';
import type { Params } from '../../../nn/context.ts';
import type { ImageTextData } from './image-text-data.ts';
import { specEvaluation, type SpecEvalOptions } from './spec-eval.ts';
import { clipPreprocessing } from './synthetic-data.ts';

/** What the main thread knows about a `data` SPEC. */
export interface SpecSource {
  readonly spec: string;
  /** The WebDataset stream the trainer reads (null for random-access data). */
  readonly stream: StreamDataset | null;
  /** The training part (null for a stream). */
  readonly train: Dataset | null;
  readonly val: Dataset | null;
  /** Classes and their ranks: a manifest's rank columns, else one `class` rank (label column, ImageFolder sub-folder, WebDataset `taxon` text). Null without classes. */
  readonly taxonomy: Taxonomy | null;
  /** WebDataset: each class's `taxon` text (the `spec` pipeline's `classes`). */
  readonly streamClasses?: readonly string[];
  /** Free captions (caption columns, WebDataset `txt`) for the tokenizer's vocabulary. */
  readonly corpus: readonly string[];
  /** Indices (of the whole dataset) of the bad items left out (`findBadItems`, `onError=skip`). */
  readonly exclude?: readonly number[];
  /** Items the readers skipped (`onError=skip`) so far. */
  skipped(): readonly SkipReport[];
}

type Skips = { readonly skipped?: readonly SkipReport[] };
type Labelled = { readonly taxonomy?: Taxonomy; readonly classNames?: readonly string[] };

/** A one-rank taxonomy over class names. */
const flatTaxonomy = (names: readonly string[]) =>
  names.length
    ? new Taxonomy(
        ['class'],
        names.map((n) => ({ lineage: [n] })),
      )
    : null;

/**
 * Open a SPEC in the main thread: classes, captions, validation split; a WebDataset's shards are scanned once for
 * their classes (`.cls` or `taxon` texts) and captions.
 *
 * @example
 * const src = await openSpecSource('photos.csv?image=path&ranks=family,genus,species&valFraction=0.1');
 * src.taxonomy?.ranks; // ['family', 'genus', 'species']
 */
export async function openSpecSource(spec: string): Promise<SpecSource> {
  const kind = parseDataSpec(spec).kind;
  if (kind === 'text-lines')
    throw new CladeError('a .txt of texts has no images or chains to train on', { data: spec });
  const bad = await findBadItems(spec); // throws naming file and row unless onError=skip
  const train = await openSpecPart(spec, 'train', bad.exclude);
  const val = isStream(train) ? null : await openSpecPart(spec, 'val', bad.exclude).catch(() => null);
  if (isStream(train)) {
    const classes = new Set<string>();
    const corpus = new Set<string>();
    let labelled = false;
    for await (const s of train.stream({ seed: 0, epoch: 0 })) {
      if (s.label !== undefined) labelled = true;
      else if (s.texts?.taxon) classes.add(s.texts.taxon);
      for (const c of s.captions ?? []) corpus.add(c);
    }
    const streamClasses = labelled ? undefined : [...classes].sort();
    return {
      spec,
      stream: train,
      train: null,
      val: null,
      taxonomy: streamClasses ? flatTaxonomy(streamClasses) : null,
      streamClasses,
      corpus: [...corpus],
      skipped: () => (train as Skips).skipped ?? [],
    };
  }
  const t = train as Dataset & Labelled & Skips;
  const corpus = new Set<string>();
  const n = Math.min(t.length, 20000);
  for (let i = 0; i < n; i++) for (const c of t.get(i).captions ?? []) corpus.add(c);
  return {
    spec,
    stream: null,
    train: t,
    val: val as Dataset | null,
    taxonomy: t.taxonomy ?? flatTaxonomy(t.classNames ?? []),
    corpus: [...corpus],
    exclude: bad.exclude,
    skipped: () => [...(t.skipped ?? []), ...bad.skipped],
  };
}

/** A `spec` pipeline source over an opened spec (its stream classes passed on). */
export function specSource(
  src: SpecSource,
  args: Omit<SpecPipelineArgs, 'spec' | 'classes' | 'exclude'>,
): PipelineSource {
  return pipelineSource('spec', {
    spec: src.spec,
    ...(src.streamClasses ? { classes: src.streamClasses } : {}),
    ...(src.exclude?.length ? { exclude: src.exclude } : {}),
    ...args,
  });
}

/** An image-text source over a SPEC, with what the main thread opened. */
export type SpecImageTextData = ImageTextData & { readonly source: SpecSource };

/**
 * A `data` SPEC as an image-text source: the classes' BioCLIP 2 captions from the rank columns and common name
 * (or class names), training views RandomResizedCrop(`size`, `cropScale`) + flip (twice for CLIPin), CLIP's
 * evaluation view and OpenAI mean/std; each training caption is the sample's own text of the scheduled type (free
 * captions: one of them).
 *
 * @example
 * const data = await specImageTextData({ data: 'photos.csv?image=path&ranks=genus,species', size: 64, cropScale: [0.5, 1] });
 */
export async function specImageTextData(cfg: {
  readonly data: string;
  readonly size: number;
  readonly cropScale: readonly [number, number];
  /** The image normalisation (default OpenAI CLIP's; a pretrained checkpoint's own when fine-tuning one). */
  readonly normalize?: ImageStats;
}): Promise<SpecImageTextData> {
  const src = await openSpecSource(cfg.data);
  const taxonomy = src.taxonomy ?? new Taxonomy(['class'], []);
  return {
    name: cfg.data,
    source: src,
    taxonomy,
    classNames: taxonomy.classes.map((_, k) => taxonomy.scientific(k)),
    commonNames: taxonomy.classes.map((c, k) => c.common ?? taxonomy.scientific(k)),
    captions: taxonomyCaptions(taxonomy),
    corpus: src.corpus,
    synthetic: null,
    preprocessing: {
      ...clipPreprocessing(cfg.size),
      ...(cfg.normalize ? { mean: [...cfg.normalize.mean], std: [...cfg.normalize.std] } : {}),
    },
    train: (views) =>
      specSource(src, {
        part: 'train',
        image: { kind: 'clip', size: cfg.size, scale: cfg.cropScale, views, normalize: cfg.normalize },
        captions: true,
      }),
    evalSource: (split) =>
      specSource(src, {
        part: split === 'train' ? 'train' : 'val',
        image: { kind: 'clip-eval', size: cfg.size, normalize: cfg.normalize },
        captions: true,
      }),
    testImages: () => null,
  };
}

/**
 * What a recipe trained on a SPEC adds to itself: the stream the trainer reads (WebDataset), the skipped-items
 * report, and a `periodicEval` on the validation split (`specEvaluation`). Empty for built-in data.
 *
 * @example
 * const recipe = { …, periodicEval: builtIn, ...specHooks(data.source, { towers, tower: 'image', eval: data.evalSource, geometry }) };
 */
export function specHooks<P extends Params>(
  src: SpecSource | undefined,
  o: Omit<SpecEvalOptions, 'source' | 'taxonomy'> & {
    readonly eval: (part: 'train' | 'val') => PipelineSource;
  },
): {
  stream?: StreamDataset;
  skipped?: () => readonly SkipReport[];
  periodicEval?: (params: P) => Promise<Record<string, number>>;
} {
  if (!src) return {};
  const evaluate =
    src.val && src.taxonomy ? specEvaluation({ ...o, source: o.eval, taxonomy: src.taxonomy }) : null;
  return {
    ...(src.stream ? { stream: src.stream } : {}),
    skipped: () => src.skipped(),
    periodicEval: async (params) => {
      if (!evaluate)
        throw new CladeError(
          src.val
            ? 'the data has no classes to evaluate kNN by: name a label or rank columns'
            : "the data has no validation split: add 'split=COLUMN' or 'valFraction=F' to the manifest spec, or set train.evalEvery to 0",
          { data: src.spec },
        );
      return evaluate(params);
    },
  };
}

/**
 * clip-replay on a SPEC: the biology data (`data`) as `specImageTextData`, each training item followed by a replay
 * image-caption pair drawn from `replayData` (BioCLIP 2's experience replay, docs/methods.md §A.4); the replay captions
 * join the tokenizer's corpus.
 *
 * @example
 * const data = await replaySpecData({ data: 'bio.csv?image=path&ranks=genus,species', replayData: 'pairs.csv?image=path&captions=caption', size: 32, cropScale: [0.5, 1] });
 */
export async function replaySpecData(cfg: {
  readonly data: string;
  readonly replayData: string;
  readonly size: number;
  readonly cropScale: readonly [number, number];
}): Promise<SpecImageTextData> {
  if (!cfg.replayData)
    throw new CladeError(
      "clip-replay with 'data' needs 'replayData': a second SPEC of image-caption pairs (e.g. pairs.csv?image=path&captions=caption)",
      { field: 'recipeConfig.replayData' },
    );
  const data = await specImageTextData(cfg);
  const replay = await openSpecSource(cfg.replayData);
  if (replay.stream)
    throw new CladeError('the replay data must be random access (an image folder or a manifest)', {
      data: cfg.replayData,
    });
  return {
    ...data,
    corpus: [...data.corpus!, ...replay.corpus],
    train: (views) =>
      specSource(data.source, {
        part: 'train',
        image: { kind: 'clip', size: cfg.size, scale: cfg.cropScale, views },
        captions: true,
        replay: cfg.replayData,
      }),
  };
}
