import { readFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { didYouMean } from '../../util/suggest.ts';
import { CladeError } from '../../util/errors.ts';
import type { Dataset, OnError, Sample, SkipReport } from '../types.ts';
import { Taxonomy } from '../taxonomy/taxonomy.ts';
import { scientificFromLineage, taxonText, TEXT_TYPES, type TextType } from '../taxonomy/text-types.ts';
import { readBytes, SkipLog } from './files.ts';
import { readCsv } from './csv.ts';

/** Which manifest columns mean what. Every named column must exist in the file. */
export interface ManifestColumns {
  /** Image path, relative to `root` (default: the manifest's folder) unless absolute. */
  readonly image?: string;
  /** Caption columns; a JSONL/Parquet array value gives several captions, a CSV value is split on `captionSeparator`. */
  readonly captions?: readonly string[];
  /** Taxonomy rank columns, coarsest first (any rank names). Missing values become missing ranks. */
  readonly ranks?: readonly string[];
  /** Class column when there are no rank columns (classes = sorted distinct values). */
  readonly label?: string;
  readonly common?: string;
  readonly scientific?: string;
  /** Within-class variant columns, e.g. `['stage', 'sex']`. */
  readonly variants?: readonly string[];
  /** Numeric trait columns. */
  readonly traits?: readonly string[];
  /** Numeric tabular feature columns, in order (F). Missing values become NaN. */
  readonly tabular?: readonly string[];
  /** Other categorical columns, e.g. `['habitat']`. */
  readonly attributes?: readonly string[];
  readonly split?: string;
}

export interface ManifestOptions {
  readonly columns: ManifestColumns;
  /** Default from the extension: `.csv`/`.csv.gz`/`.tsv`, `.jsonl`/`.ndjson`, `.parquet`. */
  readonly format?: 'csv' | 'jsonl' | 'parquet';
  readonly root?: string;
  /** Columns whose value must be present in every row (default: the image column, if any). */
  readonly required?: readonly string[];
  /** Values read as missing (default `''` and `NA`). */
  readonly missing?: readonly string[];
  /**
   * Rows with a missing value in any of these columns are left out (not errors, not in `skipped`; counted in
   * `dropped`), e.g. a table's rows without all its measurements.
   */
  readonly dropMissing?: readonly string[];
  readonly captionSeparator?: string;
  /** Keep only rows whose split column equals this. */
  readonly split?: string;
  /** A class column to use when `columns.label` and `columns.ranks` are not given and the file has it (e.g. `label`). */
  readonly labelIfPresent?: string;
  readonly onError?: OnError;
}

export interface ManifestDataset extends Dataset {
  /** Present when `columns.ranks` is given: one class per distinct lineage, sorted. */
  readonly taxonomy?: Taxonomy;
  readonly classNames: readonly string[];
  readonly labels: Int32Array; /* [N], -1 when the row has no class */
  readonly skipped: readonly SkipReport[];
  /** 1-based data row of each sample in the file (rows skipped or filtered out are absent). */
  readonly rows: readonly number[];
  /** Rows left out by `dropMissing`. */
  readonly dropped: number;
}

type Row = Record<string, unknown>;

/**
 * Reads a manifest (CSV, JSONL or Parquet) of images, captions, taxonomy ranks, variants, traits and tabular
 * features. Images stay encoded (`imagePath`); decode them with `withImage` or in the loader.
 * A missing column throws naming the file and column; a row missing a required value or holding a non-numeric
 * number throws naming file, row and column (or, with `onError: 'skip'`, is skipped and reported).
 *
 * @example
 * const ds = await readManifest('train.parquet', {
 *   columns: { image: 'path', captions: ['caption'], ranks: ['kingdom', 'genus', 'species'], tabular: ['len', 'mass'] },
 * });
 */
export async function readManifest(file: string, opts: ManifestOptions): Promise<ManifestDataset> {
  const format = opts.format ?? formatOf(file);
  const { header, rows } = await readRows(file, format);
  const fallback = opts.labelIfPresent;
  const c: ManifestColumns =
    fallback && !opts.columns.label && !opts.columns.ranks?.length && header.includes(fallback)
      ? { ...opts.columns, label: fallback }
      : opts.columns;
  const named = [
    c.image,
    ...(c.captions ?? []),
    ...(c.ranks ?? []),
    c.label,
    c.common,
    c.scientific,
    ...(c.variants ?? []),
    ...(c.traits ?? []),
    ...(c.tabular ?? []),
    ...(c.attributes ?? []),
    c.split,
  ].filter((x): x is string => !!x);
  for (const name of named)
    if (!header.includes(name))
      throw new CladeError(
        `missing column '${name}'${didYouMean(name, header)} (columns: ${header.join(', ')})`,
        {
          file,
          row: 0,
          column: name,
        },
      );
  const missing = new Set(opts.missing ?? ['', 'NA']);
  const str = (v: unknown): string | null => {
    if (v === null || v === undefined) return null;
    const s = typeof v === 'string' ? v.trim() : String(v);
    return missing.has(s) ? null : s;
  };
  const required = opts.required ?? (c.image ? [c.image] : []);
  const root = opts.root ?? dirname(file);
  for (const name of opts.dropMissing ?? [])
    if (!header.includes(name))
      throw new CladeError(`dropMissing: missing column '${name}'${didYouMean(name, header)}`, {
        file,
        row: 0,
        column: name,
      });
  const log = new SkipLog(opts.onError);
  const kept: { row: Row; n: number }[] = [];
  let dropped = 0;
  rows.forEach((row, i) => {
    const n = i + 1;
    if (opts.dropMissing?.some((col) => str(row[col]) === null)) {
      dropped++;
      return;
    }
    for (const col of required)
      if (str(row[col]) === null)
        return log.bad(new CladeError('required value is missing', { file, row: n, column: col }));
    for (const col of [...(c.traits ?? []), ...(c.tabular ?? [])]) {
      const v = str(row[col]);
      if (v !== null && !Number.isFinite(Number(v)))
        return log.bad(new CladeError(`'${v}' is not a number`, { file, row: n, column: col }));
    }
    if (opts.split !== undefined && c.split && str(row[c.split]) !== opts.split) return;
    kept.push({ row, n });
  });
  if (kept.length === 0)
    throw new CladeError(
      rows.length === 0
        ? 'no rows: the manifest is empty (a header line alone has no samples)'
        : opts.split !== undefined
          ? `no rows with ${c.split} = '${opts.split}' (of ${rows.length})`
          : `no usable rows (all ${rows.length} skipped${dropped ? `, ${dropped} of them for a missing ${opts.dropMissing!.join('/')} value` : ''})`,
      { file },
    );

  // Classes: distinct lineages (ranks) or distinct label values, sorted for a stable order.
  let taxonomy: Taxonomy | undefined;
  let classNames: string[] = [];
  const labels = new Int32Array(kept.length).fill(-1);
  if (c.ranks?.length) {
    const byKey = new Map<string, { lineage: (string | null)[]; common?: string; scientific?: string }>();
    const keys = kept.map(({ row }) => {
      const lineage = c.ranks!.map((r) => str(row[r]));
      if (lineage.every((x) => x === null)) return null;
      const key = lineage.map((x) => x ?? '').join('\u0000');
      if (!byKey.has(key))
        byKey.set(key, {
          lineage,
          common: c.common ? (str(row[c.common]) ?? undefined) : undefined,
          scientific: c.scientific ? (str(row[c.scientific]) ?? undefined) : undefined,
        });
      return key;
    });
    const sorted = [...byKey.keys()].sort();
    const index = new Map(sorted.map((k, i) => [k, i]));
    taxonomy = new Taxonomy(
      c.ranks,
      sorted.map((k) => byKey.get(k)!),
    );
    classNames = sorted.map((_, k) => taxonomy!.scientific(k));
    keys.forEach((k, i) => (labels[i] = k === null ? -1 : index.get(k)!));
  } else if (c.label) {
    const values = kept.map(({ row }) => str(row[c.label!]));
    classNames = [...new Set(values.filter((v): v is string => v !== null))].sort();
    const index = new Map(classNames.map((v, i) => [v, i]));
    values.forEach((v, i) => (labels[i] = v === null ? -1 : index.get(v)!));
  }

  const record = (cols: readonly string[] | undefined, row: Row) =>
    cols?.length
      ? Object.fromEntries(cols.flatMap((k) => (str(row[k]) === null ? [] : [[k, str(row[k])!]])))
      : undefined;
  const get = (index: number): Sample => {
    const k = kept[index];
    if (!k) throw new CladeError(`index ${index} out of range 0..${kept.length - 1}`, { file });
    const { row } = k;
    const img = c.image ? str(row[c.image]) : null;
    const captions = c.captions?.flatMap((col) => {
      const v = row[col];
      if (Array.isArray(v)) return v.map((x) => String(x).trim()).filter((x) => x.length > 0);
      const s = str(v);
      if (s === null) return [];
      return opts.captionSeparator
        ? s
            .split(opts.captionSeparator)
            .map((x) => x.trim())
            .filter((x) => x)
        : [s];
    });
    const lineage = c.ranks?.length ? c.ranks.map((r) => str(row[r])) : undefined;
    const texts = lineage?.some((n) => n !== null)
      ? bioclipTexts(
          lineage,
          c.common ? (str(row[c.common]) ?? undefined) : undefined,
          (c.scientific ? str(row[c.scientific]) : null) ?? scientificFromLineage(c.ranks!, lineage),
        )
      : undefined;
    const traits = c.traits?.length
      ? Object.fromEntries(c.traits.flatMap((t) => (str(row[t]) === null ? [] : [[t, Number(str(row[t]))]])))
      : undefined;
    return {
      index,
      id: img ?? `${file}#${k.n}`,
      imagePath: img === null ? undefined : isAbsolute(img) ? img : join(root, img),
      label: labels[index] >= 0 ? labels[index] : undefined,
      lineage,
      // Without caption columns, the captions are the five BioCLIP 2 text types (TEXT_TYPES order).
      captions: c.captions?.length ? captions : texts ? TEXT_TYPES.map((t) => texts[t]) : undefined,
      texts,
      variants: record(c.variants, row),
      traits,
      attributes: record(c.attributes, row),
      tabular: c.tabular?.length
        ? Float32Array.from(c.tabular, (t) => (str(row[t]) === null ? NaN : Number(str(row[t]))))
        : undefined,
      split: c.split ? (str(row[c.split]) ?? undefined) : undefined,
    };
  };
  const dataRows = kept.map((k) => k.n);
  return {
    name: file,
    length: kept.length,
    get,
    taxonomy,
    classNames,
    labels,
    skipped: log.skipped,
    rows: dataRows,
    dropped,
  };
}

function formatOf(file: string): 'csv' | 'jsonl' | 'parquet' {
  const f = file.toLowerCase().replace(/\.gz$/, '');
  const ext = extname(f);
  if (ext === '.csv' || ext === '.tsv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.parquet') return 'parquet';
  throw new CladeError(
    `unknown manifest format '${ext}'; expected .csv, .tsv, .jsonl, .ndjson or .parquet (or pass format)`,
    { file },
  );
}

async function readRows(
  file: string,
  format: 'csv' | 'jsonl' | 'parquet',
): Promise<{ header: string[]; rows: Row[] }> {
  if (format === 'csv') {
    const t = readCsv(file, { delimiter: /\.tsv(\.gz)?$/i.test(file) ? '\t' : ',' });
    const rows = t.rows.map((r, i) => {
      if (r.length !== t.header.length)
        throw new CladeError(`has ${r.length} fields, header has ${t.header.length}`, {
          file,
          row: i + 1,
          line: t.lines[i],
        });
      return Object.fromEntries(t.header.map((h, k) => [h, r[k]]));
    });
    return { header: [...t.header], rows };
  }
  if (format === 'jsonl') {
    const lines = new TextDecoder().decode(readBytes(file)).split(/\r?\n/);
    const rows: Row[] = [];
    const header = new Set<string>();
    lines.forEach((l, i) => {
      if (!l.trim()) return;
      let v: unknown;
      try {
        v = JSON.parse(l);
      } catch (e) {
        throw new CladeError(`invalid JSON: ${(e as Error).message}`, { file, line: i + 1 });
      }
      if (typeof v !== 'object' || v === null || Array.isArray(v))
        throw new CladeError('expected a JSON object', { file, line: i + 1 });
      for (const k of Object.keys(v)) header.add(k);
      rows.push(v as Row);
    });
    return { header: [...header], rows };
  }
  const buf = readFileSync(file);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length) as ArrayBuffer;
  let rows: Row[];
  try {
    rows = (await parquetReadObjects({ file: ab })) as Row[];
  } catch (e) {
    throw new CladeError(`cannot read Parquet: ${(e as Error).message}`, { file });
  }
  const header = new Set<string>();
  for (const r of rows.slice(0, 1)) for (const k of Object.keys(r)) header.add(k);
  if (rows.length === 0) {
    const { parquetMetadata, parquetSchema } = await import('hyparquet');
    for (const ch of parquetSchema(parquetMetadata(ab)).children) header.add(ch.element.name);
  }
  for (const r of rows) for (const [k, v] of Object.entries(r)) if (typeof v === 'bigint') r[k] = Number(v);
  return { header: [...header], rows };
}

/** The five BioCLIP 2 texts of one row (`a photo of ….`), keyed by type. */
function bioclipTexts(
  lineage: readonly (string | null)[],
  common: string | undefined,
  scientific: string | undefined,
): Record<TextType, string> {
  return Object.fromEntries(
    TEXT_TYPES.map((t) => [t, taxonText(lineage, common, t, { scientific })]),
  ) as Record<TextType, string>;
}
