/**
 * The label tables `clade embed --meta / --classes` writes next to the embeddings, so `clade analyze`,
 * `clade zeroshot` and `clade explore` can be run on its output directly: one row per sample (id, label,
 * name, one column per taxonomic rank) and one row per class (name, ranks).
 */

/** The part of a taxonomy the tables need (structural, so io does not depend on the data layer). */
export interface RankedClasses {
  readonly ranks: readonly string[];
  lineage(k: number): readonly (string | null)[];
}
import { writeFileAtomic } from '../util/atomic-write.ts';
import { csvField } from './csv.ts';

const csv = (rows: readonly (readonly (string | number | null)[])[]) =>
  rows.map((r) => r.map(csvField).join(',')).join('\n') + '\n';

/**
 * Per-sample metadata CSV: `id,label,name[,<rank>...]` (`label` -1 and empty names for unlabelled samples).
 *
 * @example
 * writeSampleMeta('meta.csv', ids, labels, classNames, dataset.taxonomy);
 */
export function writeSampleMeta(
  path: string,
  ids: readonly string[],
  labels: Int32Array /* [N] */,
  classNames: readonly string[] | undefined,
  taxonomy?: RankedClasses,
): void {
  const ranks = taxonomy?.ranks ?? [];
  const rows = ids.map((id, i) => {
    const l = labels[i];
    const lineage = l >= 0 && taxonomy ? taxonomy.lineage(l) : ranks.map(() => null);
    return [id, l, l >= 0 ? (classNames?.[l] ?? String(l)) : null, ...lineage];
  });
  writeFileAtomic(path, csv([['id', 'label', 'name', ...ranks], ...rows]));
}

/**
 * Class table CSV, one row per class in label order: `name[,<rank>...]` (what `clade zeroshot --classes` reads).
 *
 * @example
 * writeClassTable('classes.csv', classNames, dataset.taxonomy);
 */
export function writeClassTable(path: string, classNames: readonly string[], taxonomy?: RankedClasses): void {
  const ranks = taxonomy?.ranks ?? [];
  const rows = classNames.map((n, k) => [n, ...(taxonomy ? taxonomy.lineage(k) : [])]);
  writeFileAtomic(path, csv([['name', ...ranks], ...rows]));
}
