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
  /** Per-mode scorer: image outputs, text outputs, class count → [N, K] scores. */
  readonly modes: Readonly<
    Record<string, (img: Record<string, Float32Array>, txt: Record<string, Float32Array>) => Float32Array>
  >;
}

/**
 * Zero-shot accuracy by rank: each image's predicted species (argmax over the K class prompts), counted correct at
 * rank r when it shares the true species' clade at r. Returns `{ <mode>/<rank>: accuracy }`.
 */
export async function zeroShotByRank(z: ZeroShotInputs): Promise<Record<string, number>> {
  const K = z.dataset.classNames.length;
  const B = z.batch;
  const runImage = await towerRunner(z.params, z.towers.image);
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
      const img = await runImage({ image: b.views[0] });
      for (const [mode, score] of Object.entries(z.modes)) {
        const pred = argmaxRows(score(img, text), K);
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
