import { aggregateByRank, mistakeSeverity, perRankAccuracy } from '../analysis/rank-aggregation.ts';
import { dCorr } from '../analysis/hierarcaps.ts';
import { knnVote } from '../analysis/knn.ts';
import { pca } from '../analysis/pca.ts';
import { radius } from '../analysis/radial.ts';
import { similarityTopK } from '../analysis/top-k.ts';
import { zeroShot, zeroShotEvaluate } from '../analysis/zero-shot.ts';
import { l2Normalize, row, takeRows, type Embeddings } from '../io/embeddings.ts';
import type { Sample } from '../data/types.ts';
import type { SyntheticTaxonomyDataset } from '../data/synthetic/synthetic-taxonomy.ts';
import { makeResult, type CladeResult } from '../report/index.ts';
import { traitOrderByGroup, variantsByGroup } from '../analysis/group-analyses.ts';
import { runAnalyses } from '../analysis/suite.ts';
import { chanceByRank } from '../report/chance.ts';

export interface DemoEmbeddings {
  readonly train: Embeddings;
  readonly trainSamples: readonly Sample[];
  readonly test: Embeddings;
  readonly testSamples: readonly Sample[];
  /** Class text embeddings [K, D] (taxon text type). */
  readonly classText: Embeddings;
  /** Embedding of the empty text (the radial root) [1, D]. */
  readonly root: Embeddings;
  /** Text embeddings of each class's lineage truncated at each rank: [K·R, D], row k·R + r. */
  readonly levels: Embeddings;
  readonly logitScale: number;
}

const timed = <T>(f: () => T): [T, number] => {
  const t0 = performance.now();
  const v = f();
  return [v, (performance.now() - t0) / 1000];
};
const timedAsync = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
  const t0 = performance.now();
  const v = await f();
  return [v, (performance.now() - t0) / 1000];
};
const labelsOf = (s: readonly Sample[]) => Int32Array.from(s, (x) => x.label ?? -1);

/** Run every analysis the demo reports, each as one result (clade.result/1). */
export async function demoAnalyses(ds: SyntheticTaxonomyDataset, e: DemoEmbeddings): Promise<CladeResult[]> {
  const tax = ds.taxonomy;
  const K = tax.classes.length;
  const R = tax.ranks.length;
  const ranks = [...tax.ranks];
  const yTrain = labelsOf(e.trainSamples);
  const yTest = labelsOf(e.testSamples);
  const lineages = tax.classes.map((c) => c.lineage);
  const truth = e.testSamples.map((s) => lineages[s.label!]);
  const rankLabels = (r: number, y: Int32Array) => {
    const m = tax.labelsAt(r);
    return Int32Array.from(y, (k) => m[k]);
  };
  const results: CladeResult[] = [];
  const test = l2Normalize(e.test);
  const train = l2Normalize(e.train);

  // Zero-shot: species probabilities from class texts, summed to every rank (pybioclip's rank aggregation).
  const [zs, tZs] = timed(() => {
    const probs = zeroShot(test, e.classText, { logitScale: Math.log(Math.max(e.logitScale, 1)) });
    const flat = zeroShotEvaluate(test, e.classText, yTest);
    const perRank = perRankAccuracy(probs, K, lineages, truth, { ranks: ranks.map((_, r) => r) });
    const pred = Array.from(flat.predictions, (k) => lineages[k]);
    return {
      flat,
      perRank,
      severity: mistakeSeverity(pred, truth),
      example: aggregateByRank(probs.subarray(0, K), lineages, 1, { k: 3 }),
    };
  });
  const perRankValues = Object.values(zs.perRank); // keyed by generic rank names, in rank order
  results.push(
    makeResult({
      kind: 'zeroshot',
      name: 'zero-shot by rank',
      params: { templates: ['a photo of {taxon}.'], textType: 'taxon', ranks },
      timings: { total: tZs },
      metrics: {
        top1: zs.flat.top1,
        top5: zs.flat.top5,
        meanPerClassRecall: zs.flat.meanPerClassRecall,
        meanLcaDepth: zs.severity.meanLcaDepth,
        ...Object.fromEntries(ranks.map((r, i) => [`acc_${r}`, perRankValues[i]])),
      },
      series: {
        rankAccuracy: {
          rank: ranks,
          accuracy: { 'zero-shot': perRankValues },
          chance: chanceByRank(lineages, ranks.length),
        },
      },
    }),
  );

  // kNN (k = 200 weighted, T = 0.1), species and each coarser rank.
  // One neighbour search (train and test are L2-normalised above), one vote per rank.
  const [knn, tKnn] = await timedAsync(async () => {
    const nn = await similarityTopK(test, train, 200);
    return ranks.map(
      (_, r) => knnVote(nn, rankLabels(r, yTrain), rankLabels(r, yTest), { temperature: 0.1 }).top1,
    );
  });
  // The linear probe (species) and the cluster structure are the analysis table's entries, as in `clade analyze`.
  const [probe, cluster] = await runAnalyses({ train, trainLabels: yTrain, test, testLabels: yTest }, [
    'linear-probe',
    'cluster',
  ]);
  results.push(
    makeResult({
      kind: 'knn',
      name: 'kNN (k=200, T=0.1)',
      params: { k: 200, temperature: 0.1 },
      timings: { total: tKnn },
      metrics: Object.fromEntries(ranks.map((r, i) => [`acc_${r}`, knn[i]])),
      series: {
        rankAccuracy: { rank: ranks, accuracy: { kNN: knn }, chance: chanceByRank(lineages, ranks.length) },
      },
    }),
    makeResult({ ...probe, name: 'linear probe (species)' }),
    // RLD at several temperatures, Calinski–Harabasz, class homogeneity curve
    makeResult(cluster),
  );

  // Intra-class variation and trait order (clade's own operationalisation, docs/methods.md §B), through the analysis
  // table's per-group runners (the `variants` and `trait-order` entries of `clade analyze`). As in BioCLIP 2's
  // figures they run over a few related species at a time: each genus with at least 3 species in the test split, whose
  // r = K_g − 1 dimensional inter-species subspace leaves a meaningful complement (random baseline r / D). A genus
  // whose species lack two samples of each variant has no defined shift and is left out.
  const genusOf = tax.labelsAt(R - 2);
  const speciesPerGenus = new Map<number, Set<number>>();
  for (const k of yTest) {
    const g = genusOf[k];
    if (!speciesPerGenus.has(g)) speciesPerGenus.set(g, new Set());
    speciesPerGenus.get(g)!.add(k);
  }
  const group = Array.from(yTest, (k) =>
    speciesPerGenus.get(genusOf[k])!.size >= 3 ? String(genusOf[k]) : null,
  );
  const variant = (name: 'stage' | 'sex') => e.testSamples.map((s) => s.variants?.[name] ?? null);
  const tryRun = <T>(f: () => T): T | null => {
    try {
      return f();
    } catch {
      return null;
    }
  };
  const vStage = tryRun(() => variantsByGroup(test, yTest, variant('stage'), ['juvenile', 'adult'], group));
  const vSex = tryRun(() => variantsByGroup(test, yTest, variant('sex'), ['female', 'male'], group));
  const traits = tryRun(() =>
    traitOrderByGroup(
      test,
      yTest,
      Array.from(yTest, (k) => ds.species[k].beakMean),
      group,
    ),
  );
  results.push(
    makeResult({
      kind: 'orthogonality',
      name: 'intra-class variation and trait order (clade-defined)',
      params: {
        variants: ['stage', 'sex'],
        groups: 'genera with ≥ 3 species in the test split',
        split: 'test',
        note: "clade's own operationalisation (docs/methods.md §B)",
      },
      metrics: {
        stage_meanRatio: vStage?.meanRatio ?? NaN,
        stage_meanAngleDeg: vStage?.meanAngleDeg ?? NaN,
        stage_meanFisher: vStage?.meanFisher ?? NaN,
        sex_meanRatio: vSex?.meanRatio ?? NaN,
        randomBaseline: vStage?.randomBaseline ?? NaN,
        traitOrder_meanAbsSpearman: traits
          ? traits.runs.reduce((a, r) => a + Math.abs(r.spearman), 0) / traits.runs.length
          : NaN,
      },
      series: vStage
        ? {
            orthogonality: {
              class: vStage.perClass.map((c) => ds.classNames[c.cls] ?? String(c.cls)),
              ratio: vStage.perClass.map((c) => c.ratio),
              angle: vStage.perClass.map((c) => c.angleDeg),
              baseline: vStage.randomBaseline,
            },
          }
        : undefined,
    }),
  );

  // Radial geometry: radius of each taxonomic level's text around the empty-text root; d_corr over lineages.
  const rootVec = row(l2Normalize(e.root), 0);
  const lv = l2Normalize(e.levels);
  const radii = Array.from({ length: K }, (_, k) => ranks.map((_, r) => radius(row(lv, k * R + r), rootVec)));
  const meanRadius = ranks.map((_, r) => radii.reduce((s, x) => s + x[r], 0) / K);
  results.push(
    makeResult({
      kind: 'radial',
      name: 'radius by taxonomic level',
      metrics: {
        dCorr: dCorr(radii),
        ...Object.fromEntries(ranks.map((r, i) => [`radius_${r}`, meanRadius[i]])),
      },
      series: { radiusByLevel: { level: ranks, radius: meanRadius } },
    }),
  );

  // 2-D projection for the report, coloured by every rank.
  const proj = pca(test, 2);
  results.push(
    makeResult({
      kind: 'projection',
      name: 'PCA of test image embeddings',
      metrics: { points: test.n },
      projection: {
        method: 'pca',
        x: Array.from({ length: proj.n }, (_, i) => proj.data[i * 2]),
        y: Array.from({ length: proj.n }, (_, i) => proj.data[i * 2 + 1]),
        labels: Object.fromEntries(
          ranks.map((r, ri) => [r, e.testSamples.map((s) => tax.nameAt(s.label!, ri) ?? '?')]),
        ),
      },
    }),
  );
  return results;
}
