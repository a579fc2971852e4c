import type { Embeddings } from '../io/embeddings.ts';
import { backendOf, type Backend } from './backend.ts';
import type { TileOptions, TopK } from './kernels.ts';
import { similarityTopKJs } from './top-k-js.ts';

export interface TopKOptions extends TileOptions {
  /** `q === keys`: row `i` never returns key `i`. */
  excludeSelf?: boolean;
  /** `ort` (default): chunked GEMM + TopK on ONNX Runtime; `js`: float64 tiles and heaps. */
  backend?: Backend;
  /** `ort`: queries per chunk (default: about 16 M similarities per chunk). */
  chunk?: number;
  /** `js`, `q === keys`: visit the upper triangle only (default true). */
  symmetric?: boolean;
}

/**
 * Exact top-k keys by dot product for every query (cosine similarity on L2-normalised inputs): row `i` of the
 * result holds the `k` best keys, best first. Memory O(N·k + chunk); no `N × N` matrix. The one neighbour search
 * behind kNN, class homogeneity and the sparse RLD estimate.
 *
 * @example
 * const nn = await similarityTopK(z, z, 10, { excludeSelf: true }); // self-kNN graph on ONNX Runtime
 */
export async function similarityTopK(
  q: Embeddings,
  keys: Embeddings,
  k: number,
  opts: TopKOptions = {},
): Promise<TopK> {
  if (backendOf(opts.backend) === 'js') return similarityTopKJs(q, keys, k, opts);
  const { similarityTopKOrt } = await import('./top-k-ort.ts');
  return similarityTopKOrt(q, keys, k, opts);
}
