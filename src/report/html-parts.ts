import { formatNumber, formatTime } from '../util/progress.ts';
import { formatCell, type ResultTable } from './aggregate.ts';
import { metricEntries } from './summary-table.ts';
import type { CladeResult } from './result-schema.ts';

/**
 * Escapes text for HTML element content and attribute values.
 *
 * @example
 * esc('<b class="x">'); // '&lt;b class=&quot;x&quot;&gt;'
 */
export function esc(s: unknown): string {
  return String(s)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** A stable id fragment from free text. */
export function slug(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'x'
  );
}

export const REPORT_CSS = `
:root { --fg:#1d1d1f; --muted:#666; --line:#e3e3e3; --bg:#fafafa; --accent:#4c78a8; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif; color:var(--fg); background:var(--bg); }
header { padding:20px 32px 12px; background:#fff; border-bottom:1px solid var(--line); }
header h1 { margin:0 0 4px; font-size:22px; }
.meta { color:var(--muted); margin:0; }
nav { padding:8px 32px; background:#fff; border-bottom:1px solid var(--line); font-size:13px; }
nav a { color:var(--accent); text-decoration:none; margin-right:16px; }
main { padding:8px 32px 40px; max-width:1400px; }
h2 { font-size:18px; margin:28px 0 12px; }
h3 { font-size:15px; margin:0 0 8px; }
.plots { display:flex; flex-wrap:wrap; gap:16px; align-items:flex-start; }
figure.clade-plot { margin:0; padding:12px 14px; background:#fff; border:1px solid var(--line); border-radius:8px; max-width:100%; overflow-x:auto; }
figure.clade-plot figcaption { max-width:560px; margin-bottom:6px; color:var(--muted); font-size:12.5px; }
figure.clade-plot figcaption strong { display:block; color:var(--fg); font-size:14px; }
figure.clade-plot svg { display:block; max-width:100%; }
table { border-collapse:collapse; background:#fff; font-size:13px; }
th, td { padding:4px 10px; border-bottom:1px solid var(--line); text-align:left; vertical-align:top; }
th { font-weight:600; background:#f3f3f3; }
td.num { text-align:right; font-variant-numeric:tabular-nums; }
table.comparison td, table.comparison th { white-space:nowrap; }
table.transposed { width:100%; table-layout:fixed; }
table.transposed td, table.transposed th { white-space:normal; overflow-wrap:anywhere; }
.table-wrap { overflow-x:auto; max-width:100%; border:1px solid var(--line); border-radius:6px; margin-bottom:12px; }
figure.clade-plot svg { height:auto; }
.results { display:grid; grid-template-columns:repeat(auto-fill,minmax(420px,1fr)); gap:16px; }
article.clade-result { background:#fff; border:1px solid var(--line); border-radius:8px; padding:14px; min-width:0; }
article.clade-result .kind { display:inline-block; padding:0 8px; margin-left:6px; border-radius:10px; background:#e8eef6; color:#2d4f78; font-size:12px; font-weight:500; }
article.clade-result h4 { margin:12px 0 4px; font-size:12px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); }
code { font-size:12px; }
.empty { color:var(--muted); font-style:italic; }
#headline { padding:4px 32px 8px; background:#fff; border-bottom:1px solid var(--line); }
#headline h2 { margin:12px 0 6px; }
#headline p { margin:4px 0; }
#headline .chance { color:var(--muted); }
#headline .meta { font-size:12px; }
`;

/**
 * An HTML table from a {@link ResultTable}; numeric cells right-aligned.
 *
 * @example
 * htmlTable(aggregateResults(results), 'comparison'); // '<div class="table-wrap"><table class="comparison">…'
 */
export function htmlTable(t: ResultTable, cls = ''): string {
  const head = t.columns.map((c) => `<th>${esc(c)}</th>`).join('');
  const body = t.rows
    .map(
      (r) =>
        `<tr>${t.columns
          .map((c) =>
            typeof r[c] === 'number'
              ? `<td class="num">${esc(formatCell(r[c]))}</td>`
              : `<td>${esc(formatCell(r[c]))}</td>`,
          )
          .join('')}</tr>`,
    )
    .join('\n');
  return `<div class="table-wrap"><table${cls ? ` class="${esc(cls)}"` : ''}><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

/**
 * A wide {@link ResultTable} turned sideways so it fits a page: one row per column of `t` (parameter or metric),
 * one column per result, in groups of `perTable` results (each group its own table).
 *
 * @example
 * transposedTables(aggregateResults(results), 'file'); // '<div class="table-wrap"><table class="comparison transposed">…'
 */
export function transposedTables(t: ResultTable, keyCol: string, perTable = 5): string {
  const fields = t.columns.filter((c) => c !== keyCol);
  const out: string[] = [];
  for (let g = 0; g < t.rows.length; g += perTable) {
    const rows = t.rows.slice(g, g + perTable);
    const head = `<th></th>${rows.map((r) => `<th>${esc(formatCell(r[keyCol]))}</th>`).join('')}`;
    const body = fields
      .filter((c) => rows.some((r) => r[c] !== null && r[c] !== undefined))
      .map(
        (c) =>
          `<tr><th scope="row">${esc(c)}</th>${rows
            .map((r) =>
              typeof r[c] === 'number'
                ? `<td class="num">${esc(formatCell(r[c]))}</td>`
                : `<td>${esc(formatCell(r[c]))}</td>`,
            )
            .join('')}</tr>`,
      )
      .join('\n');
    out.push(
      `<div class="table-wrap"><table class="comparison transposed"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`,
    );
  }
  return out.join('\n');
}

function kvTable(rows: [string, string][], cls: string): string {
  if (!rows.length) return '<p class="empty">none</p>';
  const body = rows
    .map(
      ([k, v]) =>
        `<tr><th scope="row">${esc(k)}</th><td class="${/^[-−]?[\d.]/.test(v) ? 'num' : ''}">${esc(v)}</td></tr>`,
    )
    .join('');
  return `<table class="${cls}"><tbody>${body}</tbody></table>`;
}

function paramText(v: unknown): string {
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

/** One result's card: identity, inputs (with short hashes), params, metrics and timings. */
export function resultCard(label: string, result: CladeResult, file: string | undefined, id: string): string {
  const inputs = result.inputs.length
    ? `<ul>${result.inputs
        .map(
          (i) =>
            `<li><code>${esc(i.path)}</code> — ${esc(bytes(i.bytes))}, sha256 <code title="${esc(i.sha256)}">${esc(i.sha256.slice(0, 12))}…</code></li>`,
        )
        .join('')}</ul>`
    : '<p class="empty">none recorded</p>';
  const params = Object.entries(result.params).map(([k, v]): [string, string] => [k, paramText(v)]);
  const timings = Object.entries(result.timings).map(([k, v]): [string, string] => [k, formatTime(v)]);
  return `<article class="clade-result" id="${esc(id)}" data-kind="${esc(result.kind)}">
<h3>${esc(label)}<span class="kind">${esc(result.kind)}</span></h3>
<p class="meta">${esc(result.createdAt)} · clade ${esc(result.clade.version)}${file ? ` · <code>${esc(file)}</code>` : ''}</p>
<h4>Metrics</h4>${kvTable(metricEntries(result.metrics), 'metrics')}
<h4>Parameters</h4>${kvTable(params, 'params')}
<h4>Inputs</h4>${inputs}
<h4>Timings</h4>${kvTable(timings, 'timings')}
</article>`;
}
