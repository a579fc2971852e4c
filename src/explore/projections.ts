import { TSNE } from '@saehrimnir/druidjs';
import { pca } from '../analysis/pca.ts';
import { umapProject } from '../analysis/umap.ts';
import type { Embeddings } from '../io/embeddings.ts';
import { CladeError } from '../util/errors.ts';

export const PROJECTIONS = ['umap', 'pca', 'tsne'] as const;
export type ProjectionName = (typeof PROJECTIONS)[number];

export interface ProjectionOptions {
  /** Which projections to compute (default all three; each within its size limit). */
  readonly which?: readonly ProjectionName[];
  /** UMAP is computed up to this many points (umap-js; default 50,000). */
  readonly umapMax?: number;
  /** t-SNE is exact (O(N²) memory and time): computed up to this many points (default 5,000). */
  readonly tsneMax?: number;
  readonly seed?: number;
  readonly log?: (line: string) => void;
}

export interface Projection {
  readonly xy: Embeddings; /* [N, 2] */
  readonly method: string;
}

/**
 * 2-D projections of (L2-normalised) embeddings for the explorer: PCA (clade's `pca`), UMAP (umap-js through
 * `umapProject`) and t-SNE (druidjs, exact, perplexity min(30, (N − 1) / 3), 500 iterations on the first 50
 * principal components). A projection above its size limit is left out and a note says so.
 *
 * @example
 * const { projections, notes } = computeProjections(z, { which: ['pca', 'umap'] });
 */
export function computeProjections(
  z: Embeddings,
  o: ProjectionOptions = {},
): { projections: Record<string, Projection>; notes: string[] } {
  const which = o.which ?? PROJECTIONS;
  const log = o.log ?? (() => {});
  const seed = o.seed ?? 0;
  const projections: Record<string, Projection> = {};
  const notes: string[] = [];
  const skip = (name: string, max: number, flag: string) => {
    const note = `${name} left out: ${z.n.toLocaleString('en')} points exceed its limit of ${max.toLocaleString('en')} (${flag})`;
    notes.push(note);
    log(note);
  };
  if (z.n < 3) throw new CladeError(`projections need at least 3 points, got ${z.n}`);
  for (const name of which) {
    const t0 = performance.now();
    if (name === 'pca') {
      if (z.d < 2) throw new CladeError('PCA needs embeddings of dimension 2 or more');
      projections.pca = { xy: pca(z, 2), method: 'PCA' };
    } else if (name === 'umap') {
      const max = o.umapMax ?? 50_000;
      if (z.n > max) {
        skip('UMAP', max, '--umap-max');
        continue;
      }
      log(`UMAP of ${z.n} points`);
      const nNeighbors = Math.min(15, z.n - 1);
      projections.umap = {
        xy: umapProject(z, { seed, nNeighbors }),
        method: `UMAP (umap-js, ${nNeighbors} neighbours)`,
      };
    } else if (name === 'tsne') {
      const max = o.tsneMax ?? 5_000;
      if (z.n > max) {
        skip('t-SNE', max, '--tsne-max');
        continue;
      }
      log(`t-SNE of ${z.n} points`);
      const reduced = z.d > 50 && z.n > 50 ? pca(z, 50) : z;
      const rows = Array.from({ length: reduced.n }, (_, i) =>
        Float64Array.from(reduced.data.subarray(i * reduced.d, (i + 1) * reduced.d)),
      );
      const perplexity = Math.max(2, Math.min(30, Math.floor((z.n - 1) / 3)));
      const y = new TSNE(rows, { perplexity, seed: seed + 1, d: 2 }).transform(500) as ArrayLike<number>[];
      const data = new Float32Array(z.n * 2);
      y.forEach((r, i) => data.set([r[0], r[1]], 2 * i));
      projections.tsne = {
        xy: { data, n: z.n, d: 2 },
        method: `t-SNE (druidjs, exact, perplexity ${perplexity}, 500 iterations${reduced === z ? '' : ', on 50 PCs'})`,
      };
    } else throw new CladeError(`unknown projection '${name}' (expected ${PROJECTIONS.join(', ')})`);
    log(`${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  return { projections, notes };
}
