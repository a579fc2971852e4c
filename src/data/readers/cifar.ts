import { dirname, join } from 'node:path';
import { CladeError } from '../../util/errors.ts';
import type { Dataset, OnError, Sample, SkipReport } from '../types.ts';
import { Taxonomy } from '../taxonomy/taxonomy.ts';
import { labelNamesFrom, planarToHwc, readBytes, SkipLog } from './files.ts';

export const CIFAR10_LABELS = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
];

export interface CifarOptions {
  /** `fail` (default): a truncated file or an out-of-range label throws naming file and record; `skip`: drop and report. */
  readonly onError?: OnError;
  /** Label-name files (one name per line); default: the standard files next to the binary. */
  readonly labelNames?: string;
  readonly coarseLabelNames?: string;
}

/** A CIFAR binary held in memory; images are decoded (planar → HWC) on `get`. */
export interface CifarDataset extends Dataset {
  readonly labelNames: readonly string[];
  readonly coarseLabelNames?: readonly string[];
  readonly labels: Int32Array; /* [N] fine labels */
  readonly coarseLabels?: Int32Array; /* [N] */
  /** CIFAR-100: superclass → class taxonomy built from the records' (coarse, fine) pairs. */
  readonly taxonomy?: Taxonomy;
  readonly skipped: readonly SkipReport[];
}

/**
 * CIFAR-10 binary (`<label><3072 planar RGB bytes>` records, 3073 bytes each).
 *
 * @example
 * const ds = readCifar10('../shared/datasets/cifar-10/test_batch.bin');
 * ds.get(0).image; // { width: 32, height: 32, channels: 3, data /* [32, 32, 3] *\/ }
 */
export function readCifar10(file: string, opts: CifarOptions = {}): CifarDataset {
  const names = labelNamesFrom(
    opts.labelNames ? [opts.labelNames] : [join(dirname(file), 'batches.meta.txt')],
    CIFAR10_LABELS,
  );
  return readCifarBinary(file, 'cifar-10', 1, names, undefined, opts.onError);
}

/**
 * CIFAR-100 binary (`<coarse><fine><3072 planar RGB bytes>`, 3074 bytes each). `label` is the fine label;
 * `lineage` is `[superclass, class]`.
 *
 * @example
 * const ds = readCifar100('../shared/datasets/cifar-100/test.bin');
 * ds.get(0).lineage; // ['large_natural_outdoor_scenes', 'mountain']
 */
export function readCifar100(file: string, opts: CifarOptions = {}): CifarDataset {
  const dir = dirname(file);
  const fine = labelNamesFrom(opts.labelNames ? [opts.labelNames] : [join(dir, 'fine_label_names.txt')], []);
  const coarse = labelNamesFrom(
    opts.coarseLabelNames ? [opts.coarseLabelNames] : [join(dir, 'coarse_label_names.txt')],
    [],
  );
  const f = fine.length ? fine : Array.from({ length: 100 }, (_, i) => `class_${i}`);
  const c = coarse.length ? coarse : Array.from({ length: 20 }, (_, i) => `superclass_${i}`);
  return readCifarBinary(file, 'cifar-100', 2, f, c, opts.onError);
}

function readCifarBinary(
  file: string,
  name: string,
  labelBytes: 1 | 2,
  fineNames: readonly string[],
  coarseNames: readonly string[] | undefined,
  onError: OnError = 'fail',
): CifarDataset {
  const bytes = readBytes(file);
  const rec = labelBytes + 3072;
  const log = new SkipLog(onError);
  const whole = Math.floor(bytes.length / rec);
  if (bytes.length === 0) throw new CladeError(`empty file: expected ${rec}-byte records`, { file });
  if (bytes.length % rec !== 0)
    log.bad(
      new CladeError(
        `truncated record: ${bytes.length % rec} of ${rec} bytes (file is ${bytes.length} bytes, not a multiple of ${rec}-byte records)`,
        { file, record: whole },
      ),
    );
  const offsets: number[] = [];
  const fineL: number[] = [];
  const coarseL: number[] = [];
  for (let r = 0; r < whole; r++) {
    const o = r * rec;
    const fl = bytes[o + labelBytes - 1];
    const cl = labelBytes === 2 ? bytes[o] : -1;
    if (fl >= fineNames.length) {
      log.bad(new CladeError(`label ${fl} out of range 0..${fineNames.length - 1}`, { file, record: r }));
      continue;
    }
    if (coarseNames && cl >= coarseNames.length) {
      log.bad(
        new CladeError(`coarse label ${cl} out of range 0..${coarseNames.length - 1}`, { file, record: r }),
      );
      continue;
    }
    offsets.push(o);
    fineL.push(fl);
    coarseL.push(cl);
  }
  const labels = Int32Array.from(fineL);
  const coarseLabels = coarseNames ? Int32Array.from(coarseL) : undefined;
  let taxonomy: Taxonomy | undefined;
  if (coarseNames && coarseLabels) {
    const parent = new Int32Array(fineNames.length).fill(-1);
    for (let i = 0; i < labels.length; i++) parent[labels[i]] = coarseLabels[i];
    taxonomy = new Taxonomy(
      ['superclass', 'class'],
      fineNames.map((f, k) => ({ lineage: [parent[k] >= 0 ? coarseNames[parent[k]] : null, f] })),
    );
  }
  const get = (index: number): Sample => {
    if (!(index >= 0 && index < offsets.length))
      throw new CladeError(`index ${index} out of range 0..${offsets.length - 1}`, { file });
    const o = offsets[index];
    const image = planarToHwc(bytes.subarray(o + labelBytes, o + rec), 32, 32, 3);
    const label = labels[index];
    return {
      index,
      id: `${file}#${o / rec}`,
      image,
      label,
      lineage: coarseLabels ? [coarseNames![coarseLabels[index]], fineNames[label]] : undefined,
    };
  };
  return {
    name,
    length: offsets.length,
    get,
    labelNames: fineNames,
    coarseLabelNames: coarseNames,
    labels,
    coarseLabels,
    taxonomy,
    skipped: log.skipped,
  };
}
