/**
 * Pipelines over a data SPEC (`parseDataSpec`: ImageFolder, manifests with ranks / captions / tabular columns,
 * `webdataset:` shards, `chains:` / `hierarcaps:` chains, the built-ins): every recipe's `data` option. A worker
 * thread receives the spec string and opens the dataset itself (once per thread); a WebDataset spec is a stream the
 * trainer reads in the main thread (`StreamLoader`), so its pipeline's dataset is empty and only the transform runs
 * here.
 */
import { RandomResizedCrop } from '../augment/random-resized-crop.ts';
import { ImageView } from '../augment/image-view.ts';
import { Normalize, OPENAI_MEAN, OPENAI_STD } from '../augment/pixel-ops.ts';
import { GaussianNoise, ScarfCorruption, type TabularView } from '../augment/tabular-views.ts';
import { clipEvalView, type Stats } from '../augment/views.ts';
import type { Item, LoaderDataset, Pipeline } from '../loader/loader-types.ts';
import { viewsTransform } from '../loader/sample-transforms.ts';
import { parseDataSpec } from '../readers/data-spec.ts';
import { existsSync } from 'node:fs';
import sharp from 'sharp';
import { openDataset, openDataSplits } from '../readers/open-dataset.ts';
import { SkipLog } from '../readers/files.ts';
import { splitTrainVal } from '../readers/validation-split.ts';
import { TEXT_TYPES, taxonomyCaptions } from '../taxonomy/text-types.ts';
import type { Dataset, Sample, SkipReport, StreamDataset } from '../types.ts';
import { CladeError } from '../../util/errors.ts';
import type { Rng } from '../../util/rng.ts';
import { cifar100Views, type CifarViewMode } from './cifar.ts';
import { columnStats, ComposedTabularView, identityTabularView } from './tabular.ts';

/** Which part of a spec: its training rows or its validation split (`split=`/`valFraction=` of a manifest). */
export type SpecPart = 'train' | 'val';

/** A spec's part as the reader gives it: random access, or a stream (WebDataset). */
export type SpecDataset = Dataset | StreamDataset;

export const isStream = (d: SpecDataset): d is StreamDataset => !('get' in d);

const opened = new Map<string, Promise<{ train: SpecDataset; val?: Dataset }>>();

/** A dataset without the samples at `exclude` (its classes, taxonomy and skip report kept). */
function without(ds: Dataset, exclude: readonly number[]): Dataset {
  if (!exclude.length) return ds;
  const drop = new Set(exclude);
  const idx = Array.from({ length: ds.length }, (_, i) => i).filter((i) => !drop.has(i));
  const { taxonomy, classNames, skipped } = ds as Dataset & Record<string, unknown>;
  return {
    ...(taxonomy ? { taxonomy } : {}),
    ...(classNames ? { classNames } : {}),
    ...(skipped ? { skipped } : {}),
    name: ds.name,
    length: idx.length,
    get: (i) => ({ ...ds.get(idx[i]), index: i }),
  };
}

/** A spec opened whole, its bad items (`findBadItems`) left out, then split into training and validation. */
async function openSplits(spec: string, exclude: readonly number[]) {
  const parsed = parseDataSpec(spec);
  if (!exclude.length) return openDataSplits(parsed);
  const ds = without((await openDataset(parsed)) as Dataset, exclude);
  if (parsed.kind !== 'manifest' || !parsed.validation) return { train: ds };
  return splitTrainVal(ds, parsed.validation);
}

/**
 * The training or validation part of a spec, opened once per thread, without the samples at `exclude` (indices of
 * the whole dataset that `findBadItems` found). Asking for `val` of a spec without a validation split is an error
 * naming the spec and how to add one.
 *
 * @example
 * const val = await openSpecPart('photos.csv?image=path&ranks=genus,species&valFraction=0.1', 'val');
 */
export async function openSpecPart(
  spec: string,
  part: SpecPart,
  exclude: readonly number[] = [],
): Promise<SpecDataset> {
  let p = opened.get(spec);
  if (!p) {
    p = openSplits(spec, exclude);
    opened.set(spec, p);
    p.catch(() => opened.delete(spec));
  }
  const s = await p;
  if (part === 'train') return s.train;
  if (!s.val)
    throw new CladeError(
      "the data has no validation split: add 'split=COLUMN' (and 'val=VALUE') or 'valFraction=F' to a manifest spec",
      { data: spec },
    );
  return s.val;
}

/**
 * The image views a spec pipeline draws: `clip` = RandomResizedCrop(size, `scale`) + flip + OpenAI mean/std, once
 * (`views: 1`, clip-taxonomy / clip-replay / multiview-tabular) or sampled twice (`views: 2`, CLIPin's pair);
 * `clip-eval` = resize + centre crop (CLIP's evaluation transform); `cifar` = a CIFAR recipe's view mode (its crops
 * resample any image to 32 px, CIFAR-100 mean/std).
 */
/** Per-channel mean/std of an image normalisation (`Stats` of the views, never null here). */
export type ImageStats = NonNullable<Stats>;

export type SpecImageViews =
  | {
      readonly kind: 'clip';
      readonly size: number;
      readonly scale: readonly [number, number];
      readonly views: 1 | 2;
      /** Default OpenAI CLIP's mean/std; a pretrained checkpoint's own when fine-tuning one. */
      readonly normalize?: ImageStats;
    }
  | { readonly kind: 'clip-eval'; readonly size: number; readonly normalize?: ImageStats }
  | { readonly kind: 'cifar'; readonly mode: CifarViewMode; readonly scale?: readonly [number, number] };

export function specImageViews(v: SpecImageViews): ImageView[] {
  if (v.kind === 'cifar') return cifar100Views(v.mode, v.scale);
  if (v.kind === 'clip-eval') return [clipEvalView({ size: v.size, normalize: v.normalize })];
  const view = new ImageView({
    geometry: new RandomResizedCrop(v.size, { scale: [...v.scale], interpolation: 'bicubic' }),
    flip: 0.5,
    normalize: new Normalize(v.normalize?.mean ?? OPENAI_MEAN, v.normalize?.std ?? OPENAI_STD),
  });
  return v.views === 2 ? [view, view] : [view];
}

/** The tabular view of a spec pipeline: SCARF corruption + Gaussian noise (training), or the clean features. */
export type SpecTabularViews =
  | { readonly kind: 'scarf'; readonly corruption: number; readonly noise: number; readonly views: 1 | 2 }
  | { readonly kind: 'clean' };

export interface SpecPipelineArgs {
  /** The data SPEC (`parseDataSpec`). */
  readonly spec: string;
  readonly part: SpecPart;
  /** Image views (absent: no image is read). */
  readonly image?: SpecImageViews;
  /** Tabular views of `sample.tabular` (missing values imputed with the training part's column means). */
  readonly tabular?: SpecTabularViews;
  /**
   * Captions as the image-text recipes feed them: BioCLIP 2's five text types in TEXT_TYPES order (a sample with
   * only free captions gets one of them, drawn with its rng, in all five places).
   */
  readonly captions?: boolean;
  /**
   * WebDataset: class of a sample by its `taxon` text (the classes the recipe found when it scanned the shards);
   * samples carrying a `.cls` label keep it.
   */
  readonly classes?: readonly string[];
  /** clip-replay: a second SPEC of image-caption pairs; each item appends a replay view and caption drawn with its rng. */
  readonly replay?: string;
  /** Indices (of the whole dataset) of bad items to leave out (`findBadItems` with `onError=skip`). */
  readonly exclude?: readonly number[];
}

/**
 * The bad items of a random-access SPEC, checked before training (in the main thread): an image file that is
 * missing or whose header does not decode, and a manifest row with rank columns but no rank value. With the
 * spec's `onError` `fail` (default) the first one throws naming the file and the manifest row; with `skip` they are
 * returned as indices to leave out (`exclude`) and reports.
 *
 * @example
 * const { exclude, skipped } = await findBadItems('photos.csv?image=path&ranks=genus,species&onError=skip');
 */
export async function findBadItems(spec: string): Promise<{ exclude: number[]; skipped: SkipReport[] }> {
  const parsed = parseDataSpec(spec);
  const out = { exclude: [] as number[], skipped: [] as SkipReport[] };
  if (parsed.kind !== 'manifest' && parsed.kind !== 'image-folder') return out;
  const ds = (await openDataset(parsed)) as Dataset & { rows?: readonly number[] };
  const log = new SkipLog(parsed.onError);
  const ranked = parsed.kind === 'manifest' && !!parsed.columns.ranks?.length;
  const where = (i: number, column?: string) =>
    parsed.kind === 'manifest'
      ? { file: parsed.file, row: ds.rows?.[i] ?? i + 1, ...(column ? { column } : {}) }
      : { file: ds.get(i).imagePath ?? parsed.root };
  const check = async (i: number): Promise<CladeError | null> => {
    const s = ds.get(i);
    if (ranked && !s.lineage?.some((n) => n !== null))
      return new CladeError(
        'every rank is empty',
        where(i, parsed.kind === 'manifest' ? parsed.columns.ranks!.join(',') : undefined),
      );
    if (!s.imagePath) return null;
    const col = parsed.kind === 'manifest' ? parsed.columns.image : undefined;
    if (!existsSync(s.imagePath))
      return new CladeError(`image file not found: ${s.imagePath}`, where(i, col));
    try {
      await sharp(s.imagePath).metadata();
      return null;
    } catch (e) {
      return new CladeError(`unreadable image ${s.imagePath}: ${(e as Error).message}`, where(i, col));
    }
  };
  for (let start = 0; start < ds.length; start += 32) {
    const idx = Array.from({ length: Math.min(32, ds.length - start) }, (_, j) => start + j);
    const errs = await Promise.all(idx.map(check));
    errs.forEach((e, j) => {
      if (!e) return;
      log.bad(e); // throws with onError=fail
      out.exclude.push(idx[j]);
    });
  }
  out.skipped.push(...log.skipped);
  return out;
}

const EMPTY: LoaderDataset = {
  name: 'stream',
  length: 0,
  get: () => {
    throw new CladeError('a stream is read by the StreamLoader, not by index', { field: 'dataset' });
  },
};

/**
 * The five text-type captions of a sample: its rank texts; else, for a class-labelled sample without texts (an
 * ImageFolder, a `label=` manifest), its class's (`byClass`, [K][5]); else one of its free captions drawn with
 * `rng`, in all five places. [5]
 */
export function fiveCaptions(s: Sample, rng: Rng, byClass?: readonly (readonly string[])[]): string[] {
  if (s.texts && TEXT_TYPES.every((t) => typeof s.texts![t] === 'string'))
    return TEXT_TYPES.map((t) => s.texts![t]);
  if (!s.captions?.length && byClass && s.label !== undefined && byClass[s.label])
    return [...byClass[s.label]];
  const c = s.captions ?? (s.texts ? Object.values(s.texts) : []);
  if (!c.length) throw new CladeError('sample has no captions or rank texts', { sample: s.id });
  const one = c.length === 1 ? c[0] : c[rng.int(c.length)];
  return TEXT_TYPES.map(() => one);
}

/** Reference rows for tabular statistics and SCARF's marginals: the first ≤ 512 rows of the training part. */
async function tabularReference(
  spec: string,
): Promise<{ table: Float32Array; rows: number; mean: Float32Array }> {
  const ds = await openSpecPart(spec, 'train');
  if (isStream(ds)) throw new CladeError('tabular views need a random-access dataset', { data: spec });
  return specTabularTable(ds, spec);
}

/**
 * The first ≤ 512 rows of a dataset's tabular features ([rows, F], missing values imputed with the column means)
 * and those means: what SCARF draws from and the tabular tower standardises with.
 */
export function specTabularTable(
  ds: Dataset,
  spec: string,
): { table: Float32Array; rows: number; mean: Float32Array } {
  const rows = Math.min(ds.length, 512);
  const first = ds.get(0).tabular;
  if (!first) throw new CladeError("the data has no tabular features: add 'tabular=COL,…'", { data: spec });
  const F = first.length;
  const table = new Float32Array(rows * F);
  for (let i = 0; i < rows; i++) table.set(ds.get(i).tabular!, i * F);
  const mean = new Float32Array(F);
  for (let j = 0; j < F; j++) {
    let s = 0;
    let n = 0;
    for (let i = 0; i < rows; i++) if (!Number.isNaN(table[i * F + j])) ((s += table[i * F + j]), n++);
    mean[j] = n ? s / n : 0;
  }
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < F; j++) if (Number.isNaN(table[i * F + j])) table[i * F + j] = mean[j];
  return { table, rows, mean };
}

/** Missing tabular values (NaN) replaced by the reference means. */
export function imputeTabular(x: Float32Array, mean: Float32Array): Float32Array {
  return x.some(Number.isNaN) ? x.map((v, j) => (Number.isNaN(v) ? mean[j] : v)) : x;
}

/**
 * Any recipe's pipeline over a data SPEC: image views, tabular views, BioCLIP 2 captions, a replay stream, or none of
 * them (text-only chains pass their captions through).
 *
 * @example
 * pipelineSource('spec', { spec: 'photos.csv?image=path&ranks=genus,species', part: 'train',
 *   image: { kind: 'clip', size: 64, scale: [0.5, 1], views: 1 }, captions: true });
 */
export async function specPipeline(args: SpecPipelineArgs): Promise<Pipeline> {
  const ds = await openSpecPart(args.spec, args.part, args.exclude);
  const image = args.image ? specImageViews(args.image) : [];
  let tabular: TabularView<unknown>[] | undefined;
  let mean: Float32Array | undefined;
  if (args.tabular) {
    const ref = await tabularReference(args.spec);
    mean = ref.mean;
    if (args.tabular.kind === 'clean') tabular = [identityTabularView];
    else {
      const { std } = columnStats(ref.table, ref.rows);
      const t = args.tabular;
      const one = () =>
        new ComposedTabularView([
          new ScarfCorruption({ rate: t.corruption, table: ref.table, rows: ref.rows, features: std.length }),
          new GaussianNoise({ std: std.map((s) => s * t.noise) }),
        ]);
      tabular = t.views === 2 ? [one(), one()] : [one()];
    }
  }
  const replay = args.replay ? await openSpecPart(args.replay, 'train') : null;
  if (replay && isStream(replay))
    throw new CladeError('the replay data must be random access (an image folder or a manifest)', {
      data: args.replay,
    });
  const classIndex = args.classes ? new Map(args.classes.map((c, k) => [c, k])) : null;
  const names = (ds as { classNames?: readonly string[] }).classNames;
  const byClass = names?.length
    ? taxonomyCaptions({ classes: names.map((n) => ({ lineage: [n] })) })
    : undefined;
  const base = viewsTransform({ image, tabular, captions: !args.captions });
  const transform: Pipeline['transform'] = async (sample, rng, ctx) => {
    let s = sample;
    if (mean && s.tabular) s = { ...s, tabular: imputeTabular(s.tabular, mean) };
    if (classIndex && s.label === undefined && s.texts?.taxon !== undefined)
      s = { ...s, label: classIndex.get(s.texts.taxon) };
    const item: { -readonly [K in keyof Item]: Item[K] } = { ...(await base(s, rng, ctx)) };
    if (args.captions) item.captions = fiveCaptions(s, rng, byClass);
    if (replay) {
      const r = (replay as Dataset).get(rng.int(replay.length));
      const rItem = await viewsTransform({ image })(r, rng);
      item.views = [...item.views!, ...rItem.views!];
      const rc = r.captions ?? [];
      if (!rc.length) throw new CladeError('replay sample has no caption', { sample: r.id });
      item.captions = [...item.captions!, rc.length === 1 ? rc[0] : rc[rng.int(rc.length)]];
    }
    return item;
  };
  return { dataset: isStream(ds) ? EMPTY : ds, transform };
}
