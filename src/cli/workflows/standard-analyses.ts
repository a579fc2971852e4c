import { calinskiHarabasz } from '../../analysis/calinski-harabasz.ts';
import { classHomogeneityCurve } from '../../analysis/class-homogeneity.ts';
import { effectiveRank } from '../../analysis/effective-rank.ts';
import { graphHead } from '../../analysis/graph-head.ts';
import { knnClassify } from '../../analysis/knn.ts';
import { linearHead } from '../../analysis/linear-head.ts';
import { linearProbe } from '../../analysis/linear-probe.ts';
import { relativeLocalDensity } from '../../analysis/rld.ts';
import { simpleShot } from '../../analysis/simple-shot.ts';
import { uniformity } from '../../analysis/alignment-uniformity.ts';
import type { Embeddings } from '../../io/embeddings.ts';
import { makeResult, type CladeResult } from '../../report/index.ts';

/** The label-based analyses `clade analyze` (and the demo) can run, by name. */
export const STANDARD_ANALYSES = [
  'knn',
  'linear-probe',
  'cluster',
  'graph-head',
  'few-shot',
  'geometry',
] as const;
export type StandardAnalysis = (typeof STANDARD_ANALYSES)[number];

export interface LabelledSplit {
  readonly train: Embeddings;
  readonly trainLabels: Int32Array;
  readonly test: Embeddings;
  readonly testLabels: Int32Array;
}

const timed = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
  const t0 = performance.now();
  const v = await f();
  return [v, (performance.now() - t0) / 1000];
};

/**
 * Run the chosen label-based analyses on a train/test split; one `clade.result/1` result per analysis. Every metric
 * runs on its default backend (ONNX Runtime; see docs/analysis.md).
 * kNN uses solo-learn/Lightly's weighted vote (k = 200, T = 0.1); the graph head and linear head follow
 * arXiv 2305.10229 §E.5–E.6 with validation-split selection; few-shot is SimpleShot (1- and 5-shot, 5 folds).
 */
export async function standardAnalyses(
  s: LabelledSplit,
  which: readonly StandardAnalysis[],
  log: (l: string) => void = () => {},
): Promise<CladeResult[]> {
  const out: CladeResult[] = [];
  const has = (a: StandardAnalysis) => which.includes(a);
  if (has('knn')) {
    log('kNN (k = 200, T = 0.1; and majority k = 20)');
    const [w, t1] = await timed(() =>
      knnClassify(s.train, s.trainLabels, s.test, s.testLabels, { k: 200, temperature: 0.1 }),
    );
    const [m, t2] = await timed(() =>
      knnClassify(s.train, s.trainLabels, s.test, s.testLabels, { k: 20, vote: 'majority' }),
    );
    out.push(
      makeResult({
        kind: 'knn',
        name: 'kNN',
        params: { k: 200, temperature: 0.1, majorityK: 20 },
        timings: { weighted: t1, majority: t2 },
        metrics: { top1: w.top1, top5: w.top5, majorityTop1: m.top1 },
      }),
    );
  }
  if (has('linear-probe')) {
    log('linear probe (multinomial logistic regression, L2 chosen on a validation split)');
    const [p, t] = await timed(() => linearProbe(s.train, s.trainLabels, s.test, s.testLabels, { seed: 0 }));
    out.push(
      makeResult({
        kind: 'linear-probe',
        name: 'linear probe',
        params: { lambda: p.lambda },
        timings: { total: t },
        metrics: { top1: p.top1, top5: p.top5, trainTop1: p.trainTop1 },
      }),
    );
  }
  if (has('cluster')) {
    log('RLD, Calinski–Harabasz, class homogeneity');
    const temps = [1, 0.5, 0.2, 0.1];
    const [rld, t] = await timed(() => relativeLocalDensity(s.test, s.testLabels, { temperatures: temps }));
    const ps = [1, 10, 100, 500, 1000].filter((p) => p < s.test.n);
    const curve = await classHomogeneityCurve(s.test, s.testLabels, ps);
    out.push(
      makeResult({
        kind: 'cluster-structure',
        name: 'RLD, CH, class homogeneity',
        params: { temperatures: temps, ps },
        timings: { rld: t },
        metrics: {
          calinskiHarabasz: calinskiHarabasz(s.test, s.testLabels),
          ...Object.fromEntries(temps.map((T, i) => [`rld_T${T}`, rld.rld[i]])),
          ...Object.fromEntries(curve.map((c) => [`homogeneity_p${c.p}`, c.value])),
        },
        series: {
          rld: { T: temps, rld: rld.rld },
          homogeneity: { p: curve.map((c) => c.p), fraction: curve.map((c) => c.value) },
        },
      }),
    );
  }
  if (has('graph-head')) {
    log('GCN graph head vs linear head (validation-split selection)');
    const [g, t1] = await timed(() =>
      graphHead(s.train, s.trainLabels, s.test, s.testLabels, { temperature: 0.1 }),
    );
    const [l, t2] = await timed(() => linearHead(s.train, s.trainLabels, s.test, s.testLabels, {}));
    out.push(
      makeResult({
        kind: 'graph-head',
        name: 'GCN graph head vs linear head',
        params: { temperature: g.temperature, selection: g.selection },
        timings: { graphHead: t1, linearHead: t2 },
        metrics: {
          graphTop1: g.testTop1,
          graphParameters: g.parameters,
          linearTop1: l.testTop1,
          linearParameters: l.parameters,
        },
      }),
    );
  }
  if (has('few-shot')) {
    log('SimpleShot 1- and 5-shot');
    // k-shot needs classes with more than k images; a shot count the data cannot support is left out.
    const shot = (k: number) => {
      try {
        const r = simpleShot(s.test, s.testLabels, { shots: k, folds: 5 });
        return { [`shot${k}_mean`]: r.mean, [`shot${k}_std`]: r.std };
      } catch {
        return {};
      }
    };
    out.push(
      makeResult({
        kind: 'few-shot',
        name: 'SimpleShot',
        params: { folds: 5 },
        metrics: { ...shot(1), ...shot(5) },
      }),
    );
  }
  if (has('geometry')) {
    out.push(
      makeResult({
        kind: 'geometry',
        name: 'uniformity and effective rank',
        metrics: { uniformity: uniformity(s.test), effectiveRank: effectiveRank(s.test) },
      }),
    );
  }
  return out;
}
