import type { Tensor } from '../engine/tensor.ts';
import type { Rng } from '../util/rng.ts';
import { normalInit, type HostTensor } from './context.ts';

/** Embedding table `table` [V, D]. */
export type EmbeddingParams<L = Tensor> = { readonly table: L };

/**
 * Embedding lookup: rows of the table picked by int64 ids (gather; its gradient is a scatter-add).
 * Init N(0, std²), std 1 as PyTorch's default (CLIP uses 0.02 for tokens).
 *
 * @example
 * const p = embedding.init(rng, 8192, 256, { std: 0.02 });
 * const e = embedding.apply(paramInputs(p), ids);   // ids [B, T] int64 -> [B, T, 256]
 */
export const embedding = {
  init(rng: Rng, vocab: number, dim: number, opts: { std?: number } = {}): EmbeddingParams<HostTensor> {
    return { table: normalInit(rng, [vocab, dim], opts.std ?? 1) };
  },

  apply(p: EmbeddingParams, ids: Tensor /* [...I] int64 */): Tensor /* [...I, D] */ {
    return p.table.gather(ids);
  },
};
