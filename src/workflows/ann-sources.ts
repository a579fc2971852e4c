/**
 * Where `clade analyze --ann` gets its neighbours: the rows of the split in the groups an index searches best, and
 * the search — the engine's IVF-Flat (analysis/ivf.ts) list by list, or a LanceDB index batch by batch.
 */
import type { IvfIndex } from '../analysis/ivf.ts';
import { l2Normalize, takeRows, type Embeddings } from '../io/embeddings.ts';
import type { LanceDataset } from '../io/lance.ts';

/** Where the neighbours come from: the rows in the order the index searches best, and the search itself. */
export interface NeighbourSource {
  readonly backend: 'engine-ivf' | 'lance-ann';
  /** Recorded as `params.ann.index`. */
  readonly index: Record<string, unknown>;
  /** The rows of the split in groups: dataset rows, raw rows `[n, D]` and unit rows. */
  groups(
    inSplit: (row: number) => boolean,
  ): AsyncIterable<{ rows: Int32Array; raw: Embeddings; z: Embeddings }>;
  /** Dataset rows `[Q, limit]` nearest the unit queries (cosine distances), -1 where fewer came back. */
  search(z: Embeddings, limit: number): Promise<{ row: Int32Array; distance: Float32Array }>;
  close(): void;
}

/** The engine's IVF-Flat (analysis/ivf.ts): rows list by list, each list's queries against its probe lists. */
export function ivfSource(ivf: IvfIndex, index: Record<string, unknown>): NeighbourSource {
  return {
    backend: 'engine-ivf',
    index: { type: 'ivf-flat (engine)', ...index },
    async *groups() {
      for await (const g of ivf.lists()) {
        const raw = new Float32Array(g.z.data.length);
        for (let i = 0; i < g.z.n; i++)
          for (let j = 0; j < g.z.d; j++) raw[i * g.z.d + j] = g.z.data[i * g.z.d + j] * g.norm[i];
        yield { rows: g.rows, raw: { data: raw, n: g.z.n, d: g.z.d }, z: g.z };
      }
    },
    search: (z, limit) => ivf.search(z, limit),
    close: () => ivf.close(),
  };
}

/** The dataset's LanceDB index: rows batch by batch in file order. */
export function lanceSource(
  ds: LanceDataset,
  batch: number,
  search: { nprobes: number; refineFactor: number },
  index: Record<string, unknown>,
): NeighbourSource {
  return {
    backend: 'lance-ann',
    index,
    async *groups(inSplit) {
      for await (const { first, x } of ds.scan(batch)) {
        const local: number[] = [];
        for (let i = 0; i < x.n; i++) if (inSplit(first + i)) local.push(i);
        if (!local.length) continue;
        const raw = takeRows(x, local);
        yield { rows: Int32Array.from(local, (i) => first + i), raw, z: l2Normalize(raw) };
      }
    },
    search: (z, limit) => ds.search(z, limit, search),
    close: () => {},
  };
}
