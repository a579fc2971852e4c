import { basename, join } from 'node:path';
import { CladeError } from '../../util/errors.ts';
import type { Dataset, OnError, StreamDataset } from '../types.ts';
import { syntheticTaxonomy, type SyntheticTaxonomyOptions } from '../synthetic/synthetic-taxonomy.ts';
import { readCifar10, readCifar100 } from './cifar.ts';
import { readMnist } from './mnist.ts';
import { readImageFolder } from './image-folder.ts';
import { readManifest, type ManifestColumns } from './manifest.ts';
import { webDataset, type WebDatasetOptions } from './webdataset.ts';
import { readHierarCaps } from './hierarcaps.ts';
import { readChains, type ChainsOptions } from './chains.ts';
import { readBytes } from './files.ts';
import { splitTrainVal, type ValidationSpec } from './validation-split.ts';

/** Every dataset source by kind: what a config file or a CLI flag names. */
export type DatasetSpec =
  | ({ readonly kind: 'synthetic-taxonomy' } & SyntheticTaxonomyOptions)
  | { readonly kind: 'cifar10'; readonly file: string; readonly onError?: OnError }
  | { readonly kind: 'cifar100'; readonly file: string; readonly onError?: OnError }
  | { readonly kind: 'mnist'; readonly images: string; readonly labels: string; readonly onError?: OnError }
  | {
      readonly kind: 'image-folder';
      readonly root: string;
      readonly decode?: boolean;
      readonly onError?: OnError;
    }
  | {
      readonly kind: 'manifest';
      readonly file: string;
      readonly columns: ManifestColumns;
      readonly split?: string;
      readonly captionSeparator?: string;
      readonly root?: string;
      /** Rows missing a value in any of these columns are left out (`readManifest`'s `dropMissing`). */
      readonly dropMissing?: readonly string[];
      /** Where `openDataSplits` takes the validation rows from. */
      readonly validation?: ValidationSpec;
      readonly onError?: OnError;
    }
  | ({ readonly kind: 'webdataset'; readonly pattern: string } & WebDatasetOptions)
  | {
      readonly kind: 'hierarcaps';
      readonly file: string;
      readonly images?: string;
      readonly onError?: OnError;
    }
  | ({ readonly kind: 'chains'; readonly file: string } & ChainsOptions)
  | { readonly kind: 'text-lines'; readonly file: string };

export const DATASET_KINDS = [
  'synthetic-taxonomy',
  'cifar10',
  'cifar100',
  'mnist',
  'image-folder',
  'manifest',
  'webdataset',
  'hierarcaps',
  'chains',
  'text-lines',
] as const;

/**
 * Opens any supported dataset from a spec; WebDataset gives a `StreamDataset`, everything else a `Dataset`.
 *
 * @example
 * const ds = await openDataset({ kind: 'cifar100', file: '../shared/datasets/cifar-100/test.bin' });
 * const demo = await openDataset({ kind: 'synthetic-taxonomy', seed: 0, perSpecies: 40 });
 */
export async function openDataset(spec: DatasetSpec): Promise<Dataset | StreamDataset> {
  switch (spec.kind) {
    case 'synthetic-taxonomy':
      return syntheticTaxonomy(spec);
    case 'cifar10':
      return readCifar10(spec.file, spec);
    case 'cifar100':
      return readCifar100(spec.file, spec);
    case 'mnist':
      return readMnist(spec.images, spec.labels, spec);
    case 'image-folder':
      return readImageFolder(spec.root, spec);
    case 'manifest':
      // a `label` column is the class unless the spec names another (or ranks)
      return readManifest(spec.file, { labelIfPresent: 'label', ...spec });
    case 'webdataset':
      return webDataset(spec.pattern, spec);
    case 'hierarcaps':
      return readHierarCaps(spec.file, spec);
    case 'chains':
      return readChains(spec.file, spec);
    case 'text-lines':
      return readTextLines(spec.file);
    default:
      throw new CladeError(
        `unknown dataset kind '${(spec as { kind: string }).kind}'; expected one of ${DATASET_KINDS.join(', ')}`,
        { field: 'kind' },
      );
  }
}

/**
 * Opens a spec as training and validation data: a manifest with `validation` is split by its split column or a
 * seeded fraction (`splitTrainVal`); anything else is all training (`val` undefined).
 *
 * @example
 * const { train, val } = await openDataSplits(parseDataSpec('m.csv?image=path&label=y&valFraction=0.1&seed=3'));
 */
export async function openDataSplits(
  spec: DatasetSpec,
): Promise<{ train: Dataset | StreamDataset; val?: Dataset }> {
  const ds = await openDataset(spec);
  if (spec.kind !== 'manifest' || !spec.validation) return { train: ds };
  return splitTrainVal(ds as Dataset, spec.validation);
}

/** One text per line (an empty line is the empty text; only the final newline ends the file): `captions = [line]`. */
export function readTextLines(file: string): Dataset {
  const lines = new TextDecoder()
    .decode(readBytes(file))
    .replace(/\r?\n$/, '')
    .split(/\r?\n/);
  return {
    name: basename(file),
    length: lines.length,
    get: (index) => {
      if (!(index >= 0 && index < lines.length))
        throw new CladeError(`index ${index} out of range 0..${lines.length - 1}`, { file });
      return { index, id: `${file}:${index + 1}`, captions: [lines[index]] };
    },
  };
}

/**
 * The datasets staged in `dir` (`../shared/datasets` layout) as specs, for the data suite and benchmarks.
 *
 * @example
 * const { cifar10 } = sharedDatasetSpecs('../shared/datasets');
 */
export function sharedDatasetSpecs(dir: string) {
  return {
    cifar10: { kind: 'cifar10', file: join(dir, 'cifar-10', 'test_batch.bin') },
    cifar100Train: { kind: 'cifar100', file: join(dir, 'cifar-100', 'train.bin') },
    cifar100Test: { kind: 'cifar100', file: join(dir, 'cifar-100', 'test.bin') },
    mnistTest: {
      kind: 'mnist',
      images: join(dir, 'mnist', 't10k-images-idx3-ubyte.gz'),
      labels: join(dir, 'mnist', 't10k-labels-idx1-ubyte.gz'),
    },
    hierarcapsTest: {
      kind: 'hierarcaps',
      file: join(dir, 'hierarcaps', 'hierarcaps_test.csv'),
      images: join(dir, 'hierarcaps', 'images_64x64.bin'),
    },
  } as const satisfies Record<string, DatasetSpec>;
}
