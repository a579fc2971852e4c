import { basename } from 'node:path';
import { formatNumber } from '../util/progress.ts';
import { asLoaded, type ResultLike } from './result-files.ts';

export type Cell = string | number | boolean | null;

/** One row per result; `columns` in display order. */
export interface ResultTable {
  columns: string[];
  rows: Record<string, Cell>[];
}

/** Flattens nested objects to dotted keys, keeping scalars only (arrays are skipped, or joined when short). */
function flatten(v: unknown, prefix: string, out: Record<string, Cell>, opts: { joinArrays: boolean }): void {
  if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') {
    out[prefix] = v;
  } else if (Array.isArray(v)) {
    if (opts.joinArrays && v.length <= 8 && v.every((x) => x === null || typeof x !== 'object'))
      out[prefix] = v.map((x) => String(x)).join(' ');
  } else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}.${k}` : k, out, opts);
  }
}

/**
 * Turns results into a table, one row per result (CLIP_benchmark's `build`): identifying columns (`file`, `kind`,
 * `name`, `inputs`, `createdAt`), then every parameter, then every scalar metric (records flattened as
 * `accuracy.genus`; list-valued metrics are left out), then `time` (sum of timings, seconds). A parameter and a metric
 * with the same name become `params.x` and `metrics.x`.
 *
 * @example
 * const t = aggregateResults(readResults('runs'));
 * t.columns; // ['file', 'kind', 'name', 'inputs', 'createdAt', 'k', 'T', 'top1', 'time']
 */
export function aggregateResults(results: readonly ResultLike[]): ResultTable {
  const paramCols: string[] = [];
  const metricCols: string[] = [];
  const flat = results.map((r) => {
    const { file, result } = asLoaded(r);
    const params: Record<string, Cell> = {};
    const metrics: Record<string, Cell> = {};
    flatten(result.params, '', params, { joinArrays: true });
    flatten(result.metrics, '', metrics, { joinArrays: false });
    for (const k of Object.keys(params)) if (!paramCols.includes(k)) paramCols.push(k);
    for (const k of Object.keys(metrics)) if (!metricCols.includes(k)) metricCols.push(k);
    const time = Object.values(result.timings).reduce((a, b) => a + b, 0);
    const head: Record<string, Cell> = {
      file: file ? basename(file) : null,
      kind: result.kind,
      name: result.name ?? null,
      inputs: result.inputs.map((i) => basename(i.path)).join(' '),
      createdAt: result.createdAt,
    };
    return { head, params, metrics, time: Object.keys(result.timings).length ? time : null };
  });
  const clash = new Set(paramCols.filter((c) => metricCols.includes(c)));
  const fixed = ['file', 'kind', 'name', 'inputs', 'createdAt'];
  const pName = (c: string) => (clash.has(c) || fixed.includes(c) || c === 'time' ? `params.${c}` : c);
  const mName = (c: string) => (clash.has(c) || fixed.includes(c) || c === 'time' ? `metrics.${c}` : c);
  const anyFile = flat.some((f) => f.head.file !== null);
  const anyName = flat.some((f) => f.head.name !== null);
  const anyTime = flat.some((f) => f.time !== null);
  const columns = [
    ...fixed.filter((c) => (c === 'file' ? anyFile : c === 'name' ? anyName : true)),
    ...paramCols.map(pName),
    ...metricCols.map(mName),
    ...(anyTime ? ['time'] : []),
  ];
  const rows = flat.map((f) => {
    const row: Record<string, Cell> = {};
    for (const c of columns) row[c] = null;
    for (const [k, v] of Object.entries(f.head)) if (k in row) row[k] = v;
    for (const [k, v] of Object.entries(f.params)) row[pName(k)] = v;
    for (const [k, v] of Object.entries(f.metrics)) row[mName(k)] = v;
    if (anyTime) row.time = f.time;
    return row;
  });
  return { columns, rows };
}

function csvCell(v: Cell): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * RFC 4180 CSV (full-precision numbers, empty cell for missing/undefined, CRLF-free `\n` line ends).
 *
 * @example
 * writeFileAtomic('table.csv', tableToCsv(aggregateResults(results)));
 */
export function tableToCsv(t: ResultTable): string {
  const lines = [t.columns.map(csvCell).join(',')];
  for (const r of t.rows) lines.push(t.columns.map((c) => csvCell(r[c])).join(','));
  return `${lines.join('\n')}\n`;
}

/**
 * Formats a cell for humans: numbers to ~4 significant decimals, null as '–'.
 *
 * @example
 * formatCell(0.81234567); // '0.8123'
 * formatCell(null);       // '–'
 */
export function formatCell(v: Cell): string {
  if (v === null) return '–';
  if (typeof v === 'number') return formatNumber(v);
  return String(v);
}

/**
 * GitHub-flavoured Markdown table; numeric columns right-aligned, `|` escaped.
 *
 * @example
 * console.log(tableToMarkdown(aggregateResults(results)));
 * // | kind | k   | top1   |
 * // | ---- | --: | -----: |
 * // | knn  | 200 | 0.8100 |
 */
export function tableToMarkdown(t: ResultTable): string {
  const esc = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');
  const cells = t.rows.map((r) => t.columns.map((c) => esc(formatCell(r[c]))));
  const numeric = t.columns.map(
    (c) =>
      t.rows.some((r) => typeof r[c] === 'number') &&
      t.rows.every((r) => r[c] === null || typeof r[c] === 'number'),
  );
  const width = t.columns.map((c, j) => Math.max(3, esc(c).length, ...cells.map((row) => row[j].length)));
  const pad = (s: string, j: number) => (numeric[j] ? s.padStart(width[j]) : s.padEnd(width[j]));
  const lines = [
    `| ${t.columns.map((c, j) => pad(esc(c), j)).join(' | ')} |`,
    `| ${width.map((w, j) => (numeric[j] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`,
    ...cells.map((row) => `| ${row.map(pad).join(' | ')} |`),
  ];
  return `${lines.join('\n')}\n`;
}
