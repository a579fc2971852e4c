/**
 * `clade embed`'s data argument: a small spec language over the data layer's readers.
 *
 *   synthetic-taxonomy[:split[:perSpecies]]   built-in data (seed and size from the model's config; test, 10)
 *   cifar10:FILE.bin | cifar100:FILE.bin       CIFAR binaries (a bare *.bin is detected by record size / name)
 *   mnist:IMAGES,LABELS                        an IDX pair (a bare *images-idx3* path finds its labels file)
 *   DIR                                        ImageFolder (DIR/<class>/<image>)
 *   FILE.csv|.tsv|.jsonl|.parquet[?image=col&label=col&ranks=...]   a manifest (columns default `image`, `label` if present)
 *   FILE.txt                                   one text per line (for the text tower)
 * The parser is the data layer's `parseDataSpec`; this adds label names and a description.
 */
import { openDataset } from '../data/readers/open-dataset.ts';
import { parseDataSpec, type DataSpecHints } from '../data/readers/data-spec.ts';
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
export type ModelDataHints = DataSpecHints;

/**
 * Resolve a data spec (`parseDataSpec`, src/data/readers/data-spec.ts) to a dataset.
 *
 * @example
 * const { dataset } = await resolveEmbedData('synthetic-taxonomy:test:5', { seed: 0, size: 32 }); // 300 samples
 * await resolveEmbedData('../shared/datasets/cifar-10/test_batch.bin');
 */
export async function resolveEmbedData(spec: string, hints: ModelDataHints = {}): Promise<EmbedData> {
  const s = parseDataSpec(spec, hints);
  if (s.kind === 'webdataset')
    throw new CladeError('embed reads random-access data; WebDataset shards are for training', {
      data: spec,
    });
  const ds = (await openDataset(s)) as Dataset & { classNames?: string[]; labelNames?: string[] };
  const n = ds.length;
  switch (s.kind) {
    case 'synthetic-taxonomy':
      return {
        dataset: ds,
        labelNames: ds.classNames,
        describe: `synthetic-taxonomy ${s.split} (${n} images)`,
      };
    case 'cifar10':
    case 'cifar100':
      return { dataset: ds, labelNames: ds.labelNames, describe: `${ds.name} ${s.file} (${n} images)` };
    case 'mnist':
      return { dataset: ds, labelNames: ds.labelNames, describe: `${ds.name} ${s.images} (${n} images)` };
    case 'image-folder':
      return { dataset: ds, labelNames: ds.classNames, describe: `image folder ${s.root} (${n} images)` };
    case 'text-lines':
      return { dataset: ds, describe: `text lines ${s.file} (${n})` };
    case 'manifest': {
      return {
        dataset: ds,
        labelNames: ds.classNames?.length ? ds.classNames : undefined,
        describe: `manifest ${s.file} (${n} rows)`,
      };
    }
    default:
      return { dataset: ds, describe: `${s.kind} ${s.file} (${n})` };
  }
}
