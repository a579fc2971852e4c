import type { TopLevelSpec } from 'vega-lite';
import { CladeError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import type { LabelledResult, PlotSpec } from './plot-specs.ts';

/** Options for the 2-D projection scatter. */
export interface ProjectionOptions {
  /**
   * Rank (key of `projection.labels`) whose labels colour the points. Default: the finest rank (last in the file's
   * order, ranks listed coarse to fine) with 2 to `maxClasses` classes; failing that, the rank with the fewest.
   */
  colorBy?: string;
  /** Points drawn per plot at most (a seeded uniform subsample above it); default 5000. */
  maxPoints?: number;
  /** Classes shown in the legend at most (the rest are drawn grey as "other"); default 20. */
  maxClasses?: number;
  /** Subsampling seed; default 0. */
  seed?: number;
}

/**
 * One scatter per result with a `projection`: the 2-D points coloured by the labels at `colorBy`. Large sets are
 * subsampled (seeded) to `maxPoints`; with more than `maxClasses` classes the most frequent keep their colours and
 * the rest are drawn grey as "other". Throws `CladeError` naming the result when `colorBy` is not one of its ranks.
 *
 * @example
 * projectionPlots([{ label: 'demo', result }], { colorBy: 'genus' })[0].id; // 'projection'
 */
export function projectionPlots(
  rs: LabelledResult[],
  opts: ProjectionOptions = {},
  files: (string | undefined)[] = [],
): PlotSpec[] {
  const maxPoints = opts.maxPoints ?? 5000;
  const maxClasses = opts.maxClasses ?? 20;
  const withProj = rs.map((r, i) => ({ ...r, file: files[i] })).filter((r) => r.result.projection);
  return withProj.map(({ label, result, file }, j) => {
    const p = result.projection!;
    const ranks = Object.keys(p.labels);
    const rank = opts.colorBy ?? defaultRank(p.labels, maxClasses);
    if (rank !== undefined && !(rank in p.labels))
      throw new CladeError(
        `no labels for rank "${rank}" to colour by; this result has: ${ranks.join(', ') || '(none)'}`,
        {
          file: file ?? label,
          field: 'projection.labels',
        },
      );
    const n = p.x.length;
    let idx: ArrayLike<number> = Array.from({ length: n }, (_, i) => i);
    if (n > maxPoints) idx = new Rng(opts.seed ?? 0).permutation(n).slice(0, maxPoints).sort();
    const labels = rank === undefined ? null : p.labels[rank];
    const counts = new Map<string, number>();
    if (labels) for (const l of labels) counts.set(String(l), (counts.get(String(l)) ?? 0) + 1);
    const kept = [...counts.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, maxClasses)
      .map(([k]) => k);
    const keep = new Set(kept);
    const other = counts.size > kept.length;
    const rows = Array.from(idx, (i) => {
      const l = labels ? String(labels[i]) : '';
      return { x: p.x[i], y: p.y[i], label: keep.has(l) ? l : 'other' };
    });
    // Legend in natural label order (numeric labels numerically), "other" last.
    const domain = [...kept].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
    if (other) domain.push('other');
    const palette = kept.length > 10 ? 'category20' : 'tableau10';
    const spec = {
      width: 520,
      height: 420,
      data: { values: rows },
      mark: { type: 'circle', size: n > 2000 ? 10 : n > 500 ? 18 : 30, opacity: 0.75, aria: false },
      encoding: {
        x: {
          field: 'x',
          type: 'quantitative',
          title: `${p.method ?? 'projection'} 1`,
          scale: { zero: false, nice: false, padding: 12 },
          axis: { grid: false },
        },
        y: {
          field: 'y',
          type: 'quantitative',
          title: `${p.method ?? 'projection'} 2`,
          scale: { zero: false, nice: false, padding: 12 },
          axis: { grid: false },
        },
        ...(labels
          ? {
              color: {
                field: 'label',
                type: 'nominal',
                title: rank,
                scale: other
                  ? { domain, range: [...schemeColors(palette, kept.length), '#bbbbbb'] }
                  : { domain, scheme: palette },
                legend: { columns: domain.length > 14 ? 2 : 1, symbolLimit: 0 },
              },
            }
          : { color: { value: '#4c78a8' } }),
      },
    } as TopLevelSpec;
    const sub = n > maxPoints ? ` Showing a seeded random ${maxPoints} of ${n} points.` : ` ${n} points.`;
    return {
      id: 'projection',
      title: `2-D projection${withProj.length > 1 ? ` — ${label}` : ''}, coloured by ${rank ?? 'nothing'}`,
      caption: `${p.method ?? 'Projected'} embedding in two dimensions, each point coloured by its ${rank ?? ''} label.${sub}${other ? ` The ${maxClasses} largest classes are coloured; the remaining ${counts.size - kept.length} are grey ("other").` : ''}`,
      spec,
      key: `projection-${j}`,
      colorBy: rank,
    };
  });
}

/**
 * The rank to colour by when none is chosen: the finest rank (last key) with 2..maxClasses distinct labels,
 * else the rank with the fewest distinct labels; undefined when there are no ranks.
 *
 * @example
 * defaultRank({ family: ['a', 'b'], species: ['x', 'y'] }, 20); // 'species'
 */
export function defaultRank(
  labels: Record<string, ArrayLike<string | number>>,
  maxClasses = 20,
): string | undefined {
  const distinct = Object.entries(labels).map(([k, v]) => [k, new Set(Array.from(v, String)).size] as const);
  const fits = distinct.filter(([, d]) => d >= 2 && d <= maxClasses);
  if (fits.length) return fits[fits.length - 1][0];
  return [...distinct].sort((a, b) => a[1] - b[1])[0]?.[0];
}

const TABLEAU10 = [
  '#4c78a8',
  '#f58518',
  '#e45756',
  '#72b7b2',
  '#54a24b',
  '#eeca3b',
  '#b279a2',
  '#ff9da6',
  '#9d755d',
  '#bab0ac',
];
const CATEGORY20 = [
  '#1f77b4',
  '#aec7e8',
  '#ff7f0e',
  '#ffbb78',
  '#2ca02c',
  '#98df8a',
  '#d62728',
  '#ff9896',
  '#9467bd',
  '#c5b0d5',
  '#8c564b',
  '#c49c94',
  '#e377c2',
  '#f7b6d2',
  '#7f7f7f',
  '#c7c7c7',
  '#bcbd22',
  '#dbdb8d',
  '#17becf',
  '#9edae5',
];

function schemeColors(name: 'tableau10' | 'category20', k: number): string[] {
  const base = name === 'tableau10' ? TABLEAU10 : CATEGORY20;
  return Array.from({ length: k }, (_, i) => base[i % base.length]);
}
