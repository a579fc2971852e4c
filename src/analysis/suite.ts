/**
 * The analysis table: every label-based analysis `clade analyze` and `clade demo` run, by name, each a `run` over a
 * labelled train/test split returning one result (kind, name, params, timings, metrics, series) that the report
 * layer writes as a `clade.result/1` file. Every metric runs on the engine path (`backend: 'ort'`: ORT top-k, the
 * three-pass RLD, the ORT softmax objective, the graph head's one-graph training step) unless `backend: 'js'` asks
 * for the float64 reference. docs/analysis.md lists the settings.
 */
import type { Embeddings } from '../io/embeddings.ts';
import { uniformity } from './alignment-uniformity.ts';
import type { Backend } from './backend.ts';
import { calinskiHarabasz } from './calinski-harabasz.ts';
import { classHomogeneityCurve } from './class-homogeneity.ts';
import { effectiveRank } from './effective-rank.ts';
import { graphHead } from './graph-head.ts';
import { knnClassify } from './knn.ts';
import { linearHead } from './linear-head.ts';
import { linearProbe } from './linear-probe.ts';
import { relativeLocalDensity } from './rld.ts';
import { simpleShot } from './simple-shot.ts';

export interface LabelledSplit {
  readonly train: Embeddings;
  readonly trainLabels: Int32Array; /* [Ntrain] */
  readonly test: Embeddings;
  readonly testLabels: Int32Array; /* [Ntest] */
}

/** One analysis's outcome: what `makeResult` (report layer) needs besides the inputs. */
export interface AnalysisOutcome {
  readonly kind: string;
  readonly name: string;
  readonly params: Record<string, unknown>;
  readonly timings: Record<string, number>;
  readonly metrics: Record<string, number>;
  readonly series?: Record<string, Record<string, number[]>>;
}

export interface SuiteOptions {
  /** `ort` (default): the engine paths; `js`: the float64 references (small inputs). */
  readonly backend?: Backend;
  readonly seed?: number;
  readonly log?: (line: string) => void;
}

interface SuiteEntry {
  /** What the analysis measures (shown in `clade analyze --help`). */
  readonly title: string;
  readonly run: (s: LabelledSplit, o: Required<SuiteOptions>) => Promise<AnalysisOutcome>;
}

const timed = async <T>(f: () => Promise<T> | T): Promise<[T, number]> => {
  const t0 = performance.now();
  const v = await f();
  return [v, (performance.now() - t0) / 1000];
};

const KNN = { k: 200, temperature: 0.1, majorityK: 20 };
const RLD_TEMPERATURES = [1, 0.5, 0.2, 0.1];
const HOMOGENEITY_PS = [1, 10, 100, 500, 1000];
const GRAPH_TEMPERATURE = 0.1;

/** The analyses by name, in the order they run. */
export const ANALYSES = {
  knn: {
    title: 'kNN: weighted vote (k = 200, T = 0.1, solo-learn/Lightly) and majority k = 20',
    run: async (s, o) => {
      const [w, t1] = await timed(() =>
        knnClassify(s.train, s.trainLabels, s.test, s.testLabels, {
          k: KNN.k,
          temperature: KNN.temperature,
          backend: o.backend,
        }),
      );
      const [m, t2] = await timed(() =>
        knnClassify(s.train, s.trainLabels, s.test, s.testLabels, {
          k: KNN.majorityK,
          vote: 'majority',
          backend: o.backend,
        }),
      );
      return {
        kind: 'knn',
        name: 'kNN',
        params: { ...KNN, backend: o.backend, split: 'train → test' },
        timings: { weighted: t1, majority: t2 },
        metrics: { top1: w.top1, top5: w.top5, majorityTop1: m.top1 },
      };
    },
  },
  'linear-probe': {
    title: 'linear probe: multinomial logistic regression, L-BFGS, λ chosen on a validation split',
    run: async (s, o) => {
      const [p, t] = await timed(() =>
        linearProbe(s.train, s.trainLabels, s.test, s.testLabels, { seed: o.seed, backend: o.backend }),
      );
      return {
        kind: 'linear-probe',
        name: 'linear probe',
        params: { lambda: p.lambda, backend: o.backend, split: 'train (validation split for λ) → test' },
        timings: { total: t },
        metrics: { top1: p.top1, top5: p.top5, trainTop1: p.trainTop1 },
      };
    },
  },
  cluster: {
    title: 'cluster structure: RLD (T = 1, 0.5, 0.2, 0.1), Calinski–Harabasz, class homogeneity curve',
    run: async (s, o) => {
      const [rld, t1] = await timed(() =>
        relativeLocalDensity(s.test, s.testLabels, { temperatures: RLD_TEMPERATURES, backend: o.backend }),
      );
      const ps = HOMOGENEITY_PS.filter((p) => p < s.test.n);
      const [curve, t2] = await timed(() =>
        classHomogeneityCurve(s.test, s.testLabels, ps, { backend: o.backend }),
      );
      const [ch, t3] = await timed(() => calinskiHarabasz(s.test, s.testLabels));
      return {
        kind: 'cluster-structure',
        name: 'RLD, CH, class homogeneity',
        params: { temperatures: RLD_TEMPERATURES, ps, backend: o.backend, split: 'test' },
        timings: { rld: t1, homogeneity: t2, calinskiHarabasz: t3 },
        metrics: {
          calinskiHarabasz: ch,
          ...Object.fromEntries(RLD_TEMPERATURES.map((T, i) => [`rld_T${T}`, rld.rld[i]])),
          ...Object.fromEntries(curve.map((c) => [`homogeneity_p${c.p}`, c.value])),
        },
        series: {
          rld: { T: RLD_TEMPERATURES, rld: rld.rld },
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
          temperature: GRAPH_TEMPERATURE,
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
      const shot = (k: number) => {
        try {
          const r = simpleShot(s.test, s.testLabels, { shots: k, folds: 5 });
          return { [`shot${k}_mean`]: r.mean, [`shot${k}_std`]: r.std };
        } catch {
          return {};
        }
      };
      const [metrics, t] = await timed(() => ({ ...shot(1), ...shot(5) }));
      return {
        kind: 'few-shot',
        name: 'SimpleShot',
        params: { folds: 5, split: 'test' },
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
} satisfies Record<string, SuiteEntry>;

export type AnalysisName = keyof typeof ANALYSES;
export const ANALYSIS_NAMES = Object.keys(ANALYSES) as AnalysisName[];

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
  const o: Required<SuiteOptions> = { backend: 'ort', seed: 0, log: () => {}, ...opts };
  const out: AnalysisOutcome[] = [];
  for (const name of ANALYSIS_NAMES) {
    if (!names.includes(name)) continue;
    o.log(ANALYSES[name].title);
    out.push(await ANALYSES[name].run(split, o));
  }
  return out;
}
