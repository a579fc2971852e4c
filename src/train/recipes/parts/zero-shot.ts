/**
 * Zero-shot accuracy by taxonomic rank for the image-text recipes (during training and after): class-prompt
 * embeddings from the text tower, query embeddings from the image (or tabular) tower, each query's predicted class
 * counted correct at rank r when it shares the true class's clade at r; CLIPin's two scoring modes (docs/methods.md §D.7).
 */
import { DataLoader } from '../../../data/loader/loader.ts';
import type { PipelineSource } from '../../../data/pipelines/index.ts';
import type { Taxonomy } from '../../../data/taxonomy/taxonomy.ts';
import type { Tokenizer } from '../../../data/tokenizers/tokenizer.ts';
import type { Embeddings } from '../../../io/embeddings.ts';
import type { Params } from '../../../nn/context.ts';
import { CLIP_LOGIT_SCALE_INIT } from '../../../objectives/index.ts';
import type { TowerSpec } from '../../recipe.ts';
import { prompts, type ImageTextData } from './image-text-data.ts';
import { runImageTower, towerRunner } from './tower-runner.ts';

/** Index of the largest value of each row of [N, K]. */
export function argmaxRows(scores: Float32Array, k: number): Int32Array {
  const n = scores.length / k;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (scores[i * k + j] > scores[i * k + best]) best = j;
    out[i] = best;
  }
  return out;
}

/** The classes zero-shot scores against: their prompts ([K], one per class) and the taxonomy over them. */
export interface ZeroShotClasses {
  readonly taxonomy: Taxonomy;
  readonly prompts: readonly string[];
}

/** Per-mode scorer: query towers' outputs (by tower, then output) and class-text outputs → [N, K] scores. */
export type ZeroShotModes = Readonly<
  Record<
    string,
    (q: Record<string, Record<string, Float32Array>>, txt: Record<string, Float32Array>) => Float32Array
  >
>;

export interface ZeroShotInputs {
  readonly params: Params;
  readonly towers: Readonly<Record<string, TowerSpec>>; // built for `batch` rows
  readonly batch: number;
  readonly source: PipelineSource; // eval pipeline of a held-out split
  readonly classes: ZeroShotClasses;
  readonly tokenizer: Tokenizer;
  /** Query towers run on each eval batch (default `['image']`; `tabular` reads the batch's first tabular view). */
  readonly queries?: readonly ('image' | 'tabular')[];
  readonly modes: ZeroShotModes;
}

/**
 * The text tower's outputs for every class prompt, [K, d] per output (prompts run in whole tower batches of
 * `batch`, the last padded by repeating prompts).
 */
export async function classTextOutputs(
  params: Params,
  textTower: TowerSpec, // built for `batch` rows
  batch: number,
  tokenizer: Tokenizer,
  prompts: readonly string[],
): Promise<Record<string, Float32Array>> {
  const K = prompts.length;
  const runText = await towerRunner(params, textTower);
  const padded = Array.from({ length: Math.ceil(K / batch) * batch }, (_, i) => prompts[i % K]);
  const txt: Record<string, Float32Array[]> = {};
  for (let s = 0; s < padded.length; s += batch) {
    const t = tokenizer.encode(padded.slice(s, s + batch));
    const o = await runText({
      ids: BigInt64Array.from(t.ids, BigInt),
      eot: BigInt64Array.from(t.eotIndex, BigInt),
    });
    for (const [k, v] of Object.entries(o)) (txt[k] ??= []).push(v);
  }
  return Object.fromEntries(
    Object.entries(txt).map(([k, parts]) => {
      const all = concat(parts);
      return [k, all.subarray(0, (all.length / padded.length) * K)];
    }),
  );
}

/**
 * Add one batch's zero-shot hits to `hits` (`<mode>/<rank>` → count): each query's predicted class (argmax over
 * the K class scores) is correct at rank r when it shares the true class's clade at r.
 */
function addRankHits(
  hits: Record<string, number>,
  q: Record<string, Record<string, Float32Array>>,
  text: Record<string, Float32Array>,
  labels: ArrayLike<number>,
  taxonomy: Taxonomy,
  modes: ZeroShotModes,
): void {
  const K = taxonomy.size;
  const cladeOf = taxonomy.ranks.map((_, r) => taxonomy.labelsAt(r));
  for (const [mode, score] of Object.entries(modes)) {
    const pred = argmaxRows(score(q, text), K);
    taxonomy.ranks.forEach((rank, r) => {
      let c = 0;
      for (let i = 0; i < labels.length; i++) if (cladeOf[r][pred[i]] === cladeOf[r][labels[i]]) c++;
      hits[`${mode}/${rank}`] = (hits[`${mode}/${rank}`] ?? 0) + c;
    });
  }
}

/**
 * Zero-shot accuracy by rank of query outputs computed elsewhere (e.g. a whole test set through the image tower):
 * `queries` by tower then output, [N, ·] each, with the true class of each row. Returns `{ <mode>/<rank>: accuracy }`.
 */
export async function zeroShotOfOutputs(z: {
  readonly params: Params;
  readonly textTower: TowerSpec;
  readonly batch: number;
  readonly tokenizer: Tokenizer;
  readonly classes: ZeroShotClasses;
  readonly queries: Record<string, Record<string, Float32Array>>;
  readonly labels: ArrayLike<number>;
  readonly modes: ZeroShotModes;
}): Promise<Record<string, number>> {
  const text = await classTextOutputs(z.params, z.textTower, z.batch, z.tokenizer, z.classes.prompts);
  const hits: Record<string, number> = {};
  addRankHits(hits, z.queries, text, z.labels, z.classes.taxonomy, z.modes);
  return Object.fromEntries(Object.entries(hits).map(([k, v]) => [k, v / z.labels.length]));
}

/**
 * Zero-shot accuracy by rank on a held-out pipeline: each image's predicted class (argmax over the K class
 * prompts), counted correct at rank r when it shares the true class's clade at r. Returns `{ <mode>/<rank>: accuracy }`.
 */
export async function zeroShotByRank(z: ZeroShotInputs): Promise<Record<string, number>> {
  const B = z.batch;
  const queries = z.queries ?? ['image'];
  const run = await Promise.all(queries.map((q) => towerRunner(z.params, z.towers[q])));
  const text = await classTextOutputs(z.params, z.towers.text, B, z.tokenizer, z.classes.prompts);
  const hits: Record<string, number> = {};
  let n = 0;
  const loader = await DataLoader.create({
    source: z.source,
    batchSize: B,
    seed: 0,
    epochs: 1,
    shuffle: false,
    dropLast: true,
    workers: 0,
  });
  try {
    for await (const b of loader) {
      const q: Record<string, Record<string, Float32Array>> = {};
      for (const [i, name] of queries.entries())
        q[name] = await run[i](name === 'image' ? { image: b.views[0] } : { tabular: b.tabular![0] });
      addRankHits(hits, q, text, b.labels!, z.classes.taxonomy, z.modes);
      n += B;
    }
  } finally {
    await loader.close();
  }
  return Object.fromEntries(Object.entries(hits).map(([k, v]) => [k, v / n]));
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), (o += p.length));
  return out;
}

/**
 * CLIPin's two zero-shot scoring modes (§D.7) on host embeddings: `contrastive` = exp(logitScale)·⟨n(e_I), n(e_T)⟩
 * (the CLIP heads); `nonContrastive` = ⟨y_I, P_T^x⟩ (target image embedding against the online text inter-modal
 * prediction; no scale — whether the code applies one is unverified). Rows: images [N, D]; columns: classes [K, D].
 * Returns [N, K] row-major.
 */
export function clipinScores(
  mode: 'contrastive' | 'nonContrastive',
  images: Float32Array,
  texts: Float32Array,
  dim: number,
  logitScale = CLIP_LOGIT_SCALE_INIT,
): Float32Array {
  const n = images.length / dim;
  const k = texts.length / dim;
  const contrastive = mode === 'contrastive';
  const inverseNorms = (a: Float32Array, rows: number) =>
    Float64Array.from({ length: rows }, (_, i) => {
      if (!contrastive) return 1;
      let s = 0;
      for (let d = 0; d < dim; d++) s += a[i * dim + d] ** 2;
      return 1 / (Math.sqrt(s) || 1);
    });
  const ni = inverseNorms(images, n);
  const nj = inverseNorms(texts, k);
  const scale = contrastive ? Math.exp(logitScale) : 1;
  const out = new Float32Array(n * k);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += images[i * dim + d] * texts[j * dim + d];
      out[i * k + j] = scale * s * ni[i] * nj[j];
    }
  return out;
}

/** Rows per zero-shot batch (60 = one image per species of the default synthetic tree). */
const EVAL_BATCH = 60;
/** Held-out images of a main-thread source (CIFAR-100's test records, a class-balanced prefix) scored. */
const HELD_OUT_IMAGES = 1000;

/**
 * The zero-shot evaluation of an image-text recipe, set up once from its towers, tokenizer, data and scoring
 * modes: `zeroShot(params, count, split)` scores held-out data (synthetic: `count` images per species of `split`
 * through `evalSource`; CIFAR-100: the first 1,000 test records through the image tower), `zeroShotImages` scores
 * image-tower outputs computed elsewhere. Class prompts are the `taxon` captions. Both return
 * `{ <mode>/<rank>: accuracy }`.
 *
 * @example
 * const zs = zeroShotEvaluation({ towers, tokenizer, data, modes: { zeroshot: (q, t) => … } });
 * const recipe = { …, zeroShotImages: zs.zeroShotImages, periodicEval: (p) => zs.zeroShot(p, 5, 'val') };
 */
export function zeroShotEvaluation(z: {
  readonly towers: (batch: number) => Readonly<Record<string, TowerSpec>>;
  readonly tokenizer: Tokenizer;
  readonly data: Pick<ImageTextData, 'taxonomy' | 'captions' | 'evalSource' | 'testImages'>;
  readonly modes: ZeroShotModes;
  /** Query towers run on held-out batches (default `['image']`). */
  readonly queries?: readonly ('image' | 'tabular')[];
}) {
  const classes = { taxonomy: z.data.taxonomy, prompts: prompts(z.data, 'taxon') };
  const towers = z.towers;
  const zeroShotImages = (
    params: Params,
    image: Readonly<Record<string, Embeddings>>,
    labels: ArrayLike<number>,
  ) =>
    zeroShotOfOutputs({
      params,
      textTower: towers(EVAL_BATCH).text,
      batch: EVAL_BATCH,
      tokenizer: z.tokenizer,
      classes,
      queries: { image: Object.fromEntries(Object.entries(image).map(([k, e]) => [k, e.data])) },
      labels,
      modes: z.modes,
    });
  const zeroShot = async (params: Params, count = 5, split = 'test'): Promise<Record<string, number>> => {
    const test = z.data.testImages(HELD_OUT_IMAGES);
    if (test) {
      const image = await runImageTower({ towers }, params, test.images, test.n, 100);
      return zeroShotImages(params, image, test.labels);
    }
    return zeroShotByRank({
      params,
      towers: towers(EVAL_BATCH),
      batch: EVAL_BATCH,
      source: z.data.evalSource(split, count),
      classes,
      tokenizer: z.tokenizer,
      queries: z.queries,
      modes: z.modes,
    });
  };
  return { zeroShot, zeroShotImages };
}
