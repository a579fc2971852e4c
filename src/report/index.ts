/**
 * The report layer: result files (one JSON per evaluation), aggregation into CSV/Markdown tables, a terminal summary
 * table and a self-contained HTML report with static SVG plots. See docs/report.md.
 */
export * from './result-schema.ts';
export * from './result-files.ts';
export * from './aggregate.ts';
export * from './summary-table.ts';
export { renderReport, writeReport, type ReportOptions } from './render-report.ts';
export { renderSpecToSvg } from './render-svg.ts';
export type { PlotSpec } from './plot-specs.ts';
