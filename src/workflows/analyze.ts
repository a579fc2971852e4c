import { loadEmbeddings } from '../io/load-embeddings.ts';
import { column, encodeLabels, joinByKey, readMetaTable } from '../io/metadata.ts';
import { takeRows, type Embeddings } from '../io/embeddings.ts';
import { describeInput, writeResult, type CladeResult } from '../report/index.ts';
import { CladeError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { standardAnalyses, type StandardAnalysis } from './standard-analyses.ts';

export interface AnalyzeOptions {
  readonly embeddings: string;
  readonly meta: string;
  /** Metadata column holding each embedding's id (path); omitted: rows are matched by position. */
  readonly idCol?: string;
  readonly labelCol: string;
  /** Split column and the values naming train and test rows; omitted: a seeded 80/20 split. */
  readonly splitCol?: string;
  readonly trainSplit?: string;
  readonly testSplit?: string;
  readonly tensor?: string;
  readonly analyses: readonly StandardAnalysis[];
  readonly outDir: string;
  readonly seed?: number;
  readonly log?: (l: string) => void;
}

/**
 * `clade analyze`: embeddings from any supported file (npy, safetensors, Parquet/Arrow, pybioclip JSON) joined to a
 * metadata table, labels from one column, a train/test split, the chosen analyses, one result JSON each.
 */
export async function runAnalyze(o: AnalyzeOptions): Promise<{ results: CladeResult[]; files: string[] }> {
  const log = o.log ?? (() => {});
  const { embeddings, ids } = await loadEmbeddings(o.embeddings, { name: o.tensor });
  const meta = await readMetaTable(o.meta);
  let rows: Int32Array;
  if (o.idCol) rows = joinByKey(ids, meta, o.idCol, { embeddingsFile: o.embeddings, basename: true });
  else {
    if (meta.length !== embeddings.n)
      throw new CladeError(
        `${meta.length} metadata rows but ${embeddings.n} embeddings in ${o.embeddings}; pass --id-col to join by id`,
        { file: o.meta },
      );
    rows = Int32Array.from({ length: embeddings.n }, (_, i) => i);
  }
  const { labels, classes } = encodeLabels(meta, o.labelCol, rows);
  let trainIdx: number[];
  let testIdx: number[];
  if (o.splitCol) {
    const split = column(meta, o.splitCol);
    const tr = o.trainSplit ?? 'train';
    const te = o.testSplit ?? 'test';
    trainIdx = [];
    testIdx = [];
    rows.forEach((r, i) => {
      const v = String(split[r]);
      if (v === tr) trainIdx.push(i);
      else if (v === te) testIdx.push(i);
    });
    if (!trainIdx.length || !testIdx.length)
      throw new CladeError(`split column '${o.splitCol}' has no rows for '${tr}' and/or '${te}'`, {
        file: o.meta,
        column: o.splitCol,
      });
  } else {
    const perm = new Rng(o.seed ?? 0).permutation(embeddings.n);
    const cut = Math.round(0.8 * embeddings.n);
    trainIdx = Array.from(perm.subarray(0, cut));
    testIdx = Array.from(perm.subarray(cut));
  }
  const pick = (idx: number[]): [Embeddings, Int32Array] => [
    takeRows(embeddings, idx),
    Int32Array.from(idx, (i) => labels[i]),
  ];
  const [train, trainLabels] = pick(trainIdx);
  const [test, testLabels] = pick(testIdx);
  log(
    `${embeddings.n} embeddings (d = ${embeddings.d}), ${classes.length} classes in '${o.labelCol}'; train ${train.n}, test ${test.n}`,
  );
  const results = await standardAnalyses({ train, trainLabels, test, testLabels }, o.analyses, log);
  const inputs = [await describeInput(o.embeddings), await describeInput(o.meta)];
  const params = {
    labelCol: o.labelCol,
    idCol: o.idCol ?? null,
    splitCol: o.splitCol ?? null,
    seed: o.seed ?? 0,
  };
  const files = results.map(
    (r) => writeResult(o.outDir, { ...r, inputs, params: { ...params, ...r.params } }).path,
  );
  return { results, files };
}
