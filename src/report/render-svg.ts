import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** Shared look for every clade plot (system fonts, no external resources). */
export const PLOT_CONFIG = {
  font: 'system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif',
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 500, gridColor: '#e8e8e8' },
  // labelLimit 0: whole legend labels (vega-lite cuts them at 160 px with an ellipsis by default)
  legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 500, labelLimit: 0 },
  title: { fontSize: 13, fontWeight: 600, anchor: 'start' },
  view: { stroke: '#ddd' },
} as const;

/**
 * Compiles a vega-lite spec and renders it to a static SVG string in Node (no DOM, no network, no JS in the
 * output). Inline `data.values` only.
 *
 * @example
 * const svg = await renderSpecToSvg({ data: { values: [{ x: 1, y: 2 }] }, mark: 'point',
 *   encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } } });
 * svg.startsWith('<svg'); // true
 */
export async function renderSpecToSvg(spec: TopLevelSpec): Promise<string> {
  const withConfig = { ...spec, config: { ...PLOT_CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec;
  const compiled = compile(withConfig).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  view.logLevel(vega.Error);
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
