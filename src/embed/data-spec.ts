/**
 * `clade embed`'s data argument: a small spec language over the data layer's readers.
 *
 *   synthetic-taxonomy[:split[:perSpecies]]   built-in data (seed and size from the model's config; test, 10)
 *   cifar10:FILE.bin | cifar100:FILE.bin       CIFAR binaries (a bare *.bin is detected by record size / name)
 *   mnist:IMAGES,LABELS                        an IDX pair (a bare *images-idx3* path finds its labels file)
 *   DIR                                        ImageFolder (DIR/<class>/<image>)
 *   FILE.csv|.tsv|.jsonl|.parquet[?image=col&label=col]   a manifest (image column default `image`)
 *   FILE.txt                                   one text per line (for the text tower)
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readCifar10, readCifar100 } from '../data/readers/cifar.ts';
import { readImageFolder } from '../data/readers/image-folder.ts';
import { readManifest } from '../data/readers/manifest.ts';
import { readMnist } from '../data/readers/mnist.ts';
import { syntheticTaxonomy } from '../data/synthetic/synthetic-taxonomy.ts';
import type { Dataset } from '../data/types.ts';
import { CladeError } from '../util/errors.ts';

/** A dataset to embed, with the names of its labels when it has them. */
export interface EmbedData {
  readonly dataset: Dataset;
  readonly labelNames?: readonly string[];
  /** What the spec resolved to, for messages and metadata. */
  readonly describe: string;
}

/** What the model directory says about the data it was trained on (for `synthetic-taxonomy`). */
export interface ModelDataHints {
  readonly seed?: number;
  readonly size?: number;
}

const SPECS =
  'synthetic-taxonomy[:split[:perSpecies]], cifar10:FILE, cifar100:FILE, mnist:IMAGES,LABELS, an image folder, a manifest (.csv/.tsv/.jsonl/.parquet), or a .txt of texts';

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

/**
 * Resolve a data spec to a dataset.
 *
 * @example
 * const { dataset } = await resolveEmbedData('synthetic-taxonomy:test:5', { seed: 0, size: 32 }); // 300 samples
 * await resolveEmbedData('../shared/datasets/cifar-10/test_batch.bin');
 */
export async function resolveEmbedData(spec: string, hints: ModelDataHints = {}): Promise<EmbedData> {
  const [kind, ...restParts] = spec.split(':');
  const rest = restParts.join(':');
  if (kind === 'synthetic-taxonomy') {
    const [split = 'test', per = '10'] = rest ? rest.split(':') : [];
    const perSpecies = Number(per);
    if (!(Number.isInteger(perSpecies) && perSpecies > 0))
      throw new CladeError(`perSpecies must be a positive integer, got '${per}'`, { data: spec });
    const ds = syntheticTaxonomy({ seed: hints.seed ?? 0, size: hints.size ?? 32, split, perSpecies });
    return {
      dataset: ds,
      labelNames: ds.classNames,
      describe: `synthetic-taxonomy ${split} (${ds.length} images)`,
    };
  }
  if (kind === 'cifar10' || kind === 'cifar100') {
    const ds = kind === 'cifar10' ? readCifar10(rest) : readCifar100(rest);
    return { dataset: ds, labelNames: ds.labelNames, describe: `${ds.name} ${rest} (${ds.length} images)` };
  }
  if (kind === 'mnist') {
    const [images, labels] = rest.split(',');
    const ds = readMnist(images, labels ?? mnistLabels(images));
    return { dataset: ds, labelNames: ds.labelNames, describe: `${ds.name} ${images} (${ds.length} images)` };
  }
  const [path, query = ''] = spec.split('?');
  if (!existsSync(path)) throw new CladeError(`no such file or folder; expected ${SPECS}`, { data: spec });
  if (statSync(path).isDirectory()) {
    const ds = await readImageFolder(path);
    return { dataset: ds, labelNames: ds.classNames, describe: `image folder ${path} (${ds.length} images)` };
  }
  if (/\.bin$/i.test(path)) return resolveEmbedData(`${cifarKind(path)}:${path}`, hints);
  if (/images[-.]idx3/.test(basename(path))) return resolveEmbedData(`mnist:${path}`, hints);
  if (/\.txt$/i.test(path)) {
    // One text per line; an empty line is the empty text (only the final newline ends the file).
    const lines = readFileSync(path, 'utf8')
      .replace(/\r?\n$/, '')
      .split(/\r?\n/);
    const dataset: Dataset = {
      name: basename(path),
      length: lines.length,
      get: (index) => ({ index, id: `${path}:${index + 1}`, captions: [lines[index]] }),
    };
    return { dataset, describe: `text lines ${path} (${lines.length})` };
  }
  if (/\.(csv|tsv|csv\.gz|jsonl|ndjson|parquet)$/i.test(path)) {
    const q = new URLSearchParams(query);
    const label = q.get('label') ?? undefined;
    const ds = await readManifest(path, { columns: { image: q.get('image') ?? 'image', label } });
    return {
      dataset: ds,
      labelNames: label ? ds.classNames : undefined,
      describe: `manifest ${path} (${ds.length} rows)`,
    };
  }
  throw new CladeError(`unrecognised data; expected ${SPECS}`, { data: spec });
}
