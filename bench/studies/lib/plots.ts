/** SVG line plots for study pages, rendered with the report's vega-lite renderer (static SVG, no scripts). */
import type { TopLevelSpec } from 'vega-lite';
import { renderSpecToSvg } from '../../../src/report/index.ts';

export interface LinePoint {
  readonly x: number | string;
  readonly y: number;
  readonly series: string;
}

/**
 * A line plot of `points` grouped by `series`. `xType` 'ordinal' for categories (ranks, levels), 'quantitative'
 * for numbers; `logX` for a log-scaled x axis.
 */
export function lineSvg(o: {
  title: string;
  x: string;
  y: string;
  points: readonly LinePoint[];
  xType?: 'quantitative' | 'ordinal';
  logX?: boolean;
  yZero?: boolean;
  xSort?: readonly (string | number)[];
}): Promise<string> {
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: o.title,
    width: 420,
    height: 240,
    background: 'white',
    data: { values: o.points.map((p) => ({ ...p })) },
    mark: { type: 'line', point: true },
    encoding: {
      x: {
        field: 'x',
        type: o.xType ?? 'quantitative',
        title: o.x,
        ...(o.logX ? { scale: { type: 'log' } } : {}),
        ...(o.xSort ? { sort: [...o.xSort] } : {}),
      },
      y: { field: 'y', type: 'quantitative', title: o.y, scale: { zero: o.yZero ?? false } },
      color: { field: 'series', type: 'nominal', title: null },
    },
  } as unknown as TopLevelSpec;
  return renderSpecToSvg(spec);
}

/** A grouped bar chart: one bar per `series` within each `x` category. */
export function barSvg(o: {
  title: string;
  x: string;
  y: string;
  points: readonly LinePoint[];
}): Promise<string> {
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: o.title,
    width: 420,
    height: 240,
    background: 'white',
    data: { values: o.points.map((p) => ({ ...p })) },
    mark: 'bar',
    encoding: {
      x: { field: 'x', type: 'nominal', title: o.x },
      xOffset: { field: 'series' },
      y: { field: 'y', type: 'quantitative', title: o.y },
      color: { field: 'series', type: 'nominal', title: null },
    },
  } as unknown as TopLevelSpec;
  return renderSpecToSvg(spec);
}
