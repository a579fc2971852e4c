import { Rng } from '../../util/rng.ts';
import { CladeError } from '../../util/errors.ts';
import type { Dataset, Sample } from '../types.ts';

/** Where a validation split comes from: the rows whose split value is `value`, or a seeded fraction of all rows. */
export type ValidationSpec =
  { readonly column: string; readonly value: string } | { readonly fraction: number; readonly seed: number };

/**
 * Splits a dataset into train and validation subsets (index views; samples are renumbered within each; both keep
 * the dataset's `taxonomy` and `classNames`, the training part its `skipped` report).
 * With a split column, samples whose `split` equals `value` are validation and every other sample is training;
 * with a fraction, `round(fraction · N)` samples chosen by a permutation seeded by `seed` are validation, so the
 * split is the same on every run with that seed.
 *
 * @example
 * const { train, val } = splitTrainVal(ds, { fraction: 0.1, seed: 0 });
 */
export function splitTrainVal(ds: Dataset, v: ValidationSpec): { train: Dataset; val: Dataset } {
  const isVal = new Uint8Array(ds.length);
  if ('column' in v) {
    for (let i = 0; i < ds.length; i++) isVal[i] = ds.get(i).split === v.value ? 1 : 0;
  } else {
    if (!(v.fraction > 0 && v.fraction < 1))
      throw new CladeError(`validation fraction must be in (0, 1), got ${v.fraction}`, {
        field: 'valFraction',
      });
    const perm = new Rng(v.seed).fork('validation-split').permutation(ds.length);
    const n = Math.round(v.fraction * ds.length);
    for (let i = 0; i < n; i++) isVal[perm[i]] = 1;
  }
  // both parts keep the whole dataset's classes and taxonomy (labels stay indices into them) and skip report
  const { taxonomy, classNames, skipped } = ds as Dataset & Record<string, unknown>;
  const pick = (want: number, name: string): Dataset => {
    const idx: number[] = [];
    for (let i = 0; i < ds.length; i++) if (isVal[i] === want) idx.push(i);
    return {
      ...(taxonomy ? { taxonomy } : {}),
      ...(classNames ? { classNames } : {}),
      ...(skipped && want === 0 ? { skipped } : {}),
      name: `${ds.name} (${name})`,
      length: idx.length,
      get: (i: number): Sample => {
        if (!(i >= 0 && i < idx.length))
          throw new CladeError(`index ${i} out of range 0..${idx.length - 1}`, { file: ds.name });
        return { ...ds.get(idx[i]), index: i };
      },
    };
  };
  const val = pick(1, 'validation');
  if ('column' in v && val.length === 0)
    throw new CladeError(`no row has split value '${v.value}'`, { file: ds.name, column: v.column });
  return { train: pick(0, 'train'), val };
}
