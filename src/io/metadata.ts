import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { CladeError } from '../util/errors.ts';
import { parseCsv } from './csv.ts';
import { readLanceColumns } from './lance.ts';

export type Cell = string | number | null;

/** A metadata table (labels, lineages, variants, traits, captions, splits) read from CSV, Parquet or Lance. */
export interface MetaTable {
  readonly file: string;
  readonly names: readonly string[];
  readonly columns: Readonly<Record<string, readonly Cell[]>>;
  readonly length: number;
}

/**
 * Reads a CSV (header row required; empty cells → null, numeric-looking cells stay strings), a Parquet file, the
 * `.json` sidecar `clade embed` writes next to an `.npy` (columns `id`, `label`, `label_name`; a label of -1 — no
 * label — is an empty cell), or the non-vector columns of a Lance dataset (`DIR.lance`; empty strings → null).
 *
 * @example
 * const meta = await readMetaTable('meta.csv');
 * meta.columns.species[0];
 */
export async function readMetaTable(path: string): Promise<MetaTable> {
  const ext = extname(path).toLowerCase();
  if (ext === '.lance') {
    const t = await readLanceColumns(path);
    const columns: Record<string, Cell[]> = {};
    for (const k of t.names) columns[k] = t.columns[k].map((v) => (v === '' ? null : toCell(v)));
    return { file: path, names: t.names, columns, length: t.length };
  }
  if (ext === '.parquet') {
    let rows: Record<string, unknown>[];
    try {
      rows = await parquetReadObjects({ file: await asyncBufferFromFile(path) });
    } catch (e) {
      throw new CladeError(`cannot read Parquet: ${(e as Error).message}`, { file: path });
    }
    const names = rows.length ? Object.keys(rows[0]) : [];
    const columns: Record<string, Cell[]> = {};
    for (const k of names) columns[k] = rows.map((r) => toCell(r[k]));
    return { file: path, names, columns, length: rows.length };
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CladeError(`cannot read metadata: ${(e as Error).message}`, { file: path });
  }
  if (ext === '.json') return sidecarTable(text, path);
  return csvTable(text, path, ext === '.tsv' ? '\t' : ',');
}

/** The `.npy` sidecar of `clade embed` (`{ ids, labels, labelNames }`) as a table: id, label, label_name. */
function sidecarTable(text: string, file: string): MetaTable {
  let j: { ids?: unknown; labels?: unknown; labelNames?: unknown };
  try {
    j = JSON.parse(text) as typeof j;
  } catch (e) {
    throw new CladeError(`not JSON: ${(e as Error).message}`, { file });
  }
  if (!Array.isArray(j.ids) || !Array.isArray(j.labels))
    throw new CladeError('expected the .npy sidecar of clade embed, with "ids" and "labels" arrays', {
      file,
    });
  const ids = j.ids as unknown[];
  const labels = j.labels as unknown[];
  if (labels.length !== ids.length)
    throw new CladeError(`${ids.length} ids but ${labels.length} labels`, { file, field: 'labels' });
  const names = Array.isArray(j.labelNames) ? (j.labelNames as unknown[]) : null;
  const label: Cell[] = labels.map((v, i) => {
    if (!Number.isInteger(v))
      throw new CladeError(`expected an integer label, got ${JSON.stringify(v)}`, { file, row: i });
    return (v as number) < 0 ? null : (v as number);
  });
  const labelName: Cell[] = label.map((l, i) => {
    if (l === null || !names) return null;
    const n = names[l as number];
    if (typeof n !== 'string')
      throw new CladeError(`label ${l} has no name in labelNames (${names.length} names)`, { file, row: i });
    return n;
  });
  return {
    file,
    names: ['id', 'label', 'label_name'],
    columns: { id: ids.map((v) => String(v)), label, label_name: labelName },
    length: ids.length,
  };
}

/** Builds a `MetaTable` from CSV text. */
export function csvTable(text: string, file = '<csv>', delimiter = ','): MetaTable {
  const rows = parseCsv(text, file, delimiter);
  if (rows.length === 0) throw new CladeError('empty metadata file (no header row)', { file });
  const names = rows[0].map((s) => s.trim());
  const columns: Record<string, Cell[]> = {};
  for (const k of names) columns[k] = [];
  for (let r = 1; r < rows.length; r++) {
    if (rows[r].length !== names.length)
      throw new CladeError(`expected ${names.length} fields, got ${rows[r].length}`, { file, row: r });
    names.forEach((k, j) => columns[k].push(rows[r][j] === '' ? null : rows[r][j]));
  }
  return { file, names, columns, length: rows.length - 1 };
}

function toCell(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return JSON.stringify(v);
}

/** Returns a column or throws naming the file and the available columns. */
export function column(t: MetaTable, name: string): readonly Cell[] {
  const c = t.columns[name];
  if (!c) throw new CladeError(`no column '${name}' (columns: ${t.names.join(', ')})`, { file: t.file });
  return c;
}

/**
 * Aligns metadata rows to embedding ids: `result[i]` is the table row whose `key` column equals `ids[i]`.
 * Missing ids and duplicate keys throw, naming the id and row. With `basename: true` a path id also matches on its
 * file name.
 *
 * @example
 * const rowOf = joinByKey(ids, meta, 'path');
 */
export function joinByKey(
  ids: readonly string[],
  t: MetaTable,
  key: string,
  opts: { embeddingsFile?: string; basename?: boolean } = {},
): Int32Array {
  const col = column(t, key);
  const index = new Map<string, number>();
  col.forEach((v, r) => {
    if (v === null) return;
    const k = String(v);
    if (index.has(k))
      throw new CladeError(`duplicate ${key} '${k}' (also at row ${index.get(k)})`, { file: t.file, row: r });
    index.set(k, r);
  });
  const base = (s: string) => s.slice(Math.max(s.lastIndexOf('/'), s.lastIndexOf('\\')) + 1);
  if (opts.basename) for (const [k, r] of [...index]) if (!index.has(base(k))) index.set(base(k), r);
  const out = new Int32Array(ids.length);
  ids.forEach((id, i) => {
    const r = index.get(id) ?? (opts.basename ? index.get(base(id)) : undefined);
    if (r === undefined)
      throw new CladeError(`id '${id}' has no metadata row with ${key} = '${id}' in ${t.file}`, {
        file: opts.embeddingsFile,
        row: i,
      });
    out[i] = r;
  });
  return out;
}

/**
 * Encodes a categorical column (optionally through a row map from `joinByKey`) as integer labels.
 * Classes are sorted by name so the encoding is independent of row order. Null cells throw.
 *
 * @example
 * const { labels, classes } = encodeLabels(meta, 'species', rowOf);
 */
export function encodeLabels(
  t: MetaTable,
  name: string,
  rows?: ArrayLike<number>,
): { labels: Int32Array; classes: string[] } {
  const col = column(t, name);
  const n = rows ? rows.length : col.length;
  const vals: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const r = rows ? rows[i] : i;
    const v = col[r];
    if (v === null) throw new CladeError(`empty ${name}`, { file: t.file, row: r });
    vals[i] = String(v);
  }
  const classes = [...new Set(vals)].sort();
  const id = new Map(classes.map((c, k) => [c, k]));
  return { labels: Int32Array.from(vals, (v) => id.get(v)!), classes };
}
