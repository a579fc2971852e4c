import { loadEmbeddings, type DroppedRows } from '../io/load-embeddings.ts';
import { column, encodeLabels, joinByKey, readMetaTable, type MetaTable } from '../io/metadata.ts';
import { takeRows, type Embeddings } from '../io/embeddings.ts';
import { describeInput, writeResult, type CladeResult } from '../report/index.ts';
import { CladeError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { analysisNeeds, type RowAnnotations, type SettingsOverride } from '../analysis/suite.ts';
import { DEFAULT_ANALYSES, standardAnalyses, type StandardAnalysis } from './standard-analyses.ts';
import type { AnnOptions } from './analyze-ann.ts';

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
  /** Analyses to run; default: those needing only labels, plus each seeds' analysis whose column is given. */
  readonly analyses?: readonly StandardAnalysis[];
  readonly outDir: string;
  readonly seed?: number;
  readonly log?: (l: string) => void;
  /** Settings of the table (kNN, RLD, homogeneity, probe, …); every result records the ones it used. */
  readonly settings?: SettingsOverride;
  /** Variant column and the two variants compared by `variants` (e.g. `stage`, `['adult', 'juvenile']`). */
  readonly variantCol?: string;
  readonly variants?: readonly [string, string];
  /** Group column: `variants` and `trait-order` run within each group and average (e.g. genus). */
  readonly groupCol?: string;
  /** Numeric trait column for `trait-order` (a class's value is the mean over its rows). */
  readonly traitCol?: string;
  /** Attribute column for `attribute` (e.g. habitat). */
  readonly attributeCol?: string;
  /** Binary columns (1/0, true/false, yes/no) for `multilabel-probe`. */
  readonly multiLabelCols?: readonly string[];
  /** Embedding rows holding NaN/±Inf: `fail` (default) or `skip` (dropped, logged, recorded as `params.nonFinite`). */
  readonly nonFinite?: 'fail' | 'skip';
  /** Stream a Lance dataset through its ANN index (`--ann`): kNN and the cluster analysis only (analyze-ann.ts). */
  readonly ann?: AnnOptions;
}

const NEEDS_COLUMN = {
  variant: 'variantCol',
  trait: 'traitCol',
  attribute: 'attributeCol',
  multilabel: 'multiLabelCols',
} as const;
const NEEDS_OPTION = {
  variant: '--variant-col',
  trait: '--trait-col',
  attribute: '--attribute-col',
  multilabel: '--multilabel-cols',
} as const;

/** The analyses to run: as asked (each seeds' analysis checked for its column), or the default set. */
export function chooseAnalyses(o: AnalyzeOptions): StandardAnalysis[] {
  if (o.analyses) {
    for (const a of o.analyses) {
      const need = analysisNeeds(a);
      if (need && !o[NEEDS_COLUMN[need]])
        throw new CladeError(`analysis '${a}' needs ${NEEDS_OPTION[need]}`, { option: '--analyses' });
    }
    return [...o.analyses];
  }
  const extra = (['multilabel-probe', 'variants', 'trait-order', 'attribute'] as const).filter(
    (a) => o[NEEDS_COLUMN[analysisNeeds(a)!]],
  );
  return [...DEFAULT_ANALYSES, ...extra];
}

/**
 * `clade analyze`: embeddings from any supported file (npy, safetensors, Parquet/Arrow, pybioclip JSON) joined to a
 * metadata table, labels from one column, a train/test split, the chosen analyses, one result JSON each.
 */
export async function runAnalyze(o: AnalyzeOptions): Promise<{ results: CladeResult[]; files: string[] }> {
  const log = o.log ?? (() => {});
  const analyses = o.ann ? [] : chooseAnalyses(o);
  if (o.variants && !o.variantCol)
    throw new CladeError('--variants names values of a column: give it with --variant-col', {
      option: '--variants',
    });
  if (o.groupCol && !o.variantCol && !o.traitCol)
    throw new CladeError(
      '--group-col groups the variants and trait-order analyses: give --variant-col or --trait-col',
      {
        option: '--group-col',
      },
    );
  if (o.variantCol && !o.variants)
    throw new CladeError(
      'name the two variants of --variant-col to compare, e.g. --variants adult,juvenile',
      {
        option: '--variants',
      },
    );
  if (o.ann) {
    const { runAnalyzeAnn } = await import('./analyze-ann.ts');
    return runAnalyzeAnn(o, o.ann);
  }
  const { embeddings, ids, fileRows, dropped } = await loadEmbeddings(o.embeddings, {
    name: o.tensor,
    nonFinite: o.nonFinite,
  });
  logDropped(dropped, o.embeddings, log);
  const meta = await readMetaTable(o.meta);
  const { rows, labels, classes, trainIdx, testIdx, singletons } = labelsAndSplit(
    o,
    meta,
    ids,
    fileRows,
    dropped.count,
  );
  const pick = (idx: number[]): [Embeddings, Int32Array] => [
    takeRows(embeddings, idx),
    Int32Array.from(idx, (i) => labels[i]),
  ];
  logSingletons(singletons, log);
  const [train, trainLabels] = pick(trainIdx);
  const [test, testLabels] = pick(testIdx);
  log(
    `${embeddings.n} embeddings (d = ${embeddings.d}), ${classes.length} classes in '${o.labelCol}'; train ${train.n}, test ${test.n}`,
  );
  // the seeds' analyses describe the space: they run on every row (train rows, then test rows)
  const order = [...trainIdx, ...testIdx];
  const strings = (col: string) => {
    const c = column(meta, col);
    return order.map((i) => (c[rows[i]] === null ? null : String(c[rows[i]])));
  };
  const annotations: RowAnnotations = {
    scope: 'all',
    variant: o.variantCol ? strings(o.variantCol) : undefined,
    group: o.groupCol ? strings(o.groupCol) : undefined,
    attribute: o.attributeCol ? strings(o.attributeCol) : undefined,
    trait: o.traitCol
      ? traitValues(
          meta,
          o.traitCol,
          order.map((i) => rows[i]),
        )
      : undefined,
  };
  const multiLabel = o.multiLabelCols?.length
    ? {
        names: [...o.multiLabelCols],
        train: binaryMatrix(
          meta,
          o.multiLabelCols,
          trainIdx.map((i) => rows[i]),
        ),
        test: binaryMatrix(
          meta,
          o.multiLabelCols,
          testIdx.map((i) => rows[i]),
        ),
      }
    : undefined;
  const settings: SettingsOverride = { ...o.settings, ...(o.variants ? { variants: o.variants } : {}) };
  const results = await standardAnalyses(
    { train, trainLabels, test, testLabels, classNames: classes, annotations, multiLabel },
    analyses,
    log,
    { settings, seed: o.seed ?? 0 },
  );
  return writeAnalyzeResults(o, results, { singletons, dropped });
}

/**
 * The result files of `clade analyze`: every result gets the inputs (embeddings and metadata) and the run's
 * parameters (columns, seed, single-sample classes, dropped non-finite rows) next to its own.
 */
export async function writeAnalyzeResults(
  o: AnalyzeOptions,
  results: readonly CladeResult[],
  s: { singletons: readonly string[]; dropped: DroppedRows },
): Promise<{ results: CladeResult[]; files: string[] }> {
  const inputs = [await describeInput(o.embeddings), await describeInput(o.meta)];
  const params = {
    labelCol: o.labelCol,
    idCol: o.idCol ?? null,
    splitCol: o.splitCol ?? null,
    ...(o.variantCol ? { variantCol: o.variantCol } : {}),
    ...(o.groupCol ? { groupCol: o.groupCol } : {}),
    ...(o.traitCol ? { traitCol: o.traitCol } : {}),
    ...(o.attributeCol ? { attributeCol: o.attributeCol } : {}),
    ...(o.multiLabelCols ? { multiLabelCols: [...o.multiLabelCols] } : {}),
    seed: o.seed ?? 0,
    ...(s.singletons.length ? { singleSampleClasses: [...s.singletons] } : {}),
    ...nonFiniteParams(o, s.dropped),
  };
  const written = results.map((r) => ({ ...r, inputs, params: { ...params, ...r.params } }));
  const files = written.map((r) => writeResult(o.outDir, r).path);
  return { results: written, files };
}

/** Classes with a single sample, named in the log. */
export function logSingletons(singletons: readonly string[], log: (l: string) => void): void {
  if (singletons.length)
    log(
      `${singletons.length} class${singletons.length > 1 ? 'es have' : ' has'} a single sample (kept; per-class analyses skip ${singletons.length > 1 ? 'them' : 'it'}): ${singletons.slice(0, 5).join(', ')}${singletons.length > 5 ? ', …' : ''}`,
    );
}

/** How many non-finite rows were dropped, and which (the first 20), in the log. */
export function logDropped(dropped: DroppedRows, file: string, log: (l: string) => void): void {
  if (!dropped.count) return;
  const shown = dropped.rows.slice(0, 20).map((r) => `row ${r.row} (id ${r.id})`);
  log(
    `${file}: skipped ${dropped.count} row${dropped.count > 1 ? 's' : ''} with NaN/±Inf values (--non-finite skip): ${shown.join(', ')}${dropped.count > 20 ? ', …' : ''}`,
  );
}

/** The `nonFinite` record of every result under `--non-finite skip` (the first 1,000 dropped rows named). */
export function nonFiniteParams(o: AnalyzeOptions, dropped: DroppedRows): Record<string, unknown> {
  if (o.nonFinite !== 'skip') return {};
  return {
    nonFinite: {
      policy: 'skip',
      dropped: dropped.count,
      rows: dropped.rows.slice(0, 1000).map((r) => ({ ...r })),
    },
  };
}

/**
 * Metadata rows, labels and the train/test split of the embeddings kept: `ids` and `fileRows` (their rows in the
 * embedding file) after any non-finite rows were dropped (`droppedCount` of them). Indices are into the kept rows.
 */
export function labelsAndSplit(
  o: AnalyzeOptions,
  meta: MetaTable,
  ids: readonly string[],
  fileRows: Int32Array,
  droppedCount: number,
): {
  rows: Int32Array /* metadata row of each kept embedding */;
  labels: Int32Array;
  classes: string[];
  trainIdx: number[];
  testIdx: number[];
  singletons: string[];
} {
  const n = ids.length;
  let rows: Int32Array;
  if (o.idCol) rows = joinByKey(ids, meta, o.idCol, { embeddingsFile: o.embeddings, basename: true });
  else {
    if (meta.length !== n + droppedCount)
      throw new CladeError(
        `${meta.length} metadata rows but ${n + droppedCount} embeddings in ${o.embeddings}; pass --id-col to join by id`,
        { file: o.meta },
      );
    rows = Int32Array.from(fileRows);
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
    const perm = new Rng(o.seed ?? 0).permutation(n);
    const cut = Math.round(0.8 * n);
    trainIdx = Array.from(perm.subarray(0, cut));
    testIdx = Array.from(perm.subarray(cut));
  }
  // a class with one sample is kept (kNN, probes and the cluster metrics take it as it is) but named: it cannot appear
  // on both sides of the split, and the per-class analyses (few-shot, variants, trait order) leave it out
  const count = new Int32Array(classes.length);
  for (const l of labels) count[l]++;
  const singletons = classes.filter((_, k) => count[k] === 1);
  return { rows, labels, classes, trainIdx, testIdx, singletons };
}

/** A numeric metadata column at the given table rows; empty cells are null, anything else non-numeric throws. */
function traitValues(meta: MetaTable, col: string, rows: readonly number[]): (number | null)[] {
  const c = column(meta, col);
  return rows.map((r) => {
    const v = c[r];
    if (v === null) return null;
    const x = typeof v === 'number' ? v : Number(v);
    if (!Number.isFinite(x))
      throw new CladeError(`expected a number, got '${v}'`, { file: meta.file, row: r, column: col });
    return x;
  });
}

const TRUE = new Set(['1', 'true', 'yes', 'y', 't']);
const FALSE = new Set(['0', 'false', 'no', 'n', 'f']);

/** Binary columns at the given table rows as a `[rows, L]` 0/1 matrix; anything else (or empty) throws. */
function binaryMatrix(meta: MetaTable, cols: readonly string[], rows: readonly number[]): Uint8Array {
  const L = cols.length;
  const out = new Uint8Array(rows.length * L);
  cols.forEach((name, l) => {
    const c = column(meta, name);
    rows.forEach((r, i) => {
      const v = String(c[r] ?? '')
        .trim()
        .toLowerCase();
      if (TRUE.has(v)) out[i * L + l] = 1;
      else if (!FALSE.has(v))
        throw new CladeError(`expected 1/0, true/false or yes/no, got '${c[r] ?? ''}'`, {
          file: meta.file,
          row: r,
          column: name,
        });
    });
  });
  return out;
}
