import { formatNumber, formatTime } from '../util/progress.ts';
import { asLoaded, resultLabel, type ResultLike } from './result-files.ts';

/**
 * Metrics of a result as display pairs: records flattened (`accuracy.genus`), lists as mean ± std.
 *
 * @example
 * metricEntries({ top1: 0.5, acc: { genus: 0.9 }, folds: [0.1, 0.3] });
 * // [['top1', '0.5000'], ['acc.genus', '0.9000'], ['folds', '0.2000 ± 0.1000 (n=2)']]
 */
export function metricEntries(metrics: Record<string, unknown>): [string, string][] {
  const out: [string, string][] = [];
  const fmt = (v: unknown) => (typeof v === 'number' ? formatNumber(v) : v === null ? '–' : String(v));
  for (const [k, v] of Object.entries(metrics)) {
    if (Array.isArray(v)) {
      const xs = v.filter((x): x is number => typeof x === 'number');
      if (!xs.length) out.push([k, '–']);
      else {
        const m = xs.reduce((a, b) => a + b, 0) / xs.length;
        const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
        out.push([
          k,
          xs.length > 1 ? `${formatNumber(m)} ± ${formatNumber(sd)} (n=${xs.length})` : formatNumber(m),
        ]);
      }
    } else if (v && typeof v === 'object') {
      for (const [kk, vv] of Object.entries(v)) out.push([`${k}.${kk}`, fmt(vv)]);
    } else out.push([k, fmt(v)]);
  }
  return out;
}

/**
 * A plain-text table for the terminal: one block per result (label, kind, total time), one line per metric.
 * Options: `maxMetrics` per result (default 12; the rest are counted), `color` adds bold headers (default: off).
 *
 * @example
 * console.log(formatSummaryTable(results));
 * // result     kind      metric            value
 * // ---------  --------  ----------------  ------
 * // demo       knn       top1              0.8100
 * //                      top5              0.9500
 * // demo       zeroshot  accuracy.genus    0.9000   (2.1s)
 */
export function formatSummaryTable(
  results: readonly ResultLike[],
  opts: { maxMetrics?: number; color?: boolean } = {},
): string {
  const maxMetrics = opts.maxMetrics ?? 12;
  const rows: string[][] = [];
  for (const r of results) {
    const { result } = asLoaded(r);
    const entries = metricEntries(result.metrics);
    const shown = entries.slice(0, maxMetrics);
    if (entries.length > maxMetrics) shown.push(['…', `${entries.length - maxMetrics} more`]);
    if (!shown.length) shown.push(['(no metrics)', '']);
    const total = Object.values(result.timings).reduce((a, b) => a + b, 0);
    const time = Object.keys(result.timings).length ? formatTime(total) : '';
    shown.forEach(([m, v], i) =>
      rows.push(i === 0 ? [resultLabel(r), result.kind, m, v, time] : ['', '', m, v, '']),
    );
  }
  const header = ['result', 'kind', 'metric', 'value', 'time'];
  const width = header.map((h, j) => Math.max(h.length, ...rows.map((row) => row[j].length)));
  const line = (row: string[]) =>
    row
      .map((c, j) => (j === 3 || j === 4 ? c.padStart(width[j]) : c.padEnd(width[j])))
      .join('  ')
      .trimEnd();
  const head = line(header);
  const out = [
    opts.color ? `\x1b[1m${head}\x1b[0m` : head,
    width.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map(line),
  ];
  return out.join('\n');
}
