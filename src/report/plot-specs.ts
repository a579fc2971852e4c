import type { TopLevelSpec } from 'vega-lite';
import {
  colorEnc,
  H,
  lineSpec,
  seriesKey,
  W,
  type LabelledResult,
  type PlotSpec,
  type Row,
} from './plot-common.ts';
import type { GenericSeries } from './result-schema.ts';

export type { LabelledResult, PlotSpec } from './plot-common.ts';

function homogeneity(rs: LabelledResult[]): PlotSpec | null {
  const with_ = rs.filter((r) => r.result.series?.homogeneity);
  if (!with_.length) return null;
  const rows = with_.flatMap(({ label, result }) => {
    const s = result.series!.homogeneity!;
    return s.p.map((p, i) => ({ run: label, p, fraction: s.fraction[i] }));
  });
  return {
    id: 'homogeneity',
    title: 'Class-homogeneity curve',
    caption:
      'Fraction of each point’s p nearest neighbours (cosine, self excluded) that share its label. A slowly falling curve means classes form wide, pure regions; a steep fall means only the closest neighbours agree.',
    spec: lineSpec(
      rows,
      { field: 'p', title: 'neighbourhood size p (log)', log: true },
      { field: 'fraction', title: 'same-label fraction', domain: [0, 1] },
      with_.length,
    ),
  };
}

function rld(rs: LabelledResult[]): PlotSpec | null {
  const with_ = rs.filter((r) => r.result.series?.rld);
  if (!with_.length) return null;
  const rows = with_.flatMap(({ label, result }) => {
    const s = result.series!.rld!;
    return s.T.map((T, i) => ({ run: label, T, rld: s.rld[i] }));
  });
  return {
    id: 'rld',
    title: 'Relative local density against temperature',
    caption:
      'RLD (modularity of the label partition on the mutual soft-kNN graph) at each temperature T. Smaller T looks more locally; high RLD at small T means classes are locally dense even if not globally separated.',
    spec: lineSpec(
      rows,
      { field: 'T', title: 'temperature T (log; smaller = more local)', log: true },
      { field: 'rld', title: 'RLD (modularity)' },
      with_.length,
    ),
  };
}

function rankAccuracy(rs: LabelledResult[]): PlotSpec | null {
  const with_ = rs.filter((r) => r.result.series?.rankAccuracy);
  if (!with_.length) return null;
  const methods = new Set(with_.flatMap((r) => Object.keys(r.result.series!.rankAccuracy!.accuracy)));
  const rows: Row[] = [];
  for (const { label, result } of with_) {
    const s = result.series!.rankAccuracy!;
    for (const [method, acc] of Object.entries(s.accuracy))
      s.rank.forEach((rank, i) =>
        rows.push({ rank, accuracy: acc[i], key: seriesKey(with_.length, methods.size, label, method) }),
      );
  }
  const keys = new Set(rows.map((r) => r.key)).size;
  const ranks = [...new Set(rows.map((r) => r.rank as string))];
  // chance per rank: the first result that records it (results of one dataset share it)
  const chance = new Map<string, number>();
  for (const { result } of with_) {
    const s = result.series!.rankAccuracy!;
    s.chance?.forEach((c, i) => {
      if (c !== null && !chance.has(s.rank[i])) chance.set(s.rank[i], c);
    });
  }
  const x = { field: 'rank', type: 'ordinal', title: 'rank', sort: ranks, axis: { labelAngle: 0 } } as const;
  const bars = {
    data: { values: rows },
    mark: { type: 'bar' },
    encoding: {
      x,
      y: { field: 'accuracy', type: 'quantitative', title: 'accuracy', scale: { domain: [0, 1] } },
      xOffset: { field: 'key', type: 'nominal', sort: null },
      color: colorEnc(
        'key',
        keys,
        keys > 1 && with_.length > 1 ? 'result · method' : with_.length > 1 ? 'result' : 'method',
      ),
    },
  };
  const chanceLayer = {
    data: { values: [...chance].map(([rank, c]) => ({ rank, chance: c })) },
    mark: { type: 'tick', color: '#222', thickness: 2, strokeDash: [4, 2], bandSize: 0.9 },
    encoding: { x, y: { field: 'chance', type: 'quantitative' } },
  };
  return {
    id: 'rank-accuracy',
    title: 'Accuracy per rank',
    caption:
      'Top-1 accuracy at each taxonomic rank (coarse to fine), one bar per method and result' +
      (chance.size ? '; the dashed mark is chance (1 / number of taxa at the rank).' : '.'),
    spec: {
      width: Math.max(W, ranks.length * Math.max(1, keys) * 14),
      height: H,
      layer: chance.size ? [bars, chanceLayer] : [bars],
    } as TopLevelSpec,
  };
}

function radius(rs: LabelledResult[]): PlotSpec | null {
  const with_ = rs.filter((r) => r.result.series?.radiusByLevel);
  if (!with_.length) return null;
  const rows = with_.flatMap(({ label, result }) => {
    const s = result.series!.radiusByLevel!;
    return s.level.map((level, i) => {
      const r = s.radius[i];
      const sd = s.std?.[i];
      const hasBar = r !== null && sd !== null && sd !== undefined;
      return {
        run: label,
        level: String(level),
        radius: r,
        lo: hasBar ? r - sd : null,
        hi: hasBar ? r + sd : null,
      };
    });
  });
  const levels = [...new Set(rows.map((r) => r.level))];
  const color = with_.length > 1 ? { color: colorEnc('run', with_.length, 'result') } : {};
  const x = {
    field: 'level',
    type: 'ordinal',
    title: 'hierarchy level (general → specific)',
    sort: levels,
    axis: { labelAngle: 0 },
  };
  return {
    id: 'radius',
    title: 'Radius by hierarchy level',
    caption:
      'Mean distance of text embeddings from the root embedding at each level (± one standard deviation where given). Radial Embedding expects the radius to grow as concepts get more specific.',
    spec: {
      width: W,
      height: H,
      data: { values: rows },
      layer: [
        {
          mark: { type: 'rule', strokeWidth: 1.5 },
          encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, ...color },
        },
        {
          mark: { type: 'line', point: { filled: true, size: 50 }, strokeWidth: 2 },
          encoding: {
            x,
            y: { field: 'radius', type: 'quantitative', title: 'radius', scale: { zero: false } },
            ...color,
          },
        },
      ],
    } as TopLevelSpec,
  };
}

const RHO_TITLE = 'ratio ρ (lower = orthogonal)';

function orthogonality(rs: LabelledResult[]): PlotSpec | null {
  const with_ = rs.filter((r) => r.result.series?.orthogonality);
  if (!with_.length) return null;
  const rows = with_.flatMap(({ label, result }) => {
    const s = result.series!.orthogonality!;
    return s.class.map((cls, i) => ({
      run: label,
      class: cls,
      ratio: s.ratio[i],
      angle: s.angle?.[i] ?? null,
    }));
  });
  const baselines = with_.flatMap(({ label, result }) => {
    const b = result.series!.orthogonality!.baseline;
    return b === undefined ? [] : [{ run: label, baseline: b }];
  });
  const classes = [...new Set(rows.map((r) => r.class))];
  const multi = with_.length > 1;
  const layers: unknown[] = [
    {
      data: { values: rows },
      mark: { type: 'bar' },
      encoding: {
        x: {
          field: 'class',
          type: 'nominal',
          title: 'class',
          sort: classes,
          axis: { labelAngle: classes.length > 8 ? -45 : 0 },
        },
        y: { field: 'ratio', type: 'quantitative', title: RHO_TITLE },
        ...(multi
          ? {
              xOffset: { field: 'run', type: 'nominal', sort: null },
              color: colorEnc('run', with_.length, 'result'),
            }
          : { color: { value: '#4c78a8' } }),
      },
    },
  ];
  if (baselines.length)
    layers.push({
      data: { values: baselines },
      mark: { type: 'rule', strokeDash: [5, 4], strokeWidth: 1.5, color: '#d62728' },
      encoding: { y: { field: 'baseline', type: 'quantitative', title: RHO_TITLE } },
    });
  return {
    id: 'orthogonality',
    title: 'Orthogonality of within-class variation, per class',
    caption: `Share of each class's variant shift δ that lies in the inter-class subspace (lower = more orthogonal).${baselines.length ? ' Dashed line: random-direction baseline r / D.' : ''}`,
    spec: {
      width: Math.max(W, classes.length * (multi ? with_.length * 12 : 22)),
      height: H,
      layer: layers,
    } as TopLevelSpec,
  };
}

const KNOWN = new Set(['homogeneity', 'rld', 'rankAccuracy', 'radiusByLevel', 'orthogonality']);

function generic(rs: LabelledResult[]): PlotSpec[] {
  const names: string[] = [];
  for (const r of rs)
    for (const k of Object.keys(r.result.series ?? {}))
      if (!KNOWN.has(k) && !names.includes(k)) names.push(k);
  return names.map((name) => {
    const with_ = rs.filter((r) => r.result.series?.[name]);
    const first = with_[0].result.series![name] as GenericSeries;
    const rows = with_.flatMap(({ label, result }) => {
      const s = result.series![name] as GenericSeries;
      return s.x.map((x, i) => ({ run: label, x, y: s.y[i] }));
    });
    const numericX = rows.every((r) => typeof r.x === 'number');
    const mark = first.mark ?? 'line';
    const x =
      numericX && mark !== 'bar'
        ? {
            field: 'x',
            type: 'quantitative',
            title: first.xTitle ?? 'x',
            scale: first.logX ? { type: 'log' } : { zero: false },
          }
        : { field: 'x', type: 'ordinal', title: first.xTitle ?? 'x', sort: null };
    return {
      id: `series-${name}`,
      title: first.title ?? name,
      caption: `Series “${name}” from the result file${with_.length > 1 ? 's' : ''}.`,
      spec: {
        width: W,
        height: H,
        data: { values: rows },
        mark:
          mark === 'line'
            ? { type: 'line', point: rows.length <= 60, strokeWidth: 2 }
            : { type: mark, filled: true },
        encoding: {
          x,
          y: {
            field: 'y',
            type: 'quantitative',
            title: first.yTitle ?? 'y',
            scale: { zero: mark === 'bar' },
          },
          ...(with_.length > 1
            ? {
                color: colorEnc('run', with_.length, 'result'),
                ...(mark === 'bar' ? { xOffset: { field: 'run', sort: null } } : {}),
              }
            : {}),
        },
      } as TopLevelSpec,
    };
  });
}

/**
 * Plot specs for the series in a set of results, each plot combining every result that carries that series
 * (coloured by result label when there are several). Order: per-rank accuracy, homogeneity, RLD, radius,
 * orthogonality, then any other named series.
 *
 * @example
 * seriesPlots([{ label: 'demo', result }]).map((p) => p.id); // ['rank-accuracy', 'homogeneity', 'rld']
 */
export function seriesPlots(rs: LabelledResult[]): PlotSpec[] {
  const out = [rankAccuracy(rs), homogeneity(rs), rld(rs), radius(rs), orthogonality(rs)].filter(
    (p): p is PlotSpec => p !== null,
  );
  return [...out, ...generic(rs)];
}
