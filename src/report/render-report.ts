import { dirname } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { headlineHtml, isRunDir, readRunSummary, trainingPlots } from './run-summary.ts';
import { aggregateResults } from './aggregate.ts';
import { esc, htmlTable, REPORT_CSS, resultCard, slug, transposedTables } from './html-parts.ts';
import { seriesPlots, type LabelledResult, type PlotSpec } from './plot-specs.ts';
import { projectionPlots, type ProjectionOptions } from './projection-plot.ts';
import { renderSpecToSvg } from './render-svg.ts';
import { asLoaded, cladeVersion, resultLabel, type ResultLike } from './result-files.ts';

/** Options for {@link renderReport}. */
export interface ReportOptions extends ProjectionOptions {
  /** Page title; default "clade report". */
  title?: string;
  /** Timestamp printed in the header; default now (pass a fixed date for reproducible output). */
  generatedAt?: Date;
  /** Run directory (config.json + metrics.jsonl) the results come from: adds a headline and the training curves.
   * `writeReport` uses the report's own folder when it is a run directory. */
  run?: string;
}

/** Labels for legends: each result's label; duplicates get their kind, then `#2`, `#3`… */
function uniqueLabels(results: readonly ResultLike[]): string[] {
  const base = results.map((r) => resultLabel(r));
  const count = (xs: string[], x: string) => xs.filter((y) => y === x).length;
  const withKind = base.map((b, i) =>
    count(base, b) > 1 ? `${b} (${asLoaded(results[i]).result.kind})` : b,
  );
  const seen = new Map<string, number>();
  return withKind.map((b) => {
    const n = (seen.get(b) ?? 0) + 1;
    seen.set(b, n);
    return n === 1 ? b : `${b} #${n}`;
  });
}

/** The comparison table: one row per result while it fits the page (≤ 8 columns), else turned sideways. */
function comparison(table: ReturnType<typeof aggregateResults>): string {
  return table.columns.length <= 8 ? htmlTable(table, 'comparison') : transposedTables(table, 'file');
}

async function figure(p: PlotSpec): Promise<string> {
  const svg = await renderSpecToSvg(p.spec);
  const id = `plot-${slug(p.key ?? p.id)}`;
  const extra = p.colorBy !== undefined ? ` data-color-by="${esc(p.colorBy)}"` : '';
  return `<figure class="clade-plot" id="${esc(id)}" data-plot="${esc(p.id)}"${extra}>
<figcaption><strong>${esc(p.title)}</strong>${esc(p.caption)}</figcaption>
${svg}
</figure>`;
}

/**
 * Renders results into one self-contained offline HTML page: every plot is a static inline SVG (vega-lite compiled
 * in Node), styles are inline, and the page loads nothing and runs no script. Plots appear when the results carry
 * the data: 2-D projection (`projection`, coloured by `colorBy`), per-rank accuracy, class-homogeneity curve, RLD
 * against T, radius by level, orthogonality per class, plus any other named series. Each plot sits in
 * `<figure class="clade-plot" data-plot="<id>">` with ids `projection`, `rank-accuracy`, `homogeneity`, `rld`,
 * `radius`, `orthogonality`, `series-<name>`. Below the plots: a comparison table (one row per result, as
 * `clade results aggregate`) and one card per result with metrics, parameters, inputs and timings.
 *
 * @example
 * const html = await renderReport(readResults('runs/demo'), { colorBy: 'genus' });
 * writeFileAtomic('runs/demo/report.html', html);
 */
export async function renderReport(
  results: readonly ResultLike[],
  opts: ReportOptions = {},
): Promise<string> {
  const title = opts.title ?? 'clade report';
  const labels = uniqueLabels(results);
  const loaded = results.map(asLoaded);
  const labelled: LabelledResult[] = loaded.map((r, i) => ({ label: labels[i], result: r.result }));
  const run = opts.run ? readRunSummary(opts.run) : null;
  const plots = [
    ...(run ? trainingPlots(run) : []),
    ...projectionPlots(
      labelled,
      opts,
      loaded.map((r) => r.file),
    ),
    ...seriesPlots(labelled),
  ];
  const figures: string[] = [];
  for (const p of plots) figures.push(await figure(p)); // sequential: keeps memory flat on big projections
  const kinds = [...new Set(loaded.map((r) => r.result.kind))];
  const when = (opts.generatedAt ?? new Date()).toISOString();
  const ids = labels.map((l, i) => `result-${i + 1}-${slug(l)}`);
  const cards = loaded.map((r, i) => resultCard(labels[i], r.result, r.file, ids[i])).join('\n');
  const table = aggregateResults(results);
  const plotSection = figures.length
    ? `<div class="plots">\n${figures.join('\n')}\n</div>`
    : '<p class="empty">These results carry no plot data (series or projection).</p>';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="clade ${esc(cladeVersion())}">
<title>${esc(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<header>
<h1>${esc(title)}</h1>
<p class="meta">${results.length} result${results.length === 1 ? '' : 's'} (${esc(kinds.join(', ') || 'none')}) · generated ${esc(when)} by clade ${esc(cladeVersion())}</p>
</header>
${headlineHtml(run, labelled)}
<nav><a href="#plots">Plots (${figures.length})</a><a href="#comparison">Comparison table</a><a href="#results">Results</a></nav>
<main>
<section id="plots"><h2>Plots</h2>
${plotSection}
</section>
<section id="comparison"><h2>Comparison table</h2>
${results.length ? comparison(table) : '<p class="empty">No results.</p>'}
</section>
<section id="results"><h2>Results</h2>
<div class="results">
${cards}
</div>
</section>
</main>
</body>
</html>
`;
}

/**
 * Renders and writes a report atomically; returns the number of plots.
 *
 * @example
 * await writeReport('report.html', readResults(['runs/a', 'runs/b']), { colorBy: 'species' });
 */
export async function writeReport(
  path: string,
  results: readonly ResultLike[],
  opts: ReportOptions = {},
): Promise<number> {
  const here = dirname(path);
  const html = await renderReport(results, { ...opts, run: opts.run ?? (isRunDir(here) ? here : undefined) });
  writeFileAtomic(path, html);
  return (html.match(/<figure class="clade-plot"/g) ?? []).length;
}
