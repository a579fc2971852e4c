import type { TopLevelSpec } from 'vega-lite';
import type { CladeResult } from './result-schema.ts';

/** A plot ready to render: stable id (`data-plot` attribute), title, a sentence on how to read it, and the spec. */
export interface PlotSpec {
  id: string;
  title: string;
  caption: string;
  spec: TopLevelSpec;
  /** Unique element id when several plots share an `id` (e.g. one projection per result). */
  key?: string;
  /** For projections: the rank the points are coloured by. */
  colorBy?: string;
}

/** A result with the label it carries in legends. */
export interface LabelledResult {
  label: string;
  result: CladeResult;
}

export const W = 420;
export const H = 260;
export type Row = Record<string, string | number | null>;

/** A nominal colour encoding; tableau10 up to 10 values, category20 beyond. */
export function colorEnc(field: string, distinct: number, title: string) {
  return {
    field,
    type: 'nominal' as const,
    title,
    sort: null,
    scale: { scheme: distinct > 10 ? 'category20' : 'tableau10' },
  };
}

/** Which series key colours a plot: nothing for one line, else the run label (and method when both vary). */
export function seriesKey(runs: number, methods: number, run: string, method: string): string {
  if (runs > 1 && methods > 1) return `${run} · ${method}`;
  return runs > 1 ? run : method;
}

/** A line-with-points plot of y against x, one line per result (coloured) when there are several. */
export function lineSpec(
  rows: Row[],
  x: { field: string; title: string; log?: boolean; ordinal?: boolean },
  y: { field: string; title: string; domain?: [number, number] },
  runs: number,
): TopLevelSpec {
  return {
    width: W,
    height: H,
    data: { values: rows },
    mark: { type: 'line', point: { filled: true, size: 45 }, strokeWidth: 2 },
    encoding: {
      x: x.ordinal
        ? { field: x.field, type: 'ordinal', title: x.title, sort: null, axis: { labelAngle: 0 } }
        : {
            field: x.field,
            type: 'quantitative',
            title: x.title,
            scale: x.log ? { type: 'log' } : { zero: false },
          },
      y: {
        field: y.field,
        type: 'quantitative',
        title: y.title,
        scale: y.domain ? { domain: y.domain } : { zero: false },
      },
      ...(runs > 1 ? { color: colorEnc('run', runs, 'result') } : {}),
    },
  } as TopLevelSpec;
}
