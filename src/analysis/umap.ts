import { UMAP } from 'umap-js';
import type { Embeddings } from '../io/embeddings.ts';
import { Rng } from '../util/rng.ts';

/**
 * 2-D (or `nComponents`-D) UMAP projection for plots through umap-js (McInnes et al. 2018), seeded with a clade
 * `Rng` so runs are reproducible.
 *
 * @example
 * const xy = umapProject(z, { seed: 0 }); // [N, 2]
 */
export function umapProject(
  x: Embeddings,
  opts: { nComponents?: number; nNeighbors?: number; minDist?: number; nEpochs?: number; seed?: number } = {},
): Embeddings {
  const rng = new Rng(opts.seed ?? 0);
  const rows: number[][] = Array.from({ length: x.n }, (_, i) =>
    Array.from(x.data.subarray(i * x.d, (i + 1) * x.d)),
  );
  const k = opts.nComponents ?? 2;
  const u = new UMAP({
    nComponents: k,
    nNeighbors: Math.min(opts.nNeighbors ?? 15, Math.max(2, x.n - 1)),
    minDist: opts.minDist ?? 0.1,
    nEpochs: opts.nEpochs,
    random: () => rng.float(),
  });
  const out = u.fit(rows);
  const data = new Float32Array(x.n * k);
  out.forEach((r, i) => data.set(r, i * k));
  return { data, n: x.n, d: k };
}
