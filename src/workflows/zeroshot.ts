import {
  aggregateByRank,
  applyFilter,
  binProbabilities,
  mistakeSeverity,
  perRankAccuracy,
  rankKey,
  type Lineage,
} from '../analysis/rank-aggregation.ts';
import type { Embeddings } from '../io/embeddings.ts';
import { takeRows } from '../io/embeddings.ts';
import { classEmbeddings, zeroShot, zeroShotEvaluate } from '../analysis/zero-shot.ts';
import { loadEmbeddings } from '../io/load-embeddings.ts';
import { column, joinByKey, readMetaTable } from '../io/metadata.ts';
import { describeInput, makeResult, writeResult, type CladeResult } from '../report/index.ts';
import { CladeError } from '../util/errors.ts';
import { chanceByRank } from '../report/chance.ts';

export interface ZeroShotOptions {
  readonly images: string;
  readonly imageTensor?: string;
  /** Class text embeddings: K·M rows, class-major (M templates per class, averaged after normalising). */
  readonly classText: string;
  readonly classTensor?: string;
  readonly templatesPerClass?: number;
  /** Class table: one row per class, in the class-text order. */
  readonly classes: string;
  readonly classNameCol: string;
  /** Rank columns of the class table, coarse → fine, for rank-aggregated accuracy. */
  readonly rankCols?: readonly string[];
  /** Image metadata and the column naming each image's true class (a value of `classNameCol`). */
  readonly meta: string;
  readonly labelCol: string;
  readonly idCol?: string;
  /** s = exp(logitScale); default 100 (CLIP's trained value). */
  readonly scale?: number;
  /**
   * Keep only the classes whose `column` value is in `values` (pybioclip `--subset`): the softmax renormalises
   * within them, and images of other classes are left out (counted in the result).
   */
  readonly subset?: { readonly column: string; readonly values: readonly string[] };
  /** Abstention (needs `rankCols`): each image is named at the deepest rank whose summed probability ≥ this. */
  readonly abstain?: number;
  /** Binning (pybioclip `--bins`): a table mapping class names (`binClassCol`, default the class column) to bins
   *  (`binCol`, default 'bin'); class probabilities are summed per bin and scored against the true class's bin. */
  readonly bins?: string;
  readonly binClassCol?: string;
  readonly binCol?: string;
  readonly outDir: string;
}

/**
 * `clade zeroshot`: classify image embeddings against class text embeddings (template-ensembled), report top-1,
 * top-5 and mean per-class recall, and — given rank columns — species probabilities summed to every rank
 * (pybioclip's aggregation, docs/methods.md §A.7) with per-rank accuracy and mistake severity (LCA depth).
 */
export async function runZeroShot(o: ZeroShotOptions): Promise<CladeResult> {
  const { embeddings: x0, ids } = await loadEmbeddings(o.images, { name: o.imageTensor });
  const { embeddings: text } = await loadEmbeddings(o.classText, { name: o.classTensor });
  const W0: Embeddings = classEmbeddings(text, { templatesPerClass: o.templatesPerClass ?? 1 });
  const classes = await readMetaTable(o.classes);
  if (classes.length !== W0.n)
    throw new CladeError(
      `${classes.length} class rows but ${W0.n} classes in ${o.classText} (${text.n} rows / ${o.templatesPerClass ?? 1} templates)`,
      { file: o.classes },
    );
  const names = column(classes, o.classNameCol).map((v) => String(v));
  const index = new Map(names.map((n, k) => [n, k]));
  const meta = await readMetaTable(o.meta);
  const rows = o.idCol
    ? joinByKey(ids, meta, o.idCol, { embeddingsFile: o.images, basename: true })
    : Int32Array.from({ length: x0.n }, (_, i) => i);
  if (!o.idCol && meta.length !== x0.n)
    throw new CladeError(`${meta.length} metadata rows but ${x0.n} image embeddings; pass --id-col`, {
      file: o.meta,
    });
  const truthCol = column(meta, o.labelCol);
  const labels0 = Int32Array.from(rows, (r, i) => {
    const k = index.get(String(truthCol[r]));
    if (k === undefined)
      throw new CladeError(`class '${truthCol[r]}' is not in ${o.classes} (${o.classNameCol})`, {
        file: o.meta,
        row: r,
        image: i,
      });
    return k;
  });
  const scale = o.scale ?? 100;
  const params: Record<string, unknown> = {
    scale,
    templatesPerClass: o.templatesPerClass ?? 1,
    rankCols: o.rankCols ?? [],
  };
  let W = W0;
  let x = x0;
  let labels: Int32Array = labels0;
  let classRows: Int32Array = Int32Array.from({ length: W0.n }, (_, k) => k); // class-table row of each kept class
  if (o.subset) {
    const col = column(classes, o.subset.column);
    const allowed = new Set(o.subset.values);
    const mask = Uint8Array.from(col, (v) => (v !== null && allowed.has(String(v)) ? 1 : 0));
    if (!mask.some((v) => v))
      throw new CladeError(`subset ${o.subset.column} ∈ {${o.subset.values.join(', ')}} keeps no class`, {
        file: o.classes,
        option: '--subset',
      });
    const f = applyFilter(W0, mask);
    W = f.W;
    classRows = f.columns;
    const newId = new Int32Array(W0.n).fill(-1);
    classRows.forEach((k, j) => (newId[k] = j));
    const keep = Array.from(labels0.keys()).filter((i) => newId[labels0[i]] >= 0);
    if (!keep.length)
      throw new CladeError('no image belongs to a class of the subset', { file: o.meta, option: '--subset' });
    x = takeRows(x0, keep);
    labels = Int32Array.from(keep, (i) => newId[labels0[i]]);
    params.subset = { column: o.subset.column, values: [...o.subset.values], classes: W.n };
    params.imagesOutsideSubset = x0.n - keep.length;
  }
  const flat = zeroShotEvaluate(x, W, labels);
  const metrics: Record<string, number> = {
    top1: flat.top1,
    top5: flat.top5,
    meanPerClassRecall: flat.meanPerClassRecall,
  };
  let series: Record<string, unknown> = {};
  const probs = o.rankCols?.length || o.abstain !== undefined || o.bins ? zeroShot(x, W, { scale }) : null;
  if (o.abstain !== undefined && !o.rankCols?.length)
    throw new CladeError('abstention needs the class table’s rank columns (--rank-cols)', {
      option: '--abstain',
    });
  if (o.abstain !== undefined && !(o.abstain > 0 && o.abstain <= 1))
    throw new CladeError(`expected a probability in (0, 1], got ${o.abstain}`, { option: '--abstain' });
  if (o.rankCols?.length && probs) {
    const lineages: Lineage[] = Array.from(classRows, (k) =>
      o.rankCols!.map((c) => {
        const v = column(classes, c)[k];
        return v === null ? null : String(v);
      }),
    );
    const truth = Array.from(labels, (k) => lineages[k]);
    const perRank = Object.values(
      perRankAccuracy(probs, W.n, lineages, truth, { ranks: o.rankCols.map((_, r) => r) }),
    );
    o.rankCols.forEach((c, r) => (metrics[`acc_${c}`] = perRank[r]));
    const sev = mistakeSeverity(
      Array.from(flat.predictions, (k) => lineages[k]),
      truth,
    );
    metrics.meanLcaDepth = sev.meanLcaDepth;
    series = {
      rankAccuracy: {
        rank: [...o.rankCols],
        accuracy: { 'zero-shot': perRank },
        chance: chanceByRank(lineages, o.rankCols.length),
      },
    };
    if (o.abstain !== undefined) {
      const a = abstention(probs, W.n, lineages, truth, o.abstain);
      o.rankCols.forEach((c, r) => (metrics[`abstain_at_${c}`] = a.share[r]));
      metrics.abstain_none = a.none;
      metrics.abstain_accuracy = a.accuracy;
      metrics.abstain_meanDepth = a.meanDepth;
      params.abstain = o.abstain;
      series.abstention = {
        x: [...o.rankCols, 'none'],
        y: [...a.share, a.none],
        xTitle: 'deepest rank named (probability ≥ threshold)',
        yTitle: 'share of images',
        title: `Abstention at p ≥ ${o.abstain}`,
        mark: 'bar',
      };
    }
  }
  if (o.bins && probs) {
    const b = await binAccuracy(
      o,
      probs,
      W.n,
      labels,
      Array.from(classRows, (k) => names[k]),
    );
    Object.assign(metrics, b.metrics);
    params.bins = b.params;
  }
  const r = makeResult({
    kind: 'zeroshot',
    name: 'zero-shot',
    inputs: [
      await describeInput(o.images),
      await describeInput(o.classText),
      await describeInput(o.classes),
      await describeInput(o.meta),
      ...(o.bins ? [await describeInput(o.bins)] : []),
    ],
    params,
    metrics,
    series: (Object.keys(series).length ? series : undefined) as never,
  });
  writeResult(o.outDir, r);
  return r;
}

/**
 * Abstention over a test set: each image is named at the deepest rank whose top summed probability clears
 * `threshold` (pybioclip's aggregation, `aggregateByRank`; prefixes compared as tuples). Returns the share of images
 * named at each rank, the share named at none, the accuracy of the named prefixes and their mean depth (1-based).
 */
export function abstention(
  probs: Float32Array /* [N, K] */,
  K: number,
  lineages: readonly Lineage[],
  truth: readonly Lineage[],
  threshold: number,
): { share: number[]; none: number; accuracy: number; meanDepth: number } {
  const R = lineages[0]?.length ?? 0;
  const count = new Array<number>(R).fill(0);
  let none = 0;
  let right = 0;
  let depth = 0;
  for (let i = 0; i < truth.length; i++) {
    const p = probs.subarray(i * K, (i + 1) * K);
    let named = false;
    for (let r = R - 1; r >= 0 && !named; r--) {
      const top = aggregateByRank(p, lineages, r, { k: 1 })[0];
      if (top && top.score >= threshold) {
        named = true;
        count[r]++;
        depth += r + 1;
        if (top.key === rankKey(truth[i], r)) right++;
      }
    }
    if (!named) none++;
  }
  const n = truth.length;
  const namedN = n - none;
  return {
    share: count.map((c) => c / n),
    none: none / n,
    accuracy: namedN ? right / namedN : NaN,
    meanDepth: namedN ? depth / namedN : NaN,
  };
}

/** Bin accuracy (pybioclip `--bins`): probabilities summed per bin, arg-max bin against the true class's bin. */
async function binAccuracy(
  o: ZeroShotOptions,
  probs: Float32Array,
  K: number,
  labels: Int32Array,
  classNames: readonly string[],
): Promise<{ metrics: Record<string, number>; params: Record<string, unknown> }> {
  const t = await readMetaTable(o.bins!);
  const clsCol = column(t, o.binClassCol ?? o.classNameCol);
  const binCol = column(t, o.binCol ?? 'bin');
  const binOf = new Map<string, string>();
  clsCol.forEach((c, r) => {
    if (c === null) return;
    const b = binCol[r];
    if (b === null)
      throw new CladeError(`class '${c}' has no bin`, { file: o.bins, row: r, column: o.binCol ?? 'bin' });
    if (binOf.has(String(c)) && binOf.get(String(c)) !== String(b))
      throw new CladeError(`class '${c}' is in two bins`, { file: o.bins, row: r });
    binOf.set(String(c), String(b));
  });
  const classToBin = classNames.map((c) => binOf.get(c) ?? null);
  if (!classToBin.some((b) => b !== null))
    throw new CladeError('no class of the class table has a bin', { file: o.bins });
  let right = 0;
  let scored = 0;
  for (let i = 0; i < labels.length; i++) {
    const truth = classToBin[labels[i]];
    if (truth === null) continue;
    scored++;
    let best: string | null = null;
    let bestP = -1;
    for (const [b, p] of binProbabilities(probs.subarray(i * K, (i + 1) * K), classToBin))
      if (p > bestP || (p === bestP && best !== null && b < best)) [best, bestP] = [b, p];
    if (best === truth) right++;
  }
  return {
    metrics: { bin_top1: scored ? right / scored : NaN },
    params: {
      file: o.bins,
      bins: [...new Set(classToBin.filter((b): b is string => b !== null))].sort(),
      classesWithoutBin: classToBin.filter((b) => b === null).length,
      imagesScored: scored,
    },
  };
}
