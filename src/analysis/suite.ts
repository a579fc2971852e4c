/**
 * The analysis table: every label-based analysis `clade analyze` and `clade demo` run, by name, each a `run` over a
 * labelled train/test split returning one result (kind, name, params, timings, metrics, series) that the report
 * layer writes as a `clade.result/1` file. Every metric runs on the engine path (`backend: 'ort'`: ORT top-k, the
 * three-pass RLD, the ORT softmax objective, the graph head's one-graph training step) unless `backend: 'js'` asks
 * for the float64 reference. The entries that read the seeds' per-row annotations are in suite-annotated.ts, what an
 * entry is (split, settings, outcome) in suite-entry.ts. docs/analysis.md lists the settings.
 */
import { CladeError } from '../util/errors.ts';
import { uniformity } from './alignment-uniformity.ts';
import { calinskiHarabasz } from './calinski-harabasz.ts';
import { classHomogeneityCurve } from './class-homogeneity.ts';
import { effectiveRank } from './effective-rank.ts';
import { graphHead } from './graph-head.ts';
import { knnClassify } from './knn.ts';
import { linearHead } from './linear-head.ts';
import { linearProbe } from './linear-probe.ts';
import { multiLabelProbe, scoreMultiLabel } from './multilabel-probe.ts';
import { linearScores } from './softmax-regression.ts';
import { relativeLocalDensity } from './rld.ts';
import { sparseRld, type SparseRldSettings } from './rld-sparse.ts';
import { simpleShot } from './simple-shot.ts';
import { ANNOTATED_ANALYSES } from './suite-annotated.ts';
import {
  resolveSettings,
  timed,
  type AnalysisOutcome,
  type LabelledSplit,
  type RunOptions,
  type SuiteEntry,
  type SuiteOptions,
} from './suite-entry.ts';

export {
  DEFAULT_SETTINGS,
  resolveSettings,
  type AnalysisOutcome,
  type AnalysisSettings,
  type LabelledSplit,
  type RowAnnotations,
  type SettingsOverride,
  type SuiteOptions,
} from './suite-entry.ts';

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
  ...ANNOTATED_ANALYSES,
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
