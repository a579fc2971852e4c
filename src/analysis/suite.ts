/**
 * The analysis table: every label-based analysis `clade analyze` and `clade demo` run, by name, each a `run` over a
 * labelled train/test split returning one result (kind, name, params, timings, metrics, series) that the report
 * layer writes as a `clade.result/1` file. Every metric runs on the engine path (`backend: 'ort'`: ORT top-k, the
 * three-pass RLD, the ORT softmax objective, the graph head's one-graph training step) unless `backend: 'js'` asks
 * for the float64 reference. docs/analysis.md lists the settings.
 */
import type { Embeddings } from '../io/embeddings.ts';
import { CladeError } from '../util/errors.ts';
import { uniformity } from './alignment-uniformity.ts';
import { attributeSeparation } from './attribute-separation.ts';
import type { Backend } from './backend.ts';
import { calinskiHarabasz } from './calinski-harabasz.ts';
import { classHomogeneityCurve } from './class-homogeneity.ts';
import { effectiveRank } from './effective-rank.ts';
import { graphHead } from './graph-head.ts';
import { knnClassify, type KnnMetric } from './knn.ts';
import { linearHead } from './linear-head.ts';
import { linearProbe } from './linear-probe.ts';
import { multiLabelProbe, scoreMultiLabel } from './multilabel-probe.ts';
import { linearScores } from './softmax-regression.ts';
import { relativeLocalDensity } from './rld.ts';
import { sparseRld, type SparseRldSettings } from './rld-sparse.ts';
import { simpleShot } from './simple-shot.ts';
import { traitOrderByGroup, variantsByGroup } from './group-analyses.ts';

export interface LabelledSplit {
  readonly train: Embeddings;
  readonly trainLabels: Int32Array; /* [Ntrain] */
  readonly test: Embeddings;
  readonly testLabels: Int32Array; /* [Ntest] */
  /** Class names by label id (for per-class series); default the ids. */
  readonly classNames?: readonly string[];
  /** Per-row columns the seeds' analyses (`variants`, `trait-order`, `attribute`) read. */
  readonly annotations?: RowAnnotations;
  /** Binary labels per row for `multilabel-probe`: `[N, L]` 0/1, train and test rows. */
  readonly multiLabel?: { names: readonly string[]; train: Uint8Array; test: Uint8Array };
}

/**
 * Per-row columns for the seeds' analyses. `scope` says which rows the arrays describe and the analyses run on:
 * `test` (the test rows) or `all` (the train rows, then the test rows). A null entry leaves the row out.
 */
export interface RowAnnotations {
  readonly scope: 'test' | 'all';
  /** Variant of each row (e.g. adult / juvenile); the two compared come from `settings.variants`. */
  readonly variant?: readonly (string | null)[];
  /** Group of each row (e.g. genus): `variants` and `trait-order` then run per group and average. */
  readonly group?: readonly (string | null)[];
  /** Trait value of each row (e.g. beak size); a class's value is the mean over its rows. */
  readonly trait?: readonly (number | null)[];
  /** Attribute of each row (e.g. habitat). */
  readonly attribute?: readonly (string | null)[];
}

/** Every setting of the table, recorded in each result's `params`. docs/analysis.md lists them. */
export interface AnalysisSettings {
  readonly knn: { k: number; temperature: number; majorityK: number; metric: KnnMetric };
  /** `method`: `exact` (the dense graph, three passes) or `sparse` (`k` neighbours + a pool of `samples`, clade's). */
  readonly rld: {
    temperatures: readonly number[];
    normalize: boolean;
    method: 'exact' | 'sparse';
    k: number;
    samples: number;
  };
  readonly homogeneity: { ps: readonly number[] };
  readonly probe: { lambdas: readonly number[]; valFraction: number };
  readonly graphHead: { temperature: number };
  /** The two variants `variants` compares (`--variants a,b`). */
  readonly variants: readonly [string, string] | null;
  readonly attribute: { permutations: number; maxPerClass: number };
}

export const DEFAULT_SETTINGS: AnalysisSettings = {
  knn: { k: 200, temperature: 0.1, majorityK: 20, metric: 'cosine' },
  rld: { temperatures: [1, 0.5, 0.2, 0.1], normalize: true, method: 'exact', k: 50, samples: 256 },
  homogeneity: { ps: [1, 10, 100, 500, 1000] },
  probe: { lambdas: [1e-2, 1e-3, 1e-4, 1e-5], valFraction: 0.2 },
  graphHead: { temperature: 0.1 },
  variants: null,
  attribute: { permutations: 100, maxPerClass: 500 },
};

/** Settings with some sections (or fields of a section) replaced. */
export type SettingsOverride = {
  readonly [K in keyof AnalysisSettings]?: AnalysisSettings[K] extends object | null
    ? Partial<NonNullable<AnalysisSettings[K]>> | (AnalysisSettings[K] & null)
    : AnalysisSettings[K];
};

/** `DEFAULT_SETTINGS` with the given sections' fields replaced. */
export function resolveSettings(o: SettingsOverride = {}): AnalysisSettings {
  const out: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    const base = (DEFAULT_SETTINGS as unknown as Record<string, unknown>)[k];
    out[k] = v === null || Array.isArray(v) || base === null ? v : { ...(base as object), ...v };
  }
  return out as unknown as AnalysisSettings;
}

/** One analysis's outcome: what `makeResult` (report layer) needs besides the inputs. */
export interface AnalysisOutcome {
  readonly kind: string;
  readonly name: string;
  readonly params: Record<string, unknown>;
  readonly timings: Record<string, number>;
  readonly metrics: Record<string, number>;
  /** Named series (the report's known ones, or `{ x, y, … }` generic ones); validated when written. */
  readonly series?: Record<string, Record<string, unknown>>;
}

export interface SuiteOptions {
  /** `ort` (default): the engine paths; `js`: the float64 references (small inputs). */
  readonly backend?: Backend;
  readonly seed?: number;
  readonly log?: (line: string) => void;
  readonly settings?: SettingsOverride;
}

interface RunOptions {
  readonly backend: Backend;
  readonly seed: number;
  readonly log: (line: string) => void;
  readonly settings: AnalysisSettings;
}

interface SuiteEntry {
  /** What the analysis measures (shown in `clade analyze --help`). */
  readonly title: string;
  /** The annotation column it reads (`clade analyze` runs it by default when that column is given). */
  readonly needs?: 'variant' | 'trait' | 'attribute' | 'multilabel';
  readonly run: (s: LabelledSplit, o: RunOptions) => Promise<AnalysisOutcome>;
}

/** The rows the seeds' analyses run on (`annotations.scope`), with their labels and annotations. */
function annotatedRows<K extends 'variant' | 'trait' | 'attribute'>(
  s: LabelledSplit,
  need: K,
  option: string,
) {
  const a = s.annotations;
  const col = a?.[need] as NonNullable<RowAnnotations[K]> | undefined;
  if (!a || !col) throw new CladeError(`this analysis needs a ${need} column`, { option });
  const all = a.scope === 'all';
  const n = all ? s.train.n + s.test.n : s.test.n;
  for (const k of ['variant', 'group', 'trait', 'attribute'] as const)
    if (a[k] && a[k].length !== n)
      throw new CladeError(`expected ${n} ${k} values (${a.scope} rows), got ${a[k].length}`);
  const x: Embeddings = all ? { data: concat(s.train.data, s.test.data), n, d: s.test.d } : s.test;
  const labels = all ? Int32Array.from([...s.trainLabels, ...s.testLabels]) : s.testLabels;
  return { x, labels, col, group: a.group, split: all ? 'all rows (train + test)' : 'test' };
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

const mean = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / v.length;

const timed = async <T>(f: () => Promise<T> | T): Promise<[T, number]> => {
  const t0 = performance.now();
  const v = await f();
  return [v, (performance.now() - t0) / 1000];
};

/** The analyses by name, in the order they run. */
export const ANALYSES = {
  knn: {
    title: 'kNN: weighted vote (k = 200, T = 0.1, solo-learn/Lightly) and majority k = 20',
    run: async (s, o) => {
      const K = o.settings.knn;
      const [w, t1] = await timed(() =>
        knnClassify(s.train, s.trainLabels, s.test, s.testLabels, {
          k: K.k,
          temperature: K.temperature,
          metric: K.metric,
          backend: o.backend,
        }),
      );
      const [m, t2] = await timed(() =>
        knnClassify(s.train, s.trainLabels, s.test, s.testLabels, {
          k: K.majorityK,
          vote: 'majority',
          metric: K.metric,
          backend: o.backend,
        }),
      );
      return {
        kind: 'knn',
        name: 'kNN',
        params: { ...K, backend: o.backend, split: 'train → test' },
        timings: { weighted: t1, majority: t2 },
        metrics: {
          top1: w.top1,
          top5: w.top5,
          meanPerClassRecall: w.meanPerClassRecall,
          majorityTop1: m.top1,
        },
      };
    },
  },
  'linear-probe': {
    title: 'linear probe: multinomial logistic regression, L-BFGS, λ chosen on a validation split',
    run: async (s, o) => {
      const P = o.settings.probe;
      const [p, t] = await timed(() =>
        linearProbe(s.train, s.trainLabels, s.test, s.testLabels, {
          seed: o.seed,
          backend: o.backend,
          lambdas: P.lambdas,
          valFraction: P.valFraction,
        }),
      );
      return {
        kind: 'linear-probe',
        name: 'linear probe',
        params: {
          lambdas: [...P.lambdas],
          valFraction: P.valFraction,
          lambda: p.lambda,
          validation: p.validation.map((v) => ({ ...v })),
          backend: o.backend,
          split: `train (seeded ${P.valFraction} of it for λ, then refit on all of it) → test`,
        },
        timings: { total: t },
        metrics: {
          top1: p.top1,
          top5: p.top5,
          meanPerClassRecall: p.meanPerClassRecall,
          trainTop1: p.trainTop1,
        },
      };
    },
  },
  'multilabel-probe': {
    title:
      'multi-label probe (--multilabel-cols): one-vs-rest logistic regression, λ by validation mAP; mAP, macro-F1',
    needs: 'multilabel',
    run: async (s, o) => {
      const m = s.multiLabel;
      if (!m)
        throw new CladeError('this analysis needs binary label columns', { option: '--multilabel-cols' });
      const P = o.settings.probe;
      const L = m.names.length;
      const [r, t] = await timed(() =>
        multiLabelProbe(s.train, m.train, s.test, m.test, L, {
          lambdas: P.lambdas,
          valFraction: P.valFraction,
          seed: o.seed,
        }),
      );
      // per-label AP for the plot
      const scores = linearScores(r.theta, s.test, L);
      const ap = m.names.map((_, l) => {
        const one = new Uint8Array(s.test.n);
        const sc = new Float64Array(s.test.n);
        for (let i = 0; i < s.test.n; i++) [one[i], sc[i]] = [m.test[i * L + l], scores[i * L + l]];
        return scoreMultiLabel(sc, one, 1).mAP;
      });
      return {
        kind: 'multilabel-probe',
        name: 'multi-label linear probe',
        params: {
          labels: [...m.names],
          lambdas: [...P.lambdas],
          valFraction: P.valFraction,
          lambda: r.lambda,
          validation: r.validation.map((v) => ({ ...v })),
          threshold: 'p ≥ 0.5',
          split: `train (seeded ${P.valFraction} of it for λ by mAP, then refit on all of it) → test`,
        },
        timings: { total: t },
        metrics: { mAP: r.mAP, macroF1: r.macroF1, exactMatch: r.exactMatch, labelsScored: r.labelsScored },
        series: {
          averagePrecision: {
            x: [...m.names],
            y: ap,
            xTitle: 'label',
            yTitle: 'average precision (test)',
            title: 'Multi-label probe: AP per label',
            mark: 'bar' as const,
          },
        },
      };
    },
  },
  cluster: {
    title: 'cluster structure: RLD (T = 1, 0.5, 0.2, 0.1), Calinski–Harabasz, class homogeneity curve',
    run: async (s, o) => {
      const { temperatures, normalize, method, k, samples } = o.settings.rld;
      if (method === 'sparse' && !normalize)
        throw new CladeError('the sparse RLD works on L2-normalised features: drop --rld-normalize false', {
          option: '--rld-method',
        });
      const [rld, t1] = await timed<{ rld: number[]; meanDistance: number; sparse?: SparseRldSettings }>(
        () =>
          method === 'sparse'
            ? sparseRld(s.test, s.testLabels, { temperatures, k, samples, seed: o.seed, backend: o.backend })
            : relativeLocalDensity(s.test, s.testLabels, { temperatures, normalize, backend: o.backend }),
      );
      const ps = o.settings.homogeneity.ps.filter((p) => p < s.test.n);
      const [curve, t2] = await timed(() =>
        classHomogeneityCurve(s.test, s.testLabels, ps, { backend: o.backend }),
      );
      const [ch, t3] = await timed(() => calinskiHarabasz(s.test, s.testLabels));
      return {
        kind: 'cluster-structure',
        name: 'RLD, CH, class homogeneity',
        params: {
          temperatures: [...temperatures],
          normalize,
          rldMethod: method,
          ...(rld.sparse ? { rldSparse: { ...rld.sparse, meanDistance: rld.meanDistance } } : {}),
          ps,
          backend: o.backend,
          split: 'test',
        },
        timings: { rld: t1, homogeneity: t2, calinskiHarabasz: t3 },
        metrics: {
          calinskiHarabasz: ch,
          ...Object.fromEntries(temperatures.map((T, i) => [`rld_T${T}`, rld.rld[i]])),
          ...Object.fromEntries(curve.map((c) => [`homogeneity_p${c.p}`, c.value])),
        },
        series: {
          rld: { T: [...temperatures], rld: rld.rld },
          homogeneity: { p: curve.map((c) => c.p), fraction: curve.map((c) => c.value) },
        },
      };
    },
  },
  'graph-head': {
    title:
      'GCN graph head (dense RLD graph, or its kNN sparsification at scale) vs linear head, parameters of each',
    run: async (s, o) => {
      const [g, t1] = await timed(() =>
        graphHead(s.train, s.trainLabels, s.test, s.testLabels, {
          temperature: o.settings.graphHead.temperature,
          seed: o.seed,
          backend: o.backend,
        }),
      );
      const [l, t2] = await timed(() =>
        linearHead(s.train, s.trainLabels, s.test, s.testLabels, { seed: o.seed, backend: o.backend }),
      );
      return {
        kind: 'graph-head',
        name: 'GCN graph head vs linear head',
        params: {
          temperature: g.temperature,
          graph: g.graph,
          selection: g.selection,
          backend: o.backend,
          split: 'train (10 % held out for selection) → test',
        },
        timings: { graphHead: t1, linearHead: t2 }, // the graph's build time is params.graph.seconds
        metrics: {
          graphTop1: g.testTop1,
          graphParameters: g.parameters,
          graphSteps: g.steps,
          linearTop1: l.testTop1,
          linearParameters: l.parameters,
          linearSteps: l.steps,
        },
      };
    },
  },
  'few-shot': {
    title: 'SimpleShot 1- and 5-shot (5 folds)',
    run: async (s) => {
      // k-shot needs classes with more than k images; a shot count the data cannot support is left out.
      const skipped: string[] = [];
      const shot = (k: number) => {
        try {
          const r = simpleShot(s.test, s.testLabels, { shots: k, folds: 5 });
          return { [`shot${k}_mean`]: r.mean, [`shot${k}_std`]: r.std };
        } catch (e) {
          skipped.push(`${k}-shot: ${(e as Error).message}`);
          return {};
        }
      };
      const [metrics, t] = await timed(() => ({ ...shot(1), ...shot(5) }));
      return {
        kind: 'few-shot',
        name: 'SimpleShot',
        params: { folds: 5, split: 'test', skipped },
        timings: { total: t },
        metrics,
      };
    },
  },
  geometry: {
    title: 'uniformity (Wang & Isola) and effective rank',
    run: async (s) => {
      const [metrics, t] = await timed(() => ({
        uniformity: uniformity(s.test),
        effectiveRank: effectiveRank(s.test),
      }));
      return {
        kind: 'geometry',
        name: 'uniformity and effective rank',
        params: { split: 'test' },
        timings: { total: t },
        metrics,
      };
    },
  },
  variants: {
    title:
      "intra-class variation (--variant-col, --variants a,b): orthogonality ratio ρ and angle, Fisher ratio, baseline r/D (clade's, §B.3)",
    needs: 'variant',
    run: async (s, o) => {
      const { x, labels, col, group, split } = annotatedRows(s, 'variant', '--variant-col');
      const pair = o.settings.variants;
      if (!pair) throw new CladeError('name the two variants to compare', { option: '--variants' });
      const [out, t] = await timed(() => variantsByGroup(x, labels, col, pair, group));
      const names = (c: number) => s.classNames?.[c] ?? String(c);
      return {
        kind: 'orthogonality',
        name: `intra-class variation ${pair[0]} vs ${pair[1]} (clade-defined)`,
        params: {
          variants: [...pair],
          groups: out.groups,
          skippedGroups: out.skipped,
          fisherAxis: 'orthogonal (δ⊥)',
          split,
          note: "clade's own operationalisation (docs/methods.md §B); aggregates are unweighted means over classes, then groups",
        },
        timings: { total: t },
        metrics: {
          meanRatio: out.meanRatio,
          meanAngleDeg: out.meanAngleDeg,
          meanFisher: out.meanFisher,
          meanFisherTrace: out.meanFisherTrace,
          randomBaseline: out.randomBaseline,
          classes: out.perClass.length,
        },
        series: {
          orthogonality: {
            class: out.perClass.map((c) => names(c.cls)),
            ratio: out.perClass.map((c) => c.ratio),
            angle: out.perClass.map((c) => c.angleDeg),
            baseline: out.randomBaseline,
          },
        },
      };
    },
  },
  'trait-order': {
    title:
      "trait order (--trait-col): Spearman ρ / Kendall τ-b of class means on PC1 against the trait (clade's, §B.3)",
    needs: 'trait',
    run: async (s, o) => {
      void o;
      const { x, labels, col, group, split } = annotatedRows(s, 'trait', '--trait-col');
      const [out, t] = await timed(() => traitOrderByGroup(x, labels, col, group));
      const names = (c: number) => s.classNames?.[c] ?? String(c);
      const one = out.runs.length === 1 ? out.runs[0] : null;
      return {
        kind: 'trait-order',
        name: 'trait-order correlation (clade-defined)',
        params: {
          groups: out.runs.map((r) => r.group),
          skippedGroups: out.skipped,
          orientation: 'PC1 oriented so that Spearman ρ ≥ 0',
          ...(one ? { classes: one.classes.map(names), traitByClass: one.trait } : {}),
          classValue: 'mean of the rows’ trait values',
          split,
          note: "clade's own operationalisation (docs/methods.md §B item 5)",
        },
        timings: { total: t },
        metrics: {
          spearman: mean(out.runs.map((r) => r.spearman)),
          kendall: mean(out.runs.map((r) => r.kendall)),
          classes: out.runs.reduce((a, r) => a + r.classes.length, 0),
        },
        series: one
          ? {
              traitOrder: {
                x: one.trait,
                y: Array.from(one.positions),
                xTitle: 'trait value (class mean)',
                yTitle: 'class mean on PC1 (oriented)',
                title: `Trait order: class means on PC1 (Spearman ${one.spearman.toFixed(2)})`,
                mark: 'point' as const,
              },
            }
          : {
              traitOrder: {
                x: out.runs.map((r) => r.group),
                y: out.runs.map((r) => r.spearman),
                xTitle: 'group',
                yTitle: 'Spearman ρ (PC1 vs trait)',
                title: 'Trait order per group',
                mark: 'bar' as const,
              },
            },
      };
    },
  },
  attribute: {
    title:
      "attribute separation (--attribute-col, e.g. habitat) between and within classes, permutation baseline (clade's)",
    needs: 'attribute',
    run: async (s, o) => {
      const { x, labels, col, split } = annotatedRows(s, 'attribute', '--attribute-col');
      const A = o.settings.attribute;
      const [r, t] = await timed(() => attributeSeparation(x, labels, col, { ...A, seed: o.seed }));
      const m: Record<string, number> = { values: r.values.length };
      if (r.between)
        Object.assign(m, {
          between_ratio: r.between.ratio,
          between_baseline: r.between.baseline,
          between_p: r.between.p,
          between_classes: r.between.classes,
          mixedClasses: r.between.mixedClasses,
        });
      if (r.within)
        Object.assign(m, {
          within_ratio: r.within.ratio,
          within_baseline: r.within.baseline,
          within_p: r.within.p,
          within_classes: r.within.classes,
        });
      const bars: [string, number][] = [];
      if (r.between)
        bars.push(['between classes', r.between.ratio], ['between, permuted', r.between.baseline]);
      if (r.within) bars.push(['within classes', r.within.ratio], ['within, permuted', r.within.baseline]);
      return {
        kind: 'attribute-separation',
        name: 'attribute separation (clade-defined)',
        params: {
          ...A,
          values: r.values,
          distance: '1 − cos on L2-normalised embeddings',
          betweenSkipped: r.between ? null : 'needs ≥ 2 values and a value shared by ≥ 2 classes',
          withinSkipped: r.within ? null : 'no class holds ≥ 2 values with ≥ 2 rows each',
          split,
          note: "clade's own operationalisation of BioCLIP 2's ecological alignment (docs/methods.md §B)",
        },
        timings: { total: t },
        metrics: m,
        series: {
          attributeSeparation: {
            x: bars.map((b) => b[0]),
            y: bars.map((b) => b[1]),
            xTitle: 'distance ratio (different ÷ same value)',
            yTitle: 'ratio (1 = no separation)',
            title: 'Attribute separation between and within classes',
            mark: 'bar' as const,
          },
        },
      };
    },
  },
} satisfies Record<string, SuiteEntry>;

export type AnalysisName = keyof typeof ANALYSES;
export const ANALYSIS_NAMES = Object.keys(ANALYSES) as AnalysisName[];
/** What an analysis needs beyond embeddings and labels (`undefined`: nothing). */
export const analysisNeeds = (n: AnalysisName): SuiteEntry['needs'] => (ANALYSES[n] as SuiteEntry).needs;

/**
 * Runs the named analyses (table order) on a labelled split, one outcome each.
 *
 * @example
 * const out = await runAnalyses({ train, trainLabels, test, testLabels }, ['knn', 'graph-head']);
 */
export async function runAnalyses(
  split: LabelledSplit,
  names: readonly AnalysisName[],
  opts: SuiteOptions = {},
): Promise<AnalysisOutcome[]> {
  const o: RunOptions = {
    backend: opts.backend ?? 'ort',
    seed: opts.seed ?? 0,
    log: opts.log ?? (() => {}),
    settings: resolveSettings(opts.settings),
  };
  const out: AnalysisOutcome[] = [];
  for (const name of ANALYSIS_NAMES) {
    if (!names.includes(name)) continue;
    o.log(ANALYSES[name].title);
    out.push(await ANALYSES[name].run(split, o));
  }
  return out;
}
