import { mistakeSeverity, perRankAccuracy, type Lineage } from '../analysis/rank-aggregation.ts';
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
  readonly outDir: string;
}

/**
 * `clade zeroshot`: classify image embeddings against class text embeddings (template-ensembled), report top-1,
 * top-5 and mean per-class recall, and — given rank columns — species probabilities summed to every rank
 * (pybioclip's aggregation, methods.md §A.7) with per-rank accuracy and mistake severity (LCA depth).
 */
export async function runZeroShot(o: ZeroShotOptions): Promise<CladeResult> {
  const { embeddings: x, ids } = await loadEmbeddings(o.images, { name: o.imageTensor });
  const { embeddings: text } = await loadEmbeddings(o.classText, { name: o.classTensor });
  const W = classEmbeddings(text, { templatesPerClass: o.templatesPerClass ?? 1 });
  const classes = await readMetaTable(o.classes);
  if (classes.length !== W.n)
    throw new CladeError(
      `${classes.length} class rows but ${W.n} classes in ${o.classText} (${text.n} rows / ${o.templatesPerClass ?? 1} templates)`,
      { file: o.classes },
    );
  const names = column(classes, o.classNameCol).map((v) => String(v));
  const index = new Map(names.map((n, k) => [n, k]));
  const meta = await readMetaTable(o.meta);
  const rows = o.idCol
    ? joinByKey(ids, meta, o.idCol, { embeddingsFile: o.images, basename: true })
    : Int32Array.from({ length: x.n }, (_, i) => i);
  if (!o.idCol && meta.length !== x.n)
    throw new CladeError(`${meta.length} metadata rows but ${x.n} image embeddings; pass --id-col`, {
      file: o.meta,
    });
  const truthCol = column(meta, o.labelCol);
  const labels = Int32Array.from(rows, (r, i) => {
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
  const flat = zeroShotEvaluate(x, W, labels);
  const metrics: Record<string, number> = {
    top1: flat.top1,
    top5: flat.top5,
    meanPerClassRecall: flat.meanPerClassRecall,
  };
  let series: Record<string, unknown> | undefined;
  if (o.rankCols?.length) {
    const lineages: Lineage[] = Array.from({ length: W.n }, (_, k) =>
      o.rankCols!.map((c) => {
        const v = column(classes, c)[k];
        return v === null ? null : String(v);
      }),
    );
    const probs = zeroShot(x, W, { scale });
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
  }
  const r = makeResult({
    kind: 'zeroshot',
    name: 'zero-shot',
    inputs: [
      await describeInput(o.images),
      await describeInput(o.classText),
      await describeInput(o.classes),
      await describeInput(o.meta),
    ],
    params: { scale, templatesPerClass: o.templatesPerClass ?? 1, rankCols: o.rankCols ?? [] },
    metrics,
    series: series as never,
  });
  writeResult(o.outDir, r);
  return r;
}
