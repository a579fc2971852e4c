/**
 * Evaluation helpers for recipes during and after training: run a tower's forward graph over host arrays, and
 * CLIPin's zero-shot accuracy by rank in both scoring modes (methods.md §D.7) on a held-out synthetic split.
 */
import { DataLoader } from '../../data/loader/loader.ts';
import type { PipelineSource } from '../../data/loader/loader-types.ts';
import type { SyntheticTaxonomyDataset } from '../../data/synthetic/synthetic-taxonomy.ts';
import type { Tokenizer } from '../../data/tokenizers/tokenizer.ts';
import { compile, defineGraph, flatten, input, type Tensor } from '../../engine/index.ts';
import type { HostArray } from '../../engine/runtime/ort.ts';
import { Ctx, paramInputs, type HostTensor, type Params } from '../../nn/context.ts';
import { CLIP_LOGIT_SCALE_INIT } from '../../objectives/index.ts';
import type { TowerSpec } from './recipe.ts';

const isHost = (x: unknown) => !!x && typeof x === 'object' && 'data' in (x as object);

/** Compile one tower (eval mode) and return a runner over host inputs of the tower's static batch. */
export async function towerRunner(params: Params, spec: TowerSpec) {
  const sym = paramInputs(params as Record<string, HostTensor>);
  const ins = Object.fromEntries(
    Object.entries(spec.inputs).map(([k, s]) => [k, input(k, s.shape, s.dtype ?? 'float32')]),
  );
  const outs = spec.forward(sym, ins, new Ctx(false));
  const g = defineGraph([...flatten<Tensor>(sym as never).map(([, t]) => t), ...Object.values(ins)], outs);
  const compiled = await compile(g);
  const weights = Object.fromEntries(
    flatten<HostTensor>(params as never, '', isHost).map(([k, v]) => [k, v.data]),
  );
  return async (feeds: Readonly<Record<string, HostArray>>) =>
    (await compiled.run({ ...weights, ...feeds })) as Record<string, Float32Array>;
}

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

export interface ZeroShotInputs {
  readonly params: Params;
  readonly towers: Readonly<Record<string, TowerSpec>>; // built for `batch` rows
  readonly batch: number;
  readonly source: PipelineSource; // eval pipeline of a held-out split
  readonly dataset: SyntheticTaxonomyDataset; // gives the class texts and the taxonomy
  readonly tokenizer: Tokenizer;
  /** Text type index of the class prompts (TEXT_TYPES order). */
  readonly textType: number;
  /** Query towers run on each eval batch (default `['image']`; `tabular` reads the batch's first tabular view). */
  readonly queries?: readonly ('image' | 'tabular')[];
  /** Per-mode scorer: query towers' outputs (by tower), text outputs → [N, K] scores. */
  readonly modes: Readonly<
    Record<
      string,
      (q: Record<string, Record<string, Float32Array>>, txt: Record<string, Float32Array>) => Float32Array
    >
  >;
}

/**
 * Zero-shot accuracy by rank: each image's predicted species (argmax over the K class prompts), counted correct at
 * rank r when it shares the true species' clade at r. Returns `{ <mode>/<rank>: accuracy }`.
 */
export async function zeroShotByRank(z: ZeroShotInputs): Promise<Record<string, number>> {
  const K = z.dataset.classNames.length;
  const B = z.batch;
  const queries = z.queries ?? ['image'];
  const run = await Promise.all(queries.map((q) => towerRunner(z.params, z.towers[q])));
  const runText = await towerRunner(z.params, z.towers.text);
  // Class prompts, padded to whole tower batches.
  const prompts = Array.from(
    { length: Math.ceil(K / B) * B },
    (_, i) => z.dataset.get(i % K).captions![z.textType],
  );
  const txt: Record<string, Float32Array[]> = {};
  for (let s = 0; s < prompts.length; s += B) {
    const t = z.tokenizer.encode(prompts.slice(s, s + B));
    const o = await runText({
      ids: BigInt64Array.from(t.ids, BigInt),
      eot: BigInt64Array.from(t.eotIndex, BigInt),
    });
    for (const [k, v] of Object.entries(o)) (txt[k] ??= []).push(v);
  }
  const text = Object.fromEntries(
    Object.entries(txt).map(([k, parts]) => {
      const all = concat(parts);
      return [k, all.subarray(0, (all.length / prompts.length) * K)];
    }),
  );
  const ranks = z.dataset.taxonomy.ranks;
  const cladeOf = ranks.map((_, r) => z.dataset.taxonomy.labelsAt(r));
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
      for (const [mode, score] of Object.entries(z.modes)) {
        const pred = argmaxRows(score(q, text), K);
        ranks.forEach((rank, r) => {
          let c = 0;
          for (let i = 0; i < B; i++) if (cladeOf[r][pred[i]] === cladeOf[r][b.labels![i]]) c++;
          hits[`${mode}/${rank}`] = (hits[`${mode}/${rank}`] ?? 0) + c;
        });
      }
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
  const norm = (a: Float32Array, i: number) => Math.hypot(...a.subarray(i * dim, (i + 1) * dim)) || 1;
  const scale = mode === 'contrastive' ? Math.exp(logitScale) : 1;
  const out = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const ni = mode === 'contrastive' ? norm(images, i) : 1;
    for (let j = 0; j < k; j++) {
      const nj = mode === 'contrastive' ? norm(texts, j) : 1;
      let s = 0;
      for (let d = 0; d < dim; d++) s += images[i * dim + d] * texts[j * dim + d];
      out[i * k + j] = (scale * s) / (ni * nj);
    }
  }
  return out;
}
