/**
 * The data source string of `clade embed` (and, once recipes are wired, `clade train --data`): one parser from a
 * SPEC to a `DatasetSpec` that `openDataset` opens.
 *
 *   synthetic-taxonomy[:split[:perSpecies]]   built-in data (seed and size from hints; test, 10)
 *   cifar10:FILE.bin | cifar100:FILE.bin       CIFAR binaries (a bare *.bin is detected by record size / name)
 *   mnist:IMAGES,LABELS                        an IDX pair (a bare *images-idx3* path finds its labels file)
 *   hierarcaps:FILE.csv[?images=BIN]           HierarCaps test CSV (4-level chains, optional 64x64 images)
 *   chains:FILE.csv[.gz][?positive=COL&negative=COL&levels=N]   HierarCaps-format `a => b => c => d` chains
 *   webdataset:PATTERN[?buffer=N&shuffleShards=0&decode=1&onError=skip]   tar shards, brace patterns
 *   DIR                                        ImageFolder (DIR/<class>/<image>)
 *   FILE.csv|.tsv|.jsonl|.parquet[?OPTIONS]    a manifest; OPTIONS below
 *   FILE.txt                                   one text per line (for the text tower)
 *
 * Manifest options (`&`-separated, lists comma-separated): image (column, default `image`; `none` for a table
 * without images), label, ranks (coarsest
 * first), common, scientific, captions, sep (caption separator), attributes, variants, traits, tabular, split
 * (column) with val (its validation value, default `val`), valFraction + seed (a seeded validation fraction when
 * there is no split column), root (image folder), dropMissing (columns: rows missing a value in any of them are
 * left out), onError (`fail` | `skip`). Unknown options are errors with the
 * closest known name.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { didYouMean } from '../../util/suggest.ts';
import { CladeError } from '../../util/errors.ts';
import type { OnError } from '../types.ts';
import type { DatasetSpec } from './open-dataset.ts';

/** What a model directory says about the data it was trained on (for `synthetic-taxonomy`). */
export interface DataSpecHints {
  readonly seed?: number;
  readonly size?: number;
}

export const SPEC_FORMS =
  'synthetic-taxonomy[:split[:perSpecies]], cifar10:FILE, cifar100:FILE, mnist:IMAGES,LABELS, hierarcaps:FILE, ' +
  'chains:FILE, webdataset:PATTERN, an image folder, a manifest (.csv/.tsv/.jsonl/.parquet), or a .txt of texts';

const MANIFEST_OPTIONS = [
  'image',
  'label',
  'ranks',
  'common',
  'scientific',
  'captions',
  'sep',
  'attributes',
  'variants',
  'traits',
  'tabular',
  'split',
  'val',
  'valFraction',
  'seed',
  'root',
  'dropMissing',
  'onError',
] as const;
const WEBDATASET_OPTIONS = ['buffer', 'shuffleShards', 'decode', 'onError'] as const;
const CHAINS_OPTIONS = ['positive', 'negative', 'levels', 'seed', 'onError'] as const;
const HIERARCAPS_OPTIONS = ['images', 'onError'] as const;

/** `?a=1&b=x,y` → a reader over its options that refuses unknown names (with a did-you-mean) and bad values. */
function options(spec: string, query: string, known: readonly string[]) {
  const q = new URLSearchParams(query);
  for (const k of new Set(q.keys()))
    if (!known.includes(k))
      throw new CladeError(
        `unknown option '${k}'${didYouMean(k, known) || `; options are ${known.join(', ')}`}`,
        { data: spec },
      );
  const str = (k: string) => {
    const v = q.get(k);
    if (v === null) return undefined;
    if (v.trim() === '') throw new CladeError(`option '${k}' is empty`, { data: spec });
    return v.trim();
  };
  const list = (k: string) =>
    str(k)
      ?.split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  const num = (k: string, ok: (x: number) => boolean, expected: string) => {
    const v = str(k);
    if (v === undefined) return undefined;
    const x = Number(v);
    if (!ok(x)) throw new CladeError(`option '${k}' must be ${expected}, got '${v}'`, { data: spec });
    return x;
  };
  const int = (k: string, min: number) =>
    num(k, (x) => Number.isInteger(x) && x >= min, `an integer ≥ ${min}`);
  const bool = (k: string) => {
    const v = str(k);
    if (v === undefined) return undefined;
    if (['1', 'true', 'yes'].includes(v)) return true;
    if (['0', 'false', 'no'].includes(v)) return false;
    throw new CladeError(`option '${k}' must be 0 or 1, got '${v}'`, { data: spec });
  };
  const onError = (): OnError | undefined => {
    const v = str('onError');
    if (v === undefined || v === 'fail' || v === 'skip') return v;
    throw new CladeError(`option 'onError' must be 'fail' or 'skip', got '${v}'`, { data: spec });
  };
  return { str, list, num, int, bool, onError, has: (k: string) => q.has(k) };
}

function cifarKind(file: string): 'cifar10' | 'cifar100' {
  const size = statSync(file).size;
  const by10 = size % 3073 === 0;
  const by100 = size % 3074 === 0;
  if (by10 && !by100) return 'cifar10';
  if (by100 && !by10) return 'cifar100';
  const name = basename(file);
  if (/^(data_batch_\d+|test_batch)\.bin$/.test(name) || /cifar-?10(?!0)/i.test(file)) return 'cifar10';
  if (/^(train|test)\.bin$/.test(name) || /cifar-?100/i.test(file)) return 'cifar100';
  throw new CladeError('cannot tell CIFAR-10 from CIFAR-100: write cifar10:FILE or cifar100:FILE', { file });
}

function mnistLabels(images: string): string {
  const guess = join(
    dirname(images),
    basename(images).replace('images-idx3', 'labels-idx1').replace('images.idx3', 'labels.idx1'),
  );
  if (guess === images || !existsSync(guess))
    throw new CladeError('cannot find the labels file next to the images: write mnist:IMAGES,LABELS', {
      file: images,
    });
  return guess;
}

function splitQuery(s: string): [string, string] {
  const i = s.indexOf('?');
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

/**
 * Parses a data SPEC (see the module comment) into a `DatasetSpec`. Files and folders must exist; options are
 * checked here, columns when the file is read.
 *
 * @example
 * parseDataSpec('photos.csv?image=path&ranks=kingdom,phylum,class,order,family,genus,species&common=vernacular');
 * // { kind: 'manifest', file: 'photos.csv', columns: { image: 'path', ranks: [...7], common: 'vernacular' } }
 * parseDataSpec('webdataset:shards/train-{0000..0099}.tar?buffer=1000');
 */
export function parseDataSpec(spec: string, hints: DataSpecHints = {}): DatasetSpec {
  const colon = spec.indexOf(':');
  const kind = colon > 0 ? spec.slice(0, colon) : '';
  const rest = colon > 0 ? spec.slice(colon + 1) : '';
  if (kind === 'synthetic-taxonomy' || spec === 'synthetic-taxonomy') {
    const [split = 'test', per = '10'] = rest ? rest.split(':') : [];
    const perSpecies = Number(per);
    if (!(Number.isInteger(perSpecies) && perSpecies > 0))
      throw new CladeError(`perSpecies must be a positive integer, got '${per}'`, { data: spec });
    return { kind: 'synthetic-taxonomy', seed: hints.seed ?? 0, size: hints.size ?? 32, split, perSpecies };
  }
  if (kind === 'cifar10' || kind === 'cifar100') return { kind, file: rest };
  if (kind === 'mnist') {
    const [images, labels] = rest.split(',');
    return { kind: 'mnist', images, labels: labels ?? mnistLabels(images) };
  }
  if (kind === 'webdataset') {
    const [pattern, query] = splitQuery(rest);
    if (!pattern)
      throw new CladeError('webdataset: needs a shard pattern, e.g. webdataset:shards-{0..9}.tar', {
        data: spec,
      });
    const o = options(spec, query, WEBDATASET_OPTIONS);
    return {
      kind: 'webdataset',
      pattern,
      bufferSize: o.int('buffer', 0),
      shuffleShards: o.bool('shuffleShards'),
      decode: o.bool('decode') ?? false,
      onError: o.onError(),
    };
  }
  if (kind === 'hierarcaps' || kind === 'chains') {
    const [file, query] = splitQuery(rest);
    if (!existsSync(file)) throw new CladeError('no such file', { data: spec, file });
    if (kind === 'hierarcaps') {
      const o = options(spec, query, HIERARCAPS_OPTIONS);
      return { kind, file, images: o.str('images'), onError: o.onError() };
    }
    const o = options(spec, query, CHAINS_OPTIONS);
    return {
      kind,
      file,
      positive: o.str('positive'),
      negative: o.str('negative'),
      levels: o.int('levels', 1),
      seed: o.int('seed', 0),
      onError: o.onError(),
    };
  }
  const [path, query] = splitQuery(spec);
  if (!existsSync(path))
    throw new CladeError(`no such file or folder; expected ${SPEC_FORMS}`, { data: spec });
  if (statSync(path).isDirectory()) {
    if (query) throw new CladeError('an image folder takes no options', { data: spec });
    return { kind: 'image-folder', root: path };
  }
  if (/\.bin$/i.test(path)) return { kind: cifarKind(path), file: path };
  if (/images[-.]idx3/.test(basename(path))) return parseDataSpec(`mnist:${path}`, hints);
  if (/\.txt$/i.test(path)) return { kind: 'text-lines', file: path };
  if (/\.(csv|tsv|csv\.gz|tsv\.gz|jsonl|ndjson|parquet)$/i.test(path)) return manifestSpec(spec, path, query);
  throw new CladeError(`unrecognised data; expected ${SPEC_FORMS}`, { data: spec });
}

function manifestSpec(spec: string, file: string, query: string): DatasetSpec {
  const o = options(spec, query, MANIFEST_OPTIONS);
  const split = o.str('split');
  const valFraction = o.num('valFraction', (x) => x > 0 && x < 1, 'a fraction in (0, 1)');
  if (split && valFraction !== undefined)
    throw new CladeError("give either 'split' (a split column) or 'valFraction', not both", { data: spec });
  if (o.has('val') && !split)
    throw new CladeError("option 'val' names the validation value of the 'split' column; give 'split' too", {
      data: spec,
    });
  if (o.has('seed') && valFraction === undefined)
    throw new CladeError("option 'seed' seeds 'valFraction'; give 'valFraction' too", { data: spec });
  const ranks = o.list('ranks');
  if (ranks && new Set(ranks).size !== ranks.length)
    throw new CladeError(`option 'ranks' names a column twice: ${ranks.join(',')}`, { data: spec });
  const image = o.str('image');
  return {
    kind: 'manifest',
    file,
    columns: {
      image: image === 'none' ? undefined : (image ?? 'image'),
      label: o.str('label'),
      ranks,
      common: o.str('common'),
      scientific: o.str('scientific'),
      captions: o.list('captions'),
      attributes: o.list('attributes'),
      variants: o.list('variants'),
      traits: o.list('traits'),
      tabular: o.list('tabular'),
      split,
    },
    captionSeparator: o.str('sep'),
    root: o.str('root'),
    dropMissing: o.list('dropMissing'),
    validation: split
      ? { column: split, value: o.str('val') ?? 'val' }
      : valFraction !== undefined
        ? { fraction: valFraction, seed: o.int('seed', 0) ?? 0 }
        : undefined,
    onError: o.onError(),
  };
}
