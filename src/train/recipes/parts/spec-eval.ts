/**
 * Evaluation during training on a `data` SPEC's validation split (`train.evalEvery`), for every recipe: the
 * validation rows and a seeded sample of training rows go through a tower in eval mode; kNN top-1 of validation
 * against training at every rank (`knn/<rank>`), optionally the recipe's zero-shot by rank of the same outputs, and
 * optionally RLD and Calinski–Harabasz of the validation embeddings at the finest rank — all through the analysis
 * functions (`knnClassify`, `relativeLocalDensity`, `calinskiHarabasz`).
 */
import { calinskiHarabasz } from '../../../analysis/calinski-harabasz.ts';
import { knnClassify } from '../../../analysis/knn.ts';
import { denseLabels } from '../../../analysis/labels.ts';
import { relativeLocalDensity } from '../../../analysis/rld.ts';
import { DataLoader } from '../../../data/loader/loader.ts';
import type { Batch } from '../../../data/loader/loader-types.ts';
import type { PipelineSource } from '../../../data/pipelines/index.ts';
import type { Taxonomy } from '../../../data/taxonomy/taxonomy.ts';
import { takeRows, type Embeddings } from '../../../io/embeddings.ts';
import type { Params } from '../../../nn/context.ts';
import type { TowerSpec } from '../../recipe.ts';
import { towerRunner } from './tower-runner.ts';

/** Rows per tower call. */
const EVAL_BATCH = 100;

export interface SpecEvalOptions {
  /** The recipe's towers for a static batch. */
  readonly towers: (batch: number) => Readonly<Record<string, TowerSpec>>;
  /** Which tower embeds the rows (`image` reads view 0, `tabular` tabular view 0). */
  readonly tower: 'image' | 'tabular';
  /** Eval-mode pipelines of the training part and the validation split. */
  readonly source: (part: 'train' | 'val') => PipelineSource;
  readonly taxonomy: Taxonomy;
  /** Training rows kNN votes with (a seeded sample; default 2,000) and validation rows scored (default 2,000). */
  readonly reference?: number;
  readonly queries?: number;
  /** Also RLD (T 0.1) and Calinski–Harabasz of the validation embeddings at the finest rank. */
  readonly geometry?: boolean;
  /** Zero-shot by rank of the validation outputs (image-text recipes). */
  readonly zeroShot?: (
    params: Params,
    outputs: Readonly<Record<string, Embeddings>>,
    labels: Int32Array,
  ) => Promise<Record<string, number>>;
}

/** Every output of a tower over the first `limit` rows of a pipeline (seeded order), with each row's class. */
export async function embedSource(
  params: Params,
  tower: TowerSpec, // built for EVAL_BATCH rows
  which: 'image' | 'tabular',
  source: PipelineSource,
  limit: number,
): Promise<{ outputs: Record<string, Embeddings>; labels: Int32Array }> {
  const run = await towerRunner(params, tower);
  const loader = await DataLoader.create({ source, batchSize: EVAL_BATCH, seed: 0, epochs: 1, workers: 0 });
  const parts: Record<string, Float32Array[]> = {};
  const labels: number[] = [];
  const input = (b: Batch) => (which === 'image' ? b.views[0] : b.tabular![0]);
  try {
    for await (const b of loader) {
      const rows = Math.min(b.indices.length, limit - labels.length);
      const x = input(b);
      const per = x.length / b.indices.length;
      const padded = new Float32Array(EVAL_BATCH * per);
      padded.set(x.subarray(0, rows * per));
      for (const [name, v] of Object.entries(await run({ [which]: padded })))
        (parts[name] ??= []).push(v.slice(0, (v.length / EVAL_BATCH) * rows));
      for (let i = 0; i < rows; i++) labels.push(b.labels ? b.labels[i] : -1);
      if (labels.length >= limit) break;
    }
  } finally {
    await loader.close();
  }
  const n = labels.length;
  const outputs = Object.fromEntries(
    Object.entries(parts).map(([name, p]) => {
      const data = new Float32Array(p.reduce((s, a) => s + a.length, 0));
      let o = 0;
      for (const a of p) (data.set(a, o), (o += a.length));
      return [name, { data, n, d: n ? data.length / n : 0 }];
    }),
  );
  return { outputs, labels: Int32Array.from(labels) };
}

/** Rows whose label is known (≥ 0), and those labels. */
function known(x: Embeddings, y: ArrayLike<number>): { x: Embeddings; y: Int32Array } {
  const idx: number[] = [];
  for (let i = 0; i < y.length; i++) if (y[i] >= 0) idx.push(i);
  return { x: takeRows(x, Int32Array.from(idx)), y: Int32Array.from(idx, (i) => y[i]) };
}

/**
 * The `periodicEval` of a recipe trained on a SPEC with a validation split.
 *
 * @example
 * periodicEval: specEvaluation({ towers, tower: 'image', source: (p) => data.evalSource(p), taxonomy })
 */
export function specEvaluation(o: SpecEvalOptions) {
  return async (params: Params): Promise<Record<string, number>> => {
    const tower = o.towers(EVAL_BATCH)[o.tower];
    const ref = await embedSource(params, tower, o.tower, o.source('train'), o.reference ?? 2000);
    const val = await embedSource(params, tower, o.tower, o.source('val'), o.queries ?? 2000);
    const out: Record<string, number> = {};
    const tax = o.taxonomy;
    for (const [r, rank] of tax.ranks.entries()) {
      const of = tax.labelsAt(r);
      const at = (y: Int32Array) => Int32Array.from(y, (k) => (k >= 0 ? of[k] : -1));
      const tr = known(ref.outputs.embedding, at(ref.labels));
      const te = known(val.outputs.embedding, at(val.labels));
      if (!tr.y.length || !te.y.length) continue;
      const k = Math.min(20, tr.x.n);
      out[`knn/${rank}`] = (await knnClassify(tr.x, tr.y, te.x, te.y, { k, temperature: 0.1 })).top1;
    }
    if (o.zeroShot && tax.size) Object.assign(out, await o.zeroShot(params, val.outputs, val.labels));
    if (o.geometry) {
      const te = known(val.outputs.embedding, val.labels);
      const { labels, k } = denseLabels(te.y);
      if (k >= 2 && k < te.x.n) {
        out.rld = (await relativeLocalDensity(te.x, labels, { temperatures: [0.1] })).rld[0];
        out.calinskiHarabasz = calinskiHarabasz(te.x, labels);
      }
    }
    return out;
  };
}
