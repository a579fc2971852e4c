import { z } from 'zod';
import { CladeError } from '../util/errors.ts';

/**
 * The result-file schema: one JSON document per evaluation run (CLIP_benchmark's "one JSON per run" pattern).
 *
 * Numbers that are not defined (NaN, ±Infinity) are stored as `null`; JSON has no NaN.
 *
 * @example
 * {
 *   "schema": "clade.result/1", "kind": "knn", "name": "demo",
 *   "clade": { "version": "0.1.0" }, "createdAt": "2026-11-22T06:30:00.000Z",
 *   "inputs": [{ "path": "emb.npy", "sha256": "ab12…", "bytes": 2048128 }],
 *   "params": { "k": 200, "T": 0.1 }, "timings": { "knn": 1.92 },
 *   "metrics": { "top1": 0.81, "perRank": { "genus": 0.9, "species": 0.81 } },
 *   "series": { "homogeneity": { "p": [1, 10, 100], "fraction": [0.87, 0.8, 0.7] } }
 * }
 */
export const RESULT_SCHEMA_ID = 'clade.result/1';

/** A finite number, or null for "not defined". */
const Num = z.number().nullable();
const Finite = z.number();
const Label = z.union([z.string(), z.number()]);

/** A metric: a scalar, a list (e.g. one value per fold) or a named record (e.g. accuracy per rank). */
export const MetricValueSchema = z.union([Num, z.array(Num), z.record(z.string(), Num)]);

/** JSON-compatible parameter values (hyper-parameters, subsample seeds, model names…). */
const JsonValue: z.ZodType<unknown> = z.lazy(() =>
  z.union([z.string(), Num, z.boolean(), z.array(JsonValue), z.record(z.string(), JsonValue)]),
);

export const InputRefSchema = z.strictObject({
  path: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits'),
  bytes: z.number().int().nonnegative(),
});

/** Class-homogeneity curve: fraction of the p nearest neighbours sharing the label (docs/methods.md E.4). */
export const HomogeneitySeriesSchema = z.strictObject({ p: z.array(Finite), fraction: z.array(Num) });
/** RLD at each temperature T (docs/methods.md E.2). */
export const RldSeriesSchema = z.strictObject({ T: z.array(Finite), rld: z.array(Num) });
/** Accuracy per taxonomic rank, one list per method (e.g. `{ 'zero-shot': [...], kNN: [...] }`). */
export const RankAccuracySeriesSchema = z.strictObject({
  rank: z.array(z.string()),
  accuracy: z.record(z.string(), z.array(Num)),
  /** Chance level at each rank (1 / number of taxa at the rank), drawn beside the bars. */
  chance: z.array(Num).optional(),
});
/** Mean radius (distance from the root embedding) per hierarchy level, optional spread (docs/methods.md C). */
export const RadiusSeriesSchema = z.strictObject({
  level: z.array(Label),
  radius: z.array(Num),
  std: z.array(Num).optional(),
});
/** Per-class orthogonality ratio ρ_s (and angle θ_s in degrees); `baseline` = r / D (docs/methods.md B.3). */
export const OrthogonalitySeriesSchema = z.strictObject({
  class: z.array(z.string()),
  ratio: z.array(Num),
  angle: z.array(Num).optional(),
  baseline: Finite.optional(),
});
/** Any other plot: y against x, drawn as a line (default), bar or point chart. */
export const GenericSeriesSchema = z.strictObject({
  x: z.array(Label),
  y: z.array(Num),
  xTitle: z.string().optional(),
  yTitle: z.string().optional(),
  title: z.string().optional(),
  mark: z.enum(['line', 'bar', 'point']).optional(),
  logX: z.boolean().optional(),
});

export const SeriesSchema = z
  .object({
    homogeneity: HomogeneitySeriesSchema.optional(),
    rld: RldSeriesSchema.optional(),
    rankAccuracy: RankAccuracySeriesSchema.optional(),
    radiusByLevel: RadiusSeriesSchema.optional(),
    orthogonality: OrthogonalitySeriesSchema.optional(),
  })
  .catchall(GenericSeriesSchema);

/** 2-D projection (PCA/UMAP) of the embedded points with their labels at one or more ranks. */
export const ProjectionSchema = z.strictObject({
  method: z.string().optional(),
  x: z.array(Finite),
  y: z.array(Finite),
  labels: z.record(z.string(), z.array(Label)),
});

export const ResultSchema = z
  .strictObject({
    schema: z.literal(RESULT_SCHEMA_ID),
    kind: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'expected a lowercase kind such as "knn" or "zeroshot"'),
    name: z.string().optional(),
    clade: z.looseObject({ version: z.string() }),
    createdAt: z.iso.datetime({ offset: true }),
    inputs: z.array(InputRefSchema),
    params: z.record(z.string(), JsonValue),
    timings: z.record(z.string(), z.number().nonnegative()),
    metrics: z.record(z.string(), MetricValueSchema),
    series: SeriesSchema.optional(),
    projection: ProjectionSchema.optional(),
  })
  .superRefine((r, ctx) => {
    const same = (path: PropertyKey[], n: number, m: number, what: string) => {
      if (n !== m)
        ctx.addIssue({ code: 'custom', path, message: `expected ${n} values (one per ${what}), got ${m}` });
    };
    const s = r.series;
    if (s) {
      if (s.homogeneity)
        same(
          ['series', 'homogeneity', 'fraction'],
          s.homogeneity.p.length,
          s.homogeneity.fraction.length,
          'p',
        );
      if (s.rld) same(['series', 'rld', 'rld'], s.rld.T.length, s.rld.rld.length, 'T');
      if (s.rankAccuracy)
        for (const [k, v] of Object.entries(s.rankAccuracy.accuracy))
          same(['series', 'rankAccuracy', 'accuracy', k], s.rankAccuracy.rank.length, v.length, 'rank');
      if (s.radiusByLevel) {
        same(
          ['series', 'radiusByLevel', 'radius'],
          s.radiusByLevel.level.length,
          s.radiusByLevel.radius.length,
          'level',
        );
        if (s.radiusByLevel.std)
          same(
            ['series', 'radiusByLevel', 'std'],
            s.radiusByLevel.level.length,
            s.radiusByLevel.std.length,
            'level',
          );
      }
      if (s.orthogonality) {
        const o = s.orthogonality;
        same(['series', 'orthogonality', 'ratio'], o.class.length, o.ratio.length, 'class');
        if (o.angle) same(['series', 'orthogonality', 'angle'], o.class.length, o.angle.length, 'class');
      }
      for (const [k, v] of Object.entries(s)) {
        if (v && 'x' in v && 'y' in v)
          same(['series', k, 'y'], (v.x as unknown[]).length, (v.y as unknown[]).length, 'x');
      }
    }
    const p = r.projection;
    if (p) {
      same(['projection', 'y'], p.x.length, p.y.length, 'point');
      for (const [rank, l] of Object.entries(p.labels))
        same(['projection', 'labels', rank], p.x.length, l.length, 'point');
    }
  });

export type InputRef = z.infer<typeof InputRefSchema>;
export type MetricValue = z.infer<typeof MetricValueSchema>;
export type ResultSeries = z.infer<typeof SeriesSchema>;
export type GenericSeries = z.infer<typeof GenericSeriesSchema>;
/** The named series the report knows how to plot (for building results; any other name is a {@link GenericSeries}). */
export interface KnownSeries {
  homogeneity?: z.infer<typeof HomogeneitySeriesSchema>;
  rld?: z.infer<typeof RldSeriesSchema>;
  rankAccuracy?: z.infer<typeof RankAccuracySeriesSchema>;
  radiusByLevel?: z.infer<typeof RadiusSeriesSchema>;
  orthogonality?: z.infer<typeof OrthogonalitySeriesSchema>;
}
export type Projection = z.infer<typeof ProjectionSchema>;
/** One evaluation's result document (see {@link ResultSchema}). */
export type CladeResult = z.infer<typeof ResultSchema>;

/**
 * Formats a zod issue path as a dotted field name.
 *
 * @example
 * fieldName(['series', 'rld', 'T', 3]); // 'series.rld.T[3]'
 */
export function fieldName(path: readonly PropertyKey[]): string {
  let out = '';
  for (const k of path) {
    if (typeof k === 'number') out += `[${k}]`;
    else out += out ? `.${String(k)}` : String(k);
  }
  return out || '(document)';
}

/**
 * Validates a parsed JSON value as a result document; throws `CladeError` naming the file and the first bad field
 * (and listing up to four more problems).
 *
 * @example
 * const r = validateResult(JSON.parse(text), 'runs/knn-1a2b.json');
 * // throws: "runs/knn-1a2b.json: field metrics.top1: expected number, received string"
 */
export function validateResult(value: unknown, file = '(result)'): CladeResult {
  const parsed = ResultSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues;
  const first = issues[0];
  const rest = issues.slice(1, 5).map((i) => `${fieldName(i.path)}: ${i.message}`);
  const more = issues.length > 5 ? `; and ${issues.length - 5} more` : '';
  const extra = rest.length ? ` (also: ${rest.join('; ')}${more})` : '';
  let message = first.message;
  if (first.code === 'unrecognized_keys')
    message = `unknown key(s) ${first.keys.map((k) => `"${k}"`).join(', ')}`;
  throw new CladeError(`${message}${extra}`, { file, field: fieldName(first.path) });
}
