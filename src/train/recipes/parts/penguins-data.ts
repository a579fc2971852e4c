/**
 * The Palmer penguins table (../shared/datasets/palmer-penguins, README there) as `multiview-tabular`'s
 * `dataset: 'palmer-penguins'`: a data SPEC over `<dataDir>/penguins.csv`, trained through the same SPEC path as
 * `recipeConfig.data` (one reader, one pipeline).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CladeError } from '../../../util/errors.ts';

/** The four numeric measurements of penguins.csv, in order: the tabular features (F = 4). */
export const PENGUIN_MEASURES = [
  'bill_length_mm',
  'bill_depth_mm',
  'flipper_length_mm',
  'body_mass_g',
] as const;
/** Share of the complete rows held out (seeded by `seed`) for `train.evalEvery`'s kNN by species. */
export const PENGUIN_VAL_FRACTION = 0.2;

/**
 * The SPEC of `dataset: 'palmer-penguins'`: species is the class (one rank), the four measurements are the tabular
 * features, rows missing any measurement are left out (`dropMissing`: 2 of the 344 birds in the shared file),
 * a seeded 20 % validation split. Errors name the option at fault: a `data` SPEC as well, an image view (the
 * table has no images), a `dataDir` without penguins.csv.
 *
 * @example
 * penguinsDataSpec({ dataDir: '../shared/datasets/palmer-penguins', seed: 0, data: '', views: ['tabular', 'tabular'] });
 * // '../shared/datasets/palmer-penguins/penguins.csv?image=none&ranks=species&tabular=bill_length_mm,…&dropMissing=…&valFraction=0.2&seed=0'
 */
export function penguinsDataSpec(cfg: {
  readonly dataDir: string;
  readonly seed: number;
  readonly data: string;
  readonly views: readonly string[];
}): string {
  if (cfg.data)
    throw new CladeError(
      "give either recipeConfig.data (a SPEC) or recipeConfig.dataset 'palmer-penguins', not both",
      { field: 'recipeConfig.dataset' },
    );
  if (cfg.views.includes('image'))
    throw new CladeError(
      "palmer-penguins has no images: use views ['tabular', 'tabular'] (core 'tabular') or ['text', 'tabular']",
      { field: 'recipeConfig.views' },
    );
  const file = join(cfg.dataDir, 'penguins.csv');
  if (!existsSync(file))
    throw new CladeError('palmer-penguins: no penguins.csv in recipeConfig.dataDir', {
      file,
      field: 'recipeConfig.dataDir',
    });
  const measures = PENGUIN_MEASURES.join(',');
  return (
    `${file}?image=none&ranks=species&tabular=${measures}&dropMissing=${measures}` +
    `&valFraction=${PENGUIN_VAL_FRACTION}&seed=${cfg.seed}`
  );
}
